"""The command line: python3 scripts/check_bot [--strict] [--disable ID,...] [--list-rules] [BOT_DIR]

Exit 0: no errors, 1: errors (or warnings with --strict), 2: bad usage or settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core import errors
from .run import check_bot, rule_table
from .settings import SettingsError, disabled_rules

BOT_DIR = Path(__file__).resolve().parent.parent.parent  # scripts/check_bot/cli.py -> the bot


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check_bot",
        description="Check that a Rasa bot's files agree with each other.",
        epilog='Disable rules for good in the bot\'s pyproject.toml: [tool.check_bot] disable = ["D102"]',
    )
    parser.add_argument("bot_dir", nargs="?", type=Path, default=BOT_DIR)
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--disable", default="", metavar="ID,...", help="rule IDs not to report (adds to pyproject's)")
    parser.add_argument("--list-rules", action="store_true", help="print every rule's ID, level and description")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.list_rules:
        print("\n".join(rule_table()))
        return 0
    root = args.bot_dir
    if not root.is_dir():
        print(f"error: {root} is not a folder", file=sys.stderr)
        return 2
    try:
        disable = disabled_rules(root) + [i.strip() for i in args.disable.split(",") if i.strip()]
        problems = check_bot(root, disable=disable)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return report(problems, root, args.strict)


def report(problems: list, root: Path, strict: bool) -> int:
    failing = problems if strict else errors(problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    count = f"{len(errors(problems))} error(s), {len(problems) - len(errors(problems))} warning(s)"
    if failing:
        print(f"\n{count} in {root}" + (" (--strict: warnings fail too)" if strict else ""), file=sys.stderr)
        return 1
    print(f"bot check passed: {root}" + (f" ({count})" if problems else ""))
    return 0

"""One run: load the bot once, run every rule not disabled, keep every problem they report."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .core import CHECKS, RULES, Problem, define, discover, errors, unknown_ids, with_level
from .load import load_bot
from .settings import SettingsError, disabled_rules

define("X001", "a rule failed on this bot (a bug in that rule; the other rules ran)")


def check_bot(root: Path, disable: Iterable[str] | None = None) -> list[Problem]:
    """All problems (errors and warnings) of the bot in root, in a stable order.

    disable: rule IDs not to report; by default those of the bot's pyproject.toml."""
    discover()
    root = Path(root).resolve()
    skipped = set(disabled_rules(root) if disable is None else disable)
    unknown = unknown_ids(skipped)
    if unknown:
        raise SettingsError(f"unknown rule ID(s) to disable: {', '.join(unknown)} (see --list-rules)")
    bot = load_bot(root)
    if errors(p for p in bot.problems if p.rule not in skipped):
        return [with_level(p) for p in bot.problems if p.rule not in skipped]  # other rules would report noise
    found: list[Problem] = []
    for check in CHECKS:
        if set(check.rule_ids) <= skipped:
            continue
        try:
            found.extend(check(bot))
        except Exception as error:
            what = f"{check.__name__} ({', '.join(check.rule_ids)}) failed on this bot: {error!r}"
            fix = "report this bot's files to the rule's maintainers; the other rules ran"
            found.append(
                Problem("X001", f"scripts/check_bot/rules/{check.__module__.rpartition('.')[2]}.py", None, what, fix)
            )
    return [with_level(p) for p in bot.problems + found if p.rule not in skipped]


def rule_table() -> list[str]:
    """One line per rule: ID, level, description."""
    discover()
    return [f"{r.id}  {r.level:<7}  {r.description}" for r in sorted(RULES.values(), key=lambda r: r.id)]

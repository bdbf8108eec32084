#!/usr/bin/env python3
"""Talk to a running bot over its REST channel and check every reply (the walkthrough's curl).

    python3 scripts/smoke_test.py [--url http://localhost:5005] [--wait 60]

Holds the bot's own test stories (tests/test_stories.yml, in the bot's language) and an unknown
message that must get the fallback reply. Expected texts are read from domain.yml, so the
conversation follows your edits but fails when the bot answers with the wrong reply.
Exit 0: all replies right; 1: a wrong reply; 2: the bot could not be asked (unreachable, too
slow, or not answering like Rasa). Needs PyYAML (or ruamel.yaml, as in the Rasa images).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import bot_files
import rasa_http

load_yaml = bot_files.yaml_loader()
if load_yaml is None:
    print("ERROR: the smoke test reads YAML: run `make smoke` (it uses the Rasa image when this Python "
          "has no PyYAML), or `pip install pyyaml`.", file=sys.stderr)  # fmt: skip
    sys.exit(2)

BOT_DIR = Path(__file__).resolve().parent.parent
JOKE = "action_joke"  # a reply from the action server, not a domain response


@dataclass(frozen=True)
class Turn:
    message: str
    expected: tuple[str, ...]  # response or action names, in order


UNKNOWN = "zqx vlorp gnarf"  # no language has it: the fallback reply must come


def conversations(bot_dir: Path) -> dict[str, list[Turn]]:
    """The bot's own test stories (tests/test_stories.yml, or .md on Rasa 2.x), plus the fallback."""
    stories: dict[str, list[Turn]] = {}
    markdown = bot_dir / "tests" / "test_stories.md"
    if markdown.is_file():  # `## name`, `* intent: message`, `  - action`
        for story in bot_files.read_markdown(markdown.read_text(encoding="utf-8")).stories:
            stories[story.name] = [Turn(message, tuple(actions)) for message, actions in story.turns]
    else:
        data = load_yaml((bot_dir / "tests" / "test_stories.yml").read_text(encoding="utf-8")) or {}
        for story in data.get("stories") or []:
            turns = stories.setdefault(str(story.get("story")), [])
            for step in story.get("steps") or []:
                if "user" in step:
                    turns.append(Turn(str(step["user"]).strip(), ()))
                elif turns and ("action" in step or asked_slot(step)):
                    reply = str(step["action"]) if "action" in step else f"utter_ask_{asked_slot(step)}"
                    turns[-1] = Turn(turns[-1].message, (*turns[-1].expected, reply))
    stories["fallback"] = [Turn(UNKNOWN, ("utter_default",))]
    return stories


def asked_slot(step: dict) -> str | None:
    """The slot a form asks for next (`slot_was_set: - requested_slot: x`): it says utter_ask_x."""
    slots = step.get("slot_was_set")
    values = [item.get("requested_slot") for item in slots if isinstance(item, dict)] if isinstance(slots, list) else []
    return next((str(value) for value in values if value), None)


def load_domain(bot_dir: Path) -> dict:
    """domain.yml, or the files of domain/ merged as Rasa merges them."""
    return bot_files.read_domain(bot_dir, load_yaml)


def local_jokes(bot_dir: Path) -> list[str]:
    """The jokes the action server tells offline (actions/jokes.txt, one a line)."""
    path = bot_dir / "actions" / "jokes.txt"
    return (
        [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.is_file()
        else []
    )


def check_turn(turn: Turn, replies: list[str], domain: dict, jokes: list[str]) -> str:
    """'' when the replies match the turn, else a description of the mismatch."""
    has_joke_action = JOKE in {str(a) for a in domain.get("actions") or []}
    forms = set(domain.get("forms") or {})  # a form speaks through utter_ask_<slot>, never itself
    expected = [name for name in turn.expected if (name != JOKE or has_joke_action) and name not in forms]
    if len(replies) != len(expected):
        return f"expected {len(expected)} replies {expected}, got {replies}"
    texts = {name: [v.get("text") for v in variants] for name, variants in (domain.get("responses") or {}).items()}
    for name, got in zip(expected, replies):
        if name == JOKE:
            # With JOKE_API_URL set the joke may come from that API instead of the local list.
            if not got or (jokes and got not in jokes and not os.environ.get("JOKE_API_URL")):
                return f"expected a joke from the action server, got {got!r}"
        elif got not in texts.get(name, []):
            return f"expected {name}: {texts.get(name)}, got {got!r}"
    return ""


def run_smoke(url: str, bot_dir: Path = BOT_DIR, out=sys.stdout) -> list[str]:
    """Hold every conversation; return the failures (empty when the bot answered right)."""
    domain, jokes = load_domain(bot_dir), local_jokes(bot_dir)
    failures = []
    for name, turns in conversations(bot_dir).items():
        sender = f"smoke-{name.replace(' ', '-')}-{uuid.uuid4().hex[:8]}"
        for turn in turns:
            replies = rasa_http.send(url, sender, turn.message)
            problem = check_turn(turn, replies, domain, jokes)
            print(f"{'FAIL' if problem else 'ok  '} {name}: {turn.message!r} -> {replies}", file=out)
            if problem:
                failures.append(f"{name}: {turn.message!r}: {problem}")
    return failures


def seconds(text: str) -> float:
    """argparse type: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a running bot's replies over REST.")
    parser.add_argument("--url", default="http://localhost:5005", help="the bot's base URL")
    parser.add_argument("--wait", type=seconds, default=0, help="seconds to wait for the bot to come up")
    parser.add_argument("--bot-dir", type=Path, default=BOT_DIR, help="folder with domain.yml")
    args = parser.parse_args(argv)
    try:
        rasa_http.wait_until_up(args.url, args.wait)
        failures = run_smoke(args.url, args.bot_dir)
    except rasa_http.RasaHTTPError as error:
        print(
            f"error: {error}. Is the bot running? Try `make up` (Docker) or `rasa run --enable-api` "
            "(local), and `--wait 60` while it starts.",
            file=sys.stderr,
        )
        return 2
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    print("smoke test passed" if not failures else f"{len(failures)} wrong repl(ies)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

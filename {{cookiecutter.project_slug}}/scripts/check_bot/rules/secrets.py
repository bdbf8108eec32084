"""Secrets: .env holds generated secrets, not the placeholders of .env.example."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..deploy import text_line
from ..model import Bot


@rule("S101", ".env still has 'change-me' placeholder secrets")
def placeholder_secrets(bot: Bot) -> Iterator[Problem]:
    env = bot.root / ".env"
    line = text_line(bot.text(env), r"^[A-Za-z0-9_]+=change-me\s*$") if env.is_file() else None
    if line is not None:
        yield Problem(
            "S101",
            ".env",
            line,
            "still has 'change-me' placeholder secrets",
            "delete .env and run `make .env` to generate random secrets",
        )

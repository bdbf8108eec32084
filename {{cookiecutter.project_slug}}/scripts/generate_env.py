#!/usr/bin/env python3
"""Write .env from .env.example, replacing every `change-me` value with a fresh random secret.

Used by the template at bake time and by `make .env` after a fresh clone. Never overwrites an
existing .env (delete it first to rotate the secrets). Standard library only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

PLACEHOLDER = "change-me"
SECRET_BYTES = 24  # 48 hex characters: safe in URLs, shells and YAML without quoting.


def fill_secrets(example_text: str) -> str:
    """Return example_text with each KEY=change-me line given its own random hex secret."""
    lines = []
    for line in example_text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == PLACEHOLDER:
            line = f"{key}={secrets.token_hex(SECRET_BYTES)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_env(bot_dir: Path) -> Path:
    """Create bot_dir/.env (mode 600) from bot_dir/.env.example; refuse to overwrite."""
    example, target = bot_dir / ".env.example", bot_dir / ".env"
    if target.exists():
        raise FileExistsError(f"{target} already exists; delete it first to generate new secrets.")
    if not example.is_file():
        raise FileNotFoundError(f"{example} is missing: it lists the settings .env needs.")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as env_file:
        env_file.write(fill_secrets(example.read_text(encoding="utf-8")))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bot_dir", nargs="?", default=Path(__file__).resolve().parent.parent, type=Path)
    bot_dir = parser.parse_args(argv).bot_dir
    try:
        print(f"wrote {write_env(bot_dir)}")
    except (FileExistsError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

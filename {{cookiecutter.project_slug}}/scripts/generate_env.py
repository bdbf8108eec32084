#!/usr/bin/env python3
"""Write .env from .env.example: every `change-me` value becomes a fresh random secret.

An existing .env keeps its values (the databases in your volumes use them); keys it lacks, say
after you changed the tracker store, are added. Delete .env to rotate every secret.
Used by `make .env` and by the template. Standard library only.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

PLACEHOLDER = "change-me"
SECRET_BYTES = 24  # 48 hex characters: safe in URLs, shells and YAML without quoting.


def settings(text: str) -> dict[str, str]:
    """KEY=value lines of an env file (comments and blank lines skipped)."""
    pairs = (line.partition("=") for line in text.splitlines() if not line.lstrip().startswith("#"))
    return {key.strip(): value for key, sep, value in pairs if sep and key.strip()}


def fill_secrets(example_text: str) -> str:
    """Return example_text with each KEY=change-me line given its own random hex secret."""
    lines = []
    for line in example_text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == PLACEHOLDER:
            line = f"{key}={secrets.token_hex(SECRET_BYTES)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_env(folder: Path) -> list[str]:
    """Create folder/.env (mode 600) or add the keys it lacks; return the keys written."""
    example, target = folder / ".env.example", folder / ".env"
    if not example.is_file():
        raise FileNotFoundError(f"{example} is missing: it lists the settings .env needs.")
    filled = fill_secrets(example.read_text(encoding="utf-8"))
    wanted = settings(filled)
    if not target.exists():
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as env_file:
            env_file.write(filled)
        return list(wanted)
    text = target.read_text(encoding="utf-8")
    missing = [key for key in wanted if key not in settings(text)]
    if missing:
        added = "".join(f"{key}={wanted[key]}\n" for key in missing)
        target.write_text(text + ("" if text.endswith("\n") or not text else "\n") + added, encoding="utf-8")
    return missing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    try:
        written = write_env(folder)
    except (FileNotFoundError, UnicodeDecodeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if written:
        print(f"{folder / '.env'}: wrote {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The bot's own settings for the checker: `[tool.check_bot]` in its pyproject.toml.

    [tool.check_bot]
    disable = ["D102", "H101"]   # rule IDs never reported for this bot

Read with tomllib (Python 3.11+); on the bot's Python 3.8/3.10 a small reader takes the
`disable` list of that one section (strings in a list, on one line or several).
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None  # type: ignore[assignment]

SECTION = re.compile(r"^\[tool\.check_bot\]\s*(?:#.*)?$")
HEADER = re.compile(r"^\s*\[")
DISABLE = re.compile(r"^\s*disable\s*=\s*\[(?P<items>[^\]]*)\]", re.M | re.S)


class SettingsError(ValueError):
    """The pyproject.toml section cannot be read."""


def disabled_rules(root: Path) -> list[str]:
    """The rule IDs `[tool.check_bot] disable` lists in root/pyproject.toml ([] without one)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    ids = from_tomllib(text) if tomllib is not None else from_text(text)
    if not all(isinstance(i, str) for i in ids):
        raise SettingsError("pyproject.toml: [tool.check_bot] disable must be a list of rule IDs in quotes")
    return list(ids)


def from_tomllib(text: str) -> list:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"pyproject.toml is not valid TOML: {error}") from error
    ids = data.get("tool", {}).get("check_bot", {}).get("disable", [])
    if not isinstance(ids, list):
        raise SettingsError('pyproject.toml: [tool.check_bot] disable must be a list, like ["D102"]')
    return ids


def from_text(text: str) -> list:
    """The minimal reader: the lines of the [tool.check_bot] section, then its disable list."""
    section: list[str] = []
    inside = False
    for line in text.splitlines():
        if SECTION.match(line.strip()):
            inside = True
        elif inside and HEADER.match(line):
            break
        elif inside:
            section.append(line.split("#", 1)[0])
    found = DISABLE.search("\n".join(section))
    if found is None:
        if any(line.strip().startswith("disable") for line in section):
            raise SettingsError('pyproject.toml: [tool.check_bot] disable must be a list, like ["D102"]')
        return []
    return [item.strip().strip("\"'") for item in found.group("items").split(",") if item.strip()]

"""Jinja extensions of this template, loaded by cookiecutter (`_extensions` in cookiecutter.json).

`language_table`: `{% set text = cookiecutter.language | language_table %}` gives the bot's texts
in the chosen language from `languages/<code>.yml`, the one source of every language-specific text.
`yaml_string`: a text as a double-quoted YAML scalar that keeps non-ASCII letters readable.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from jinja2.ext import Extension

LANGUAGES_DIR = Path(__file__).resolve().parent / "languages"


def language_table(code: str) -> dict:
    """The texts of languages/<code>.yml: responses, nlu examples per intent, tests, jokes."""
    return yaml.safe_load((LANGUAGES_DIR / f"{code}.yml").read_text(encoding="utf-8"))


def yaml_string(text: str) -> str:
    """A JSON string is a valid double-quoted YAML scalar; ensure_ascii=False keeps 'ü' as 'ü'."""
    return json.dumps(text, ensure_ascii=False)


class LanguageExtension(Extension):
    def __init__(self, environment) -> None:
        super().__init__(environment)
        environment.filters["language_table"] = language_table
        environment.filters["yaml_string"] = yaml_string

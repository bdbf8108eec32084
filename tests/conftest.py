"""Shared fixtures: baking the template with pytest-cookies and reading the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from combinations import REAL_RASA_EXCLUDED, TEMPLATE_DIR

BOT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
# The bot checker lives in the rendered bot; the tests import that same file, without leaving
# __pycache__ in the template (it would be copied into every baked bot).
sys.dont_write_bytecode = True
sys.path.insert(0, str(BOT_TEMPLATE / "scripts"))


def pytest_report_header(config) -> list[str]:
    """Say up front what the slow tiers leave out, so a CI log never hides it."""
    return [f"real-Rasa tier excludes {rule}: {reason}" for rule, reason in REAL_RASA_EXCLUDED]


class Baked:
    """A rendered bot folder with small readers for its files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def yaml(self, relative: str):
        return yaml.safe_load(self.text(relative))

    def exists(self, relative: str) -> bool:
        return (self.path / relative).exists()

    def files(self) -> list[Path]:
        return sorted(p for p in self.path.rglob("*") if p.is_file())


def _baker(cookies_fixture):
    def _bake(**answers) -> Baked:
        result = cookies_fixture.bake(extra_context=answers, template=str(TEMPLATE_DIR))
        assert result.exit_code == 0, f"bake failed for {answers}: {result.exception!r}"
        return Baked(Path(result.project_path))

    return _bake


@pytest.fixture
def bake(cookies):
    """bake(**answers) -> Baked, in a fresh folder; fails the test with the hook's error."""
    return _baker(cookies)


@pytest.fixture(scope="session")
def bake_once(cookies_session):
    """Like bake, but each combination of answers is baked once per session (read-only use)."""
    baker, baked = _baker(cookies_session), {}

    def _bake(**answers) -> Baked:
        key = json.dumps(answers, sort_keys=True)
        if key not in baked:
            baked[key] = baker(**answers)
        return baked[key]

    return _bake

"""Answers with quotes, colons, hashes, backslashes, newlines and unicode still render a valid bot.

(Jinja syntax in an answer is rendered by cookiecutter itself, by design, so it is not tested.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from check_bot import check_bot

HOSTILE = {
    "project_name": 'Mood "Bot": the #1 \\ bot\'s [name] 🤖',
    "description": "Line one: 'quoted' \"double\" # not a comment\nline two: \\n ${HOME} `id` & <b>",
    "author_name": "Zoë O'Brien <zoe@example.com> \\ & co",
}
COMPOSE = Path(sys.executable).parent / "docker-compose"


@pytest.fixture(scope="module", params=[False, True], ids=["no_actions", "actions"])
def hostile_bot(request, bake_once):
    return bake_once(tracker_store="postgres", custom_actions=request.param, **HOSTILE)


def test_slug_is_still_valid(hostile_bot):
    assert hostile_bot.path.name == "mood_bot_the_1_bot_s_name"


def test_checker_passes_and_yaml_parses(hostile_bot):
    assert check_bot(hostile_bot.path) == []


def test_answers_round_trip_exactly(hostile_bot):
    kept = json.loads(hostile_bot.text(".cookiecutter.json"))["cookiecutter"]
    for key, value in HOSTILE.items():
        assert kept[key] == value


def test_readme_shows_the_answers_verbatim(hostile_bot):
    readme = hostile_bot.text("README.md")
    assert readme.startswith(f"# {HOSTILE['project_name']}\n")
    assert HOSTILE["description"] in readme and HOSTILE["author_name"] in readme


def test_python_still_compiles(hostile_bot):
    for path in hostile_bot.path.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_compose_still_valid(hostile_bot):
    result = subprocess.run([str(COMPOSE), "config", "--quiet"], cwd=hostile_bot.path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

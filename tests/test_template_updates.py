"""The answers file supports replay, and cruft can create and check a bot from this template."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from combinations import TEMPLATE_DIR

BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_rendering_again_over_a_bot_keeps_its_secrets(tmp_path):
    """`cookiecutter -f` over an existing bot (e.g. to pick up template changes) keeps its .env."""
    command = [str(BIN / "cookiecutter"), "--no-input", "-o", str(tmp_path), str(TEMPLATE_DIR)]
    command.append("tracker_store=postgres")
    run(*command, cwd=tmp_path)
    env = tmp_path / "mood_bot" / ".env"
    secrets = env.read_text()
    again = run(*command[:1], "-f", *command[1:], cwd=tmp_path)
    assert "Kept the existing" in again.stdout
    assert env.read_text() == secrets and env.stat().st_mode & 0o077 == 0


def test_replay_file_recreates_the_same_bot(bake, tmp_path):
    original = bake(nlu_pipeline="diet", tracker_store="redis", custom_actions=False, project_name="Replay Bot")
    run(
        str(BIN / "cookiecutter"),
        "--replay-file",
        str(original.path / ".cookiecutter.json"),
        "-o",
        str(tmp_path),
        str(TEMPLATE_DIR),
        cwd=tmp_path,
    )
    replayed = tmp_path / "replay_bot"
    assert json.loads((replayed / ".cookiecutter.json").read_text()) == json.loads(original.text(".cookiecutter.json"))
    for relative in ("config/config.yml", "config/endpoints.yml", "docker-compose.yml", "domain.yml"):
        assert (replayed / relative).read_text() == original.text(relative), relative


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> Path:
    """A git copy of the template as it is on disk (cruft reads committed files only)."""
    repo = tmp_path_factory.mktemp("template") / "cookiecutter-rasa"
    ignore = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".ruff_cache")
    shutil.copytree(TEMPLATE_DIR, repo, ignore=ignore)
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "t"]):
        run("git", *command, cwd=repo)
    return repo


def test_cruft_create_then_check(template_repo, tmp_path):
    run(
        str(BIN / "cruft"),
        "create",
        str(template_repo),
        "--no-input",
        "--output-dir",
        str(tmp_path),
        "--extra-context",
        json.dumps({"project_name": "Cruft Bot", "tracker_store": "sqlite"}),
        cwd=tmp_path,
    )
    bot = tmp_path / "cruft_bot"
    assert json.loads((bot / ".cruft.json").read_text())["context"]["cookiecutter"]["tracker_store"] == "sqlite"
    assert (bot / ".env").is_file() and (bot / ".cookiecutter.json").is_file()
    result = run(str(BIN / "cruft"), "check", cwd=bot)
    assert "up to date" in result.stdout

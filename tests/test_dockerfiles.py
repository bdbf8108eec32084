"""rasa.Dockerfile (Rasa server) and Dockerfile (action server) of the rendered bots: lint and content.

The Dockerfiles depend only on nlu_pipeline and custom_actions, so one bot per pair of those answers
is enough. Static checks only: no Docker engine or registry is needed.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from harness.combinations import PINS, baked_combinations

HADOLINT = Path(sys.executable).parent / "hadolint"
LINE_PINS = PINS["rasa_lines"]
ROOT_USERS = {"root", "0"}
STATE_OWNER = "1001"  # the unprivileged user of the official rasa/rasa images


def one_bot_per_dockerfile_variant() -> list[dict]:
    """The first valid combination of each (rasa_version, nlu_pipeline, custom_actions)."""
    chosen: dict[tuple, dict] = {}
    for answers in baked_combinations():
        chosen.setdefault((answers["rasa_version"], answers["nlu_pipeline"], answers["custom_actions"]), answers)
    return list(chosen.values())


def dockerfiles(answers: dict) -> list[str]:
    return ["rasa.Dockerfile", "Dockerfile"] if answers["custom_actions"] else ["rasa.Dockerfile"]


def case_id(answers: dict, name: str) -> str:
    actions = "custom_actions" if answers["custom_actions"] else "no_custom_actions"
    return f"{answers['rasa_version']}-{answers['nlu_pipeline']}-{actions}-{name}"


CASES = [
    pytest.param(answers, name, id=case_id(answers, name))
    for answers in one_bot_per_dockerfile_variant()
    for name in dockerfiles(answers)
]
RASA_CASES = [case for case in CASES if case.values[1] == "rasa.Dockerfile"]


# --- helpers ---------------------------------------------------------------------------------------


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess:
    """hadolint with a clean environment (no HADOLINT_* overrides), failing on warnings and errors."""
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--format", "json", "--failure-threshold", "warning", str(dockerfile)],
        cwd=dockerfile.parent,
        env={"PATH": str(HADOLINT.parent), "HOME": str(dockerfile.parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def lint_codes(proc: subprocess.CompletedProcess) -> set[str]:
    return {finding["code"] for finding in json.loads(proc.stdout or "[]")}


def parse(dockerfile: Path) -> DockerfileParser:
    """Parsed from memory: fileobj= reads files not named Dockerfile and writes nothing."""
    return DockerfileParser(fileobj=io.BytesIO(dockerfile.read_bytes()))


def instructions(parser: DockerfileParser, name: str) -> list[str]:
    return [item["value"] for item in parser.structure if item["instruction"] == name]


def copy_sources(parser: DockerfileParser) -> list[str]:
    """The build-context sources of every COPY/ADD (not those copied from another stage)."""
    sources = []
    for item in parser.structure:
        if item["instruction"] not in {"COPY", "ADD"}:
            continue
        words = item["value"].split()
        if any(word.startswith("--from") for word in words):
            continue
        sources += [word for word in words[:-1] if not word.startswith("--")]
    return sources


def last_user(parser: DockerfileParser) -> str | None:
    users = instructions(parser, "USER")
    return users[-1].split(":")[0] if users else None


def dockerignored(bot_dir: Path, source: str) -> bool:
    """Whether .dockerignore drops `source` (or a folder holding it) from the build context."""
    patterns = [
        line.strip().rstrip("/")
        for line in (bot_dir / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(source).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def expected_base_image(answers: dict, name: str) -> str:
    pins = LINE_PINS[answers["rasa_version"]]
    if name == "Dockerfile":
        return f"rasa/rasa-sdk:{pins['rasa_sdk']}"
    return f"rasa/rasa:{pins['rasa']}" + (f"-spacy-{answers['language']}" if answers["nlu_pipeline"] == "spacy" else "")


# --- every Dockerfile ------------------------------------------------------------------------------


@pytest.mark.parametrize(("answers", "name"), CASES)
def test_hadolint_passes(bake_once, answers, name):
    proc = hadolint(bake_once(**answers).path / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("answers", "name"), CASES)
def test_base_image_is_the_pinned_official_image(bake_once, answers, name):
    parser = parse(bake_once(**answers).path / name)
    assert instructions(parser, "FROM") == [expected_base_image(answers, name)]


@pytest.mark.parametrize(("answers", "name"), CASES)
def test_copy_sources_are_in_the_build_context(bake_once, answers, name):
    bot = bake_once(**answers)
    for source in copy_sources(parse(bot.path / name)):
        assert bot.exists(source), f"{name} copies {source}, which the bot does not have"
        assert not dockerignored(bot.path, source), f"{name} copies {source}, which .dockerignore drops"


@pytest.mark.parametrize(("answers", "name"), CASES)
def test_image_runs_as_a_non_root_user(bake_once, answers, name):
    user = last_user(parse(bake_once(**answers).path / name))
    assert user is not None, f"{name} sets no USER"
    assert user not in ROOT_USERS


@pytest.mark.parametrize(("answers", "name"), CASES)
def test_build_context_keeps_secrets_out(bake_once, answers, name):
    assert dockerignored(bake_once(**answers).path, ".env")


# --- the Rasa server image -------------------------------------------------------------------------


@pytest.mark.parametrize(("answers", "name"), RASA_CASES)
def test_rasa_image_gives_user_1001_a_state_folder(bake_once, answers, name):
    parser = parse(bake_once(**answers).path / name)
    script = " && ".join(instructions(parser, "RUN"))
    assert re.search(r"\bmkdir\s+-p\s[^&;|]*/app/state\b", script), script
    assert re.search(rf"\bchown\s+(-R\s+)?{STATE_OWNER}(:\S+)?\s[^&;|]*/app/state\b", script), script
    assert last_user(parser) == STATE_OWNER, "Rasa must run as the owner of /app/state"


@pytest.mark.parametrize(("answers", "name"), RASA_CASES)
def test_rasa_image_has_the_script_compose_starts(bake_once, answers, name):
    """Compose and Kubernetes start `python /app/scripts/rasa_run.py`: no volume mounts scripts/, so
    the image must carry it (a merge once dropped the COPY; only a real engine noticed)."""
    bot = bake_once(**answers)
    entrypoint = bot.yaml("docker-compose.yml")["services"]["rasa"]["entrypoint"]
    script = entrypoint[-1]
    assert script.startswith("/app/") and (bot.path / script.removeprefix("/app/")).is_file(), entrypoint
    copies = [item["value"].split() for item in parse(bot.path / name).structure if item["instruction"] == "COPY"]
    assert any(words[-1] == script and script.removeprefix("/app/") in words[:-1] for words in copies), copies


# --- the action server image -----------------------------------------------------------------------


def test_action_image_installs_and_copies_the_actions(bake_once):
    answers = next(a for a in one_bot_per_dockerfile_variant() if a["custom_actions"])
    parser = parse(bake_once(**answers).path / "Dockerfile")
    assert {"actions/requirements.txt", "actions"} <= set(copy_sources(parser))
    assert any("-r /app/actions/requirements.txt" in run for run in instructions(parser, "RUN"))


# --- the checks can fail ---------------------------------------------------------------------------


def test_hadolint_fails_on_a_root_user(bake_once, tmp_path):
    """A Dockerfile ending as root fails the lint (DL3002) and the USER check: neither is a no-op."""
    bot = bake_once(**one_bot_per_dockerfile_variant()[0])
    dockerfile = tmp_path / "rasa.Dockerfile"
    shutil.copy(bot.path / "rasa.Dockerfile", dockerfile)
    with dockerfile.open("a", encoding="utf-8") as handle:
        handle.write("USER root\n")
    proc = hadolint(dockerfile)
    assert proc.returncode != 0
    assert "DL3002" in lint_codes(proc)
    assert last_user(parse(dockerfile)) in ROOT_USERS


def test_dockerignore_matcher_sees_dropped_sources(bake_once):
    bot = bake_once(**one_bot_per_dockerfile_variant()[0])
    assert dockerignored(bot.path, "tests/test_stories.yml")
    assert dockerignored(bot.path, "actions/__pycache__/actions.cpython-310.pyc")
    assert not dockerignored(bot.path, "actions/actions.py")

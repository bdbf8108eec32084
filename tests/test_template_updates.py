"""The answers file supports replay, and cruft can create and check a bot from this template."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.combinations import TEMPLATE_DIR

BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def render(tmp_path, *answers: str, again: bool = False) -> subprocess.CompletedProcess:
    command = [str(BIN / "cookiecutter"), "--no-input", *(["-f"] if again else []), "-o", str(tmp_path)]
    return run(*command, str(TEMPLATE_DIR), *answers, cwd=tmp_path)


def render_fails(tmp_path, *answers: str) -> subprocess.CompletedProcess:
    command = [str(BIN / "cookiecutter"), "--no-input", "-f", "-o", str(tmp_path), str(TEMPLATE_DIR), *answers]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, result.stdout
    return result


def test_rendering_again_over_a_bot_keeps_its_secrets(tmp_path):
    """`cookiecutter -f` over an existing bot (e.g. to pick up template changes) keeps its .env."""
    render(tmp_path, "tracker_store=postgres")
    env = tmp_path / "mood_bot" / ".env"
    secrets = env.read_text()
    again = render(tmp_path, "tracker_store=postgres", again=True)
    assert "Added to .env" not in again.stdout and "Removed" not in again.stdout
    assert env.read_text() == secrets and env.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("first", "then", "own_file", "dropped"),
    [
        ("custom_actions=yes", "custom_actions=no", "actions/my_helper.py", "actions/actions.py"),
        ("kubernetes=yes", "kubernetes=no", "deploy/my-ingress.yaml", "deploy/kubernetes/README.md"),
        ("tracker_store=custom", "tracker_store=sqlite", "addons/audit.py", "addons/json_file_tracker_store.py"),
    ],
)
def test_rendering_again_never_deletes_a_users_file(tmp_path, first, then, own_file, dropped):
    store = ["tracker_store=postgres"] if "kubernetes" in first else []
    render(tmp_path, *store, first)
    bot = tmp_path / "mood_bot"
    (bot / own_file).write_text("mine\n")
    again = render(tmp_path, *store, then, again=True)
    assert (bot / own_file).read_text() == "mine\n"
    assert not (bot / dropped).exists()
    assert f"Removed what your answers no longer ask for: {dropped.split('/')[0]}/" in again.stdout
    assert f"Kept your own files in what your answers leave out: {own_file}" in again.stdout


def test_turning_duckling_off_removes_its_manifests_and_service_only(tmp_path):
    cluster = ["tracker_store=postgres", "kubernetes=yes"]
    render(tmp_path, *cluster, "duckling=yes")
    bot = tmp_path / "mood_bot"
    base = bot / "deploy" / "kubernetes" / "base"
    (base / "my-patch.yaml").write_text("mine\n")
    again = render(tmp_path, *cluster, "duckling=no", again=True)
    manifests = [f"deploy/kubernetes/base/duckling-{kind}.yaml" for kind in ("deployment", "service")]
    assert f"Removed what your answers no longer ask for: {', '.join(manifests)}" in again.stdout
    assert not any((bot / manifest).exists() for manifest in manifests)
    assert (base / "my-patch.yaml").read_text() == "mine\n"
    assert "duckling" not in (bot / "docker-compose.yml").read_text()


def test_a_bot_made_before_a_prompt_existed_renders_again(tmp_path):
    """Its .cookiecutter.json lacks the new answer: cookiecutter asks for it, and the hook compares
    with the old bot as it was (the prompt's default), never with a missing key."""
    render(tmp_path)
    bot = tmp_path / "mood_bot"
    answers = bot / ".cookiecutter.json"
    saved = json.loads(answers.read_text())
    del saved["cookiecutter"]["duckling"]
    answers.write_text(json.dumps(saved))
    command = [str(BIN / "cookiecutter"), "--replay-file", str(answers), "-f", "-o", str(tmp_path), str(TEMPLATE_DIR)]
    result = subprocess.run(command, cwd=bot, input="n\n", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(answers.read_text())["cookiecutter"]["duckling"] is False


def test_copy_without_render_lists_files_never_folders():
    """cookiecutter -f deletes a _copy_without_render folder whole (user files too) before copying it."""
    patterns = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_copy_without_render"]
    bot_template = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
    folders = [p.relative_to(bot_template).as_posix() for p in bot_template.rglob("*") if p.is_dir()]
    assert "scripts/check_bot/rules" in folders
    assert [(f, p) for f in folders for p in patterns if fnmatch.fnmatch(f, p)] == []
    checker = [p.relative_to(bot_template).as_posix() for p in (bot_template / "scripts").rglob("*.py")]
    assert all(any(fnmatch.fnmatch(f, p) for p in patterns) for f in checker), "scripts are copied, not rendered"


def test_rendering_again_keeps_a_house_rule_of_the_checker(tmp_path):
    render(tmp_path)
    bot = tmp_path / "mood_bot"
    house = bot / "scripts" / "check_bot" / "rules" / "house.py"
    house.write_text(
        "from check_bot.core import Problem, rule\n\n\n"
        '@rule("H901", "every bot has a house rule")\n'
        "def always(bot):\n"
        '    yield Problem("H901", "domain.yml", 1, "fires", "remove house.py")\n'
    )
    result = render_fails(tmp_path)
    assert house.is_file(), "cookiecutter -f deleted the user's rule"
    assert "domain.yml:1: H901 fires" in result.stderr
    house.unlink()
    render(tmp_path, again=True)
    assert sorted(p.name for p in (bot / "scripts" / "check_bot" / "rules").iterdir()) == sorted(
        p.name
        for p in (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "scripts" / "check_bot" / "rules").iterdir()
        if p.suffix == ".py"
    )


def test_changing_the_store_adds_its_keys_to_env(tmp_path):
    render(tmp_path, "tracker_store=sqlite")
    env = tmp_path / "mood_bot" / ".env"
    token = [line for line in env.read_text().splitlines() if line.startswith("RASA_AUTH_TOKEN=")]
    again = render(tmp_path, "tracker_store=postgres", again=True)
    assert "Added to .env (existing values kept): POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD" in again.stdout
    text = env.read_text()
    assert token[0] in text.splitlines() and "POSTGRES_PASSWORD=change-me" not in text
    config = run(str(BIN / "docker-compose"), "config", "--quiet", cwd=env.parent)
    assert config.returncode == 0


def test_make_env_adds_missing_keys(tmp_path):
    render(tmp_path, "tracker_store=redis")
    bot = tmp_path / "mood_bot"
    kept = "RASA_AUTH_TOKEN=mine\n"
    (bot / ".env").write_text(kept)
    result = run("make", ".env", cwd=bot)
    assert "wrote REDIS_PASSWORD, WEB_ALLOWED_ORIGINS, JOKE_API_URL" in result.stdout
    text = (bot / ".env").read_text()
    assert text.startswith(kept) and len(text.splitlines()) == 4 and "WEB_ALLOWED_ORIGINS=" in text.splitlines()
    assert "wrote" not in run("make", ".env", cwd=bot).stdout  # nothing missing: nothing written


def test_failing_check_after_rendering_over_user_changes_blames_the_users_bot(tmp_path):
    render(tmp_path)
    bot = tmp_path / "mood_bot"
    # The user's own intent: domain.yml declares it, data/weather.yml trains it, a rule answers it.
    domain = (bot / "domain.yml").read_text().replace("intents:\n", "intents:\n  - ask_weather\n", 1)
    domain = domain.replace("responses:\n", "responses:\n  utter_weather:\n  - text: Sunny.\n", 1)
    (bot / "domain.yml").write_text(domain)
    examples = "".join(f"    - what is the weather like {n}\n" for n in range(5))
    (bot / "data/weather.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: ask_weather\n  examples: |\n{examples}'
        "rules:\n- rule: weather\n  steps:\n  - intent: ask_weather\n  - action: utter_weather\n"
    )
    # -f rewrites domain.yml with the template's version: the user's intent is gone from it.
    result = render_fails(tmp_path)
    assert "after rendering again over it" in result.stderr
    assert "a template bug" not in result.stderr and "Traceback" not in result.stderr
    assert "ask_weather" in result.stderr
    assert (bot / "data/weather.yml").exists() and (bot / ".env").exists()


def test_readme_update_command_works_from_inside_the_bot(tmp_path):
    render(tmp_path, "nlu_pipeline=diet")
    bot = tmp_path / "mood_bot"
    readme = (bot / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "--replay-file" in line and line.startswith("cookiecutter"))
    run(*command.replace("<template>", str(TEMPLATE_DIR)).split(), cwd=bot)
    assert not (bot / "mood_bot").exists(), "the command nested a second bot"
    assert json.loads((bot / ".cookiecutter.json").read_text())["cookiecutter"]["nlu_pipeline"] == "diet"


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

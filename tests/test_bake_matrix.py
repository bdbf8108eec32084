"""Every valid combination of answers bakes into a consistent bot (the fast, exhaustive tier)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from check_bot import check_bot, load_bot
from harness.combinations import PINS, TEMPLATE_DIR, baked_combinations, combo_id, valid_combinations

VALID = baked_combinations()
WALKTHROUGH_REPLIES = {
    "utter_greet": "Hi, how is it going?",
    "utter_happy": "Great, carry on!",
    "utter_cheer_up": "Don't be sad. Keep smiling!",
    "utter_goodbye": "Goodbye!",
}


@pytest.fixture(params=VALID, ids=[combo_id(a) for a in VALID])
def baked(request, bake_once):
    return request.param, bake_once(**request.param)


def test_matrix_is_not_empty_and_covers_every_choice():
    # 2 lines x 3 pipelines x 2 custom_actions x (6 stores + mongo-express, or Kubernetes with
    # 3 shared stores + mongo-express) in English with the chat page, then the other languages and
    # web_chat=no with every answer of the other prompts
    assert len(valid_combinations()) == 2 * 3 * 2 * (7 + 4)
    assert {a["language"] for a in VALID} == {"en", "de", "es", "fr", "pt", "it"}
    assert {a["web_chat"] for a in VALID} == {True, False}
    for key in ("nlu_pipeline", "tracker_store", "custom_actions"):
        assert {a[key] for a in VALID} >= (
            {True, False}
            if key == "custom_actions"
            else {"light", "diet", "spacy"}
            if key == "nlu_pipeline"
            else {"sqlite", "in_memory", "postgres", "redis", "mongo", "custom"}
        )


def test_bot_checker_passes(baked):
    _, bot = baked
    assert check_bot(bot.path) == []


def test_nothing_left_unrendered(baked):
    _, bot = baked
    for path in bot.files():
        text = path.read_text(encoding="utf-8")
        # Allowed: GitHub's ${{ }} expressions and bash's ${#array}.
        leftovers = re.findall(r"(?<!\$)\{\{|\{%|(?<!\$)\{#", text)
        assert not leftovers, f"{path.relative_to(bot.path)} has unrendered Jinja"


def test_every_yaml_file_parses(baked):
    _, bot = baked
    yaml_files = [p for p in bot.files() if p.suffix in {".yml", ".yaml"}]
    assert len(yaml_files) >= 6  # domain, rules, config x3, compose (+ YAML training data on 3.x)
    for path in yaml_files:
        bot.yaml(str(path.relative_to(bot.path)))


def test_python_compiles_and_passes_ruff(baked):
    _, bot = baked
    sources = [p for p in bot.files() if p.suffix == ".py"]
    for path in sources:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")  # raises SyntaxError
    # The bot's own pyproject.toml configures ruff, as it will for the bot's developers.
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=bot.path, capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_files_follow_the_answers(baked):
    answers, bot = baked
    actions = answers["custom_actions"]
    for path in (
        "actions/actions.py",
        "actions/__init__.py",
        "actions/requirements.txt",
        "Dockerfile",
        "tests/test_actions.py",
    ):
        assert bot.exists(path) == actions, path
    assert bot.exists("addons/json_file_tracker_store.py") == (answers["tracker_store"] == "custom")
    assert bot.exists("deploy/kubernetes") == answers["kubernetes"]
    suffix = {"yaml": "yml", "markdown": "md"}[PINS["rasa_lines"][answers["rasa_version"]]["data_format"]]
    other = {"yml": "md", "md": "yml"}[suffix]
    for path in ("data/nlu", "data/stories", "tests/test_stories"):
        assert bot.exists(f"{path}.{suffix}") and not bot.exists(f"{path}.{other}"), path
    assert not bot.exists("scripts/markdown_data.py"), "a template-time tool, not part of the bot"
    for path in (
        "domain.yml",
        "data/rules.yml",
        "config/config.yml",
        "config/endpoints.yml",
        "config/credentials.yml",
        "docker-compose.yml",
        "rasa.Dockerfile",
        ".env",
        ".env.example",
        ".gitignore",
        ".dockerignore",
        "Makefile",
        "README.md",
        ".cookiecutter.json",
        ".github/workflows/ci.yml",
        "scripts/check_bot/__main__.py",
        "scripts/bot_files.py",
        "scripts/smoke_test.py",
        "scripts/rasa_http.py",
        "scripts/process_group.py",
        "scripts/dev.py",
        "scripts/generate_env.py",
        "scripts/rasa_run.py",
        "requirements.txt",
    ):
        assert bot.exists(path), path


def test_walkthrough_replies_are_verbatim(baked):
    answers, bot = baked
    responses = bot.yaml("domain.yml")["responses"]
    table = yaml.safe_load((TEMPLATE_DIR / "languages" / f"{answers['language']}.yml").read_text(encoding="utf-8"))
    if answers["language"] == "en":
        for name, text in WALKTHROUGH_REPLIES.items():
            assert responses[name] == [{"text": text}]
    form = table["form"]["responses"] if answers["starter_skill"] == "form" else {}
    assert {name: variants[0]["text"] for name, variants in responses.items()} == table["responses"] | form
    assert responses["utter_default"][0]["text"]  # a fallback reply, not []
    assert f"language: {answers['language']}\n" in bot.text("config/config.yml")


def test_sad_path_tells_a_joke_only_with_custom_actions(baked):
    answers, bot = baked
    sad = next(s for s in load_bot(bot.path).stories if s.name == "sad path" and s.file.startswith("data/"))
    assert ("action_joke" in sad.actions) == answers["custom_actions"]
    assert ("action_joke" in (bot.yaml("domain.yml").get("actions") or [])) == answers["custom_actions"]


def test_pipeline_matches_the_flavour(baked):
    answers, bot = baked
    config = bot.yaml("config/config.yml")
    components = [c["name"] for c in config["pipeline"]]
    policies = [p["name"] for p in config["policies"]]
    expected = {"light": "LogisticRegressionClassifier", "diet": "DIETClassifier", "spacy": "SpacyNLP"}
    if answers["rasa_version"] == "2.8":  # no LogisticRegressionClassifier before Rasa 3.5
        expected = {"light": "DIETClassifier", "diet": "TEDPolicy", "spacy": "SklearnIntentClassifier"}
    assert expected[answers["nlu_pipeline"]] in components + policies
    assert "FallbackClassifier" in components and "RulePolicy" in policies
    assert any("Memoization" in p for p in policies)
    assert ("TEDPolicy" in policies) == (answers["nlu_pipeline"] == "diet")


def test_endpoints_follow_the_tracker_store(baked):
    answers, bot = baked
    endpoints = bot.yaml("config/endpoints.yml") or {}
    store = endpoints.get("tracker_store")
    expected_type = {
        "in_memory": None,
        "sqlite": "SQL",
        "postgres": "SQL",
        "redis": "redis",
        "mongo": "mongod",
        "custom": "addons.json_file_tracker_store.JsonFileTrackerStore",
    }[answers["tracker_store"]]
    assert (store or {}).get("type") == expected_type
    assert ("action_endpoint" in endpoints) == answers["custom_actions"]
    text = bot.text("config/endpoints.yml")
    for key, value in (store or {}).items():
        if key in {"password", "username"}:
            assert re.fullmatch(r"\$\{[A-Z_]+\}", str(value)), f"{key} must come from the environment"
    assert "change-me" not in text


def test_secrets_are_random_and_private(baked):
    answers, bot = baked
    env = dict(line.split("=", 1) for line in bot.text(".env").splitlines() if line and not line.startswith("#"))
    secrets = {k: v for k, v in env.items() if k.endswith(("PASSWORD", "TOKEN"))}
    assert secrets, "at least the Rasa API token"
    for key, value in secrets.items():
        assert re.fullmatch(r"[0-9a-f]{48}", value), key
    assert len(set(secrets.values())) == len(secrets)
    assert (bot.path / ".env").stat().st_mode & 0o077 == 0
    assert ".env" in bot.text(".gitignore").splitlines()


def test_answers_are_kept_for_replay(baked):
    answers, bot = baked
    kept = bot.yaml(".cookiecutter.json")["cookiecutter"]
    for key, value in answers.items():
        assert kept[key] == value
    assert not any(key.startswith("_") for key in kept)


def test_versions_come_from_the_one_pin_table(baked):
    answers, bot = baked
    line = PINS["rasa_lines"][answers["rasa_version"]]
    assert f"rasa=={line['rasa']}" in bot.text("requirements.txt")
    assert f"rasa-sdk=={line['rasa_sdk']}" in bot.text("requirements.txt")
    assert bot.text(".python-version").strip() == line["python"]
    assert f"rasa/rasa:{line['rasa']}" in bot.text("rasa.Dockerfile")
    if answers["custom_actions"]:
        assert f"FROM rasa/rasa-sdk:{line['rasa_sdk']}" in bot.text("Dockerfile")
    lock = bot.text(f"requirements/rasa-{answers['rasa_version']}.lock")
    assert f"rasa=={line['rasa']}" in lock and f"rasa-sdk=={line['rasa_sdk']}" in lock
    assert f'python-version: "{line["python"]}"' in bot.text(".github/workflows/ci.yml")


def test_github_expressions_survive_rendering(baked):
    _, bot = baked
    workflow = bot.text(".github/workflows/ci.yml")
    assert "${{ always() }}" in workflow and "${{ github.sha }}" in workflow


# Slugs that YAML 1.1 (PyYAML, Rasa) or 1.2 (Compose) would read as null or a boolean if unquoted.
YAML_KEYWORD_SLUGS = ["null", "true", "false", "yes", "no", "on", "off"]
EVERYTHING_ON = {"tracker_store": "postgres", "kubernetes": True, "custom_actions": True, "web_chat": True}


def swap_text(tree, old: str, new: str):
    """The YAML tree with `old` replaced by `new` in every string, keys included."""
    if isinstance(tree, dict):
        return {swap_text(k, old, new): swap_text(v, old, new) for k, v in tree.items()}
    if isinstance(tree, list):
        return [swap_text(item, old, new) for item in tree]
    return tree.replace(old, new) if isinstance(tree, str) else tree


@pytest.mark.parametrize("slug", YAML_KEYWORD_SLUGS)
def test_a_slug_that_reads_as_a_yaml_keyword_stays_text(bake_once, slug):
    """Every YAML file has the default bot's shape with the slug swapped in: no value turns into
    null or a boolean (Compose would refuse `name: null`, Rasa would read `assistant_id: off` as False)."""
    reference, bot = bake_once(**EVERYTHING_ON), bake_once(**EVERYTHING_ON, project_slug=slug)
    yaml_files = sorted(p.relative_to(bot.path) for p in bot.files() if p.suffix in {".yml", ".yaml"})
    assert len(yaml_files) >= 20
    for relative in yaml_files:
        expected = swap_text(list(yaml.safe_load_all(reference.text(str(relative)))), "mood_bot", slug)
        expected = swap_text(expected, "mood-bot", slug)  # Kubernetes names use '-'
        assert list(yaml.safe_load_all(bot.text(str(relative)))) == expected, relative

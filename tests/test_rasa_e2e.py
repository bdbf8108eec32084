"""The real-Rasa tier: baked bots validate, train, pass their test stories and unit tests, hold the
walkthrough's conversations over REST with a live action server, and keep them in their tracker store.

Combinations: `pairwise` over Rasa line x pipeline x tracker store x custom actions (every pair of
values at least once; mongo-express and Kubernetes are deployment-only extras and stay off), drawn
from few models: a model is (line, pipeline, custom_actions), and the models hold every pair of those
three once. What does not depend on the tracker store (validation, training, test stories, action
unit tests) runs once per model. Excluded, with the reason printed in the pytest
header: combinations.REAL_RASA_EXCLUDED (spaCy on the 2.8 line).

Nothing here trusts an exit code or a fallback alone: reports are read, replies are compared with
the domain, and each conversation is looked up in the store itself (Rasa silently falls back to
memory when its store fails). The MongoDB combinations talk to the mongoeco wire-protocol
*emulator*, not MongoDB. spaCy bots use the stand-in model of tests/spacy-stand-in.txt.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import shutil
import uuid
from pathlib import Path

import pytest

import check_bot
import rasa_http
import smoke_test
from harness import rasa_cli, stores, venvs
from harness.bots import RasaProject, prepare
from harness.combinations import CHOICES, pairwise, runs_real_rasa_here, valid_combinations
from harness.processes import Service
from harness.rasa_servers import action_server, rasa_server, tracker, user_texts

pytestmark = pytest.mark.rasa


def bot_id(answers: dict) -> str:
    store = "mongo_emulator" if answers["tracker_store"] == "mongo" else answers["tracker_store"]
    return f"{answers['rasa_version']}-{answers['nlu_pipeline']}-{store}-{actions_id(answers)}"


def model_id(answers: dict) -> str:
    return f"{answers['rasa_version']}-{answers['nlu_pipeline']}-{actions_id(answers)}"


def actions_id(answers: dict) -> str:
    return "actions" if answers["custom_actions"] else "no_actions"


KEYS = ["rasa_version", "nlu_pipeline", "tracker_store", "custom_actions"]
MODEL_KEYS = ["rasa_version", "nlu_pipeline", "custom_actions"]  # what a trained model depends on
REAL_RASA = [a for a in valid_combinations() if runs_real_rasa_here(a)]
# Few models (a DIET one trains for minutes): every pair of the model's answers once (6 models, not
# the 10 of every triple). The conversations then pair each tracker store with every other answer,
# using only those models.
MODELS = {model_id(a) for a in pairwise(REAL_RASA, keys=MODEL_KEYS)}
COMBINATIONS = pairwise([a for a in REAL_RASA if model_id(a) in MODELS], keys=KEYS)
# One bot per model: the first combination of each (line, pipeline, custom_actions).
MODEL_COMBINATIONS = list(
    {(a["rasa_version"], a["nlu_pipeline"], a["custom_actions"]): a for a in COMBINATIONS[::-1]}.values()
)
MODEL_COMBINATIONS.sort(key=COMBINATIONS.index)
PERSISTENT_STORES = {"sqlite", "postgres", "redis", "mongo", "custom"}
# A new Rasa process reads a conversation back from the store: proven once per (line, store), the
# first combination of each; the pipeline and the actions answer do not change how a store is read.
RESTARTED = list({(a["rasa_version"], a["tracker_store"]): a for a in COMBINATIONS[::-1]}.values())
REDIS_DB = 13  # not Redis' default 0: proves the endpoints' db index is used


# `rasa data validate` output lines that look like problems (any *Warning, WARNING, ERROR)...
SUSPICIOUS = re.compile(r"Warning\b|\bWARNING\b|\bERROR\b")
# ...minus these, seen on every run and not about the bot: pattern -> why it is harmless.
KNOWN_HARMLESS = {
    r"site-packages/(rasa/shared/utils/validation|pkg_resources/__init__)\.py:\d+: DeprecationWarning: "
    r"(pkg_resources is deprecated as an API|Deprecated call to `pkg_resources\.declare_namespace)":
        "setuptools deprecations raised while Rasa 3.6 and matplotlib/ruamel are imported",
    r"site-packages/tensorflow/lite/python/util\.py:\d+: DeprecationWarning: jax\.xla_computation is deprecated":
        "TensorFlow 2.12 importing an old jax API at import time",
    r"site-packages/keras/utils/\w+\.py:\d+: DeprecationWarning: invalid escape sequence":
        "Keras 2.12 source strings compiled by Python 3.10 at import time",
    # The 2.8 line:
    r"site-packages/rasa/shared/\S+/markdown\w*\.py:\d+: FutureWarning: (Stories in Markdown format are|NLU data "
    r"in Markdown format is) deprecated":
        "Rasa 2.8 announcing that 3.0 drops Markdown: why the line exists (its README shows the migration)",
    r"site-packages/(tensorflow_addons/utils/ensure_tf_install|matplotlib/__init__|setuptools/_distutils/version)"
    r"\.py:\d+: DeprecationWarning: distutils Version classes are deprecated":
        "TensorFlow Addons, matplotlib and setuptools of the 2.8 lock using distutils at import time",
    r"site-packages/tensorflow/python/autograph/impl/api\.py:\d+: DeprecationWarning: the imp module is deprecated":
        "TensorFlow 2.6 (Rasa 2.8) importing imp",
    r"site-packages/sklearn/utils/multiclass\.py:\d+: DeprecationWarning: Please use `spmatrix`":
        "scikit-learn 0.24 (Rasa 2.8) importing a moved scipy name",
    r"site-packages/sklearn/utils/fixes\.py:\d+: DeprecationWarning: pkg_resources is deprecated as an API":
        "scikit-learn 0.24 (Rasa 2.8) importing pkg_resources",
}  # fmt: skip


def unexpected_lines(output: str) -> list[str]:
    return [
        line
        for line in output.splitlines()
        if SUSPICIOUS.search(line) and not any(re.search(pattern, line) for pattern in KNOWN_HARMLESS)
    ]


class Session:
    """Baked bots and trained models, shared by the tests of one pytest session."""

    def __init__(self, root) -> None:
        self.root = root
        self.models = root / "models"
        self.bots: dict[str, RasaProject] = {}

    def bot(self, answers: dict) -> RasaProject:
        key = bot_id(answers)
        if key not in self.bots:
            try:
                self.bots[key] = prepare({**answers, "mongo_express": False}, self.root / key)
            except venvs.ToolchainUnavailable as exc:
                venvs.unavailable(exc)
        return self.bots[key]

    def model(self, answers: dict):
        return rasa_cli.train(self.bot(answers), self.models)


@pytest.fixture(scope="session")
def e2e(tmp_path_factory) -> Session:
    return Session(tmp_path_factory.mktemp("rasa-e2e"))


# --- the combinations -------------------------------------------------------------------------


def test_combinations_cover_every_pair_of_choices():
    assert len(COMBINATIONS) == 18  # 3 pipelines x 6 stores need 18; the other pairs fit in them
    assert len(MODEL_COMBINATIONS) == 6  # spaCy (3.6 only) with and without actions needs 2 per line...
    for a, b in itertools.combinations(MODEL_KEYS, 2):  # ...and the models alone hold every pair
        wanted = {(x[a], x[b]) for x in REAL_RASA}
        assert {(x[a], x[b]) for x in MODEL_COMBINATIONS} == wanted, (a, b)
    for key in KEYS:
        assert {a[key] for a in COMBINATIONS} == set(CHOICES[key]), key
    for a, b in itertools.combinations(KEYS, 2):
        wanted = {(x[a], x[b]) for x in REAL_RASA}
        assert {(x[a], x[b]) for x in COMBINATIONS} == wanted, (a, b)
    assert {a["rasa_version"] for a in MODEL_COMBINATIONS} == {"3.6", "2.8"}
    assert len(RESTARTED) == len(CHOICES["rasa_version"]) * len(CHOICES["tracker_store"])
    assert not any(a["mongo_express"] or a["kubernetes"] for a in COMBINATIONS)


# --- per model: validate, story tests, action unit tests --------------------------------------


@pytest.mark.parametrize("answers", MODEL_COMBINATIONS, ids=model_id)
def test_data_validates_without_warnings(e2e, answers):
    result = rasa_cli.validate(e2e.bot(answers))
    result.check()
    assert unexpected_lines(result.output) == [], f"rasa data validate warned:\n{result.tail()}"


@pytest.mark.parametrize("answers", MODEL_COMBINATIONS, ids=model_id)
def test_every_test_story_passes(e2e, answers, tmp_path):
    bot = e2e.bot(answers)
    results = rasa_cli.run_test_stories(bot, e2e.model(answers), tmp_path / "results")
    assert results.passed, results.summary()
    assert results.stories >= 3 and not results.warned, results.summary()  # happy, sad, bot challenge


@pytest.mark.parametrize("answers", [a for a in MODEL_COMBINATIONS if a["custom_actions"]], ids=model_id)
def test_bots_own_action_tests_pass(e2e, answers):
    result = rasa_cli.run(e2e.bot(answers), "python", "-m", "pytest", "tests", "-p", "no:cacheprovider", label="pytest")
    result.check()
    summary = result.output.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"failed|error|skipped", summary), summary


def test_spacy_stand_in_leaves_the_rasa_venv_consistent(e2e):
    """The overlay only adds packages (it shadows nothing in the venv) and `pip check` stays clean
    with it on PYTHONPATH. Light and diet bots never see it: the venv itself is not modified."""
    bot = e2e.bot(next(a for a in MODEL_COMBINATIONS if a["nlu_pipeline"] == "spacy"))
    overlay = Path(bot.env["PYTHONPATH"])
    site_packages = next((bot.venv / "lib").glob("python3.*/site-packages"))
    added = {p.name for p in overlay.iterdir() if not p.name.startswith(".") and p.name != "bin"}
    assert added and not added & {p.name for p in site_packages.iterdir()}
    result = rasa_cli.run(bot, "python", "-m", "pip", "check", label="pip-check")
    print(result.output)
    assert result.returncode == 0 and "No broken requirements found" in result.output, result.output


# --- per combination: conversations and persistence -------------------------------------------


def hold(server: Service, sender: str, messages: list[str]) -> list[list[str]]:
    return [rasa_http.send(server.url, sender, message) for message in messages]


@pytest.mark.parametrize("answers", COMBINATIONS, ids=bot_id)
def test_conversations_and_persistence(e2e, answers, tmp_path, monkeypatch):
    monkeypatch.delenv("JOKE_API_URL", raising=False)  # smoke_test accepts any joke when it is set
    bot, model = e2e.bot(answers), e2e.model(answers)
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    messages = ["hello", "very sad"]
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(stores.fresh_store(bot, tmp_path, redis_db=REDIS_DB, name="e2e"))
        if store.kind == "redis":
            stack.callback(stores.delete_redis_keys, REDIS_DB, f"tracker:{sender}", "tracker:smoke-*")
        actions = stack.enter_context(action_server(bot)) if answers["custom_actions"] else None
        endpoints, env = stores.local_endpoints(bot, store, action_url=actions and f"{actions.url}/webhook")

        with rasa_server(bot, model, endpoints, env=env) as rasa:
            # The bot's own smoke test: happy path, sad path, bot challenge, fallback, exact replies.
            out = io.StringIO()
            failures = smoke_test.run_smoke(rasa.url, bot.path, out=out)
            print(out.getvalue())
            assert failures == [], "\n".join(failures)

            replies = hold(rasa, sender, messages)
            domain = smoke_test.load_domain(bot.path)
            cheer_up = domain["responses"]["utter_cheer_up"][0]["text"]
            if actions:
                assert replies[1][0] == cheer_up and len(replies[1]) == 2, replies
                jokes = (bot.path / "actions" / "jokes.txt").read_text(encoding="utf-8").splitlines()
                assert jokes and replies[1][1] in jokes, f"not one of actions/jokes.txt: {replies[1][1]!r}"
                assert "Received request to run 'action_joke'" in actions.log_text(), "the action server was not called"
            else:
                assert replies[1] == [cheer_up], replies
            assert user_texts(tracker(rasa, sender)["events"]) == messages
            if store.kind in PERSISTENT_STORES:
                assert store.user_texts(sender) == messages, f"{store.kind} store does not hold the conversation"
        if answers not in RESTARTED:
            return

        # A new Rasa process: only a real store still knows the conversation.
        with rasa_server(bot, model, endpoints, env=env) as rasa:
            after_restart = user_texts(tracker(rasa, sender)["events"])
            if store.kind in PERSISTENT_STORES:
                assert after_restart == messages, f"lost after a restart with the {store.kind} store: {after_restart}"
                assert store.user_texts(sender) == messages
            else:
                assert after_restart == [], f"in_memory kept the conversation across a restart: {after_restart}"


# --- the tier can fail ------------------------------------------------------------------------

# Broken copies start from a light model (the quickest to load) with a file store (nothing to clean up).
BROKEN_BASE = {
    **next(a for a in MODEL_COMBINATIONS if model_id(a) == "3.6-light-actions"),
    "tracker_store": "sqlite",
}
# The same two breakages in each line's test-story format (YAML for 3.6, Markdown for 2.8).
BROKEN_STORIES = {
    "3.6": ("tests/test_stories.yml", {
        "wrong-action": ("action: utter_happy", "action: utter_cheer_up"),  # the story expects another reply
        # NLU disagrees with the label (only caught with --e2e):
        "wrong-intent": ("amazing\n        intent: mood_happy", "very sad\n        intent: mood_happy"),
    }),
    "2.8": ("tests/test_stories.md", {
        "wrong-action": ("  - utter_happy", "  - utter_cheer_up"),
        "wrong-intent": ("* mood_happy: amazing", "* mood_happy: very sad"),
    }),
}  # fmt: skip
BROKEN_STORY_CASES = [
    (next(a for a in MODEL_COMBINATIONS if a["rasa_version"] == line and a["nlu_pipeline"] == "light"), breakage)
    for line in BROKEN_STORIES
    for breakage in ("wrong-action", "wrong-intent")
]


def copy_bot(bot: RasaProject, folder) -> RasaProject:
    """A copy of a baked bot (without run state), sharing its venv."""
    copy = RasaProject(path=folder / "bot", venv=bot.venv, scratch=folder / "scratch", answers=bot.answers,
                       env=dict(bot.env))  # fmt: skip
    shutil.copytree(bot.path, copy.path, ignore=shutil.ignore_patterns("state", ".rasa", "results", "models"))
    copy.scratch.mkdir(parents=True)
    return copy


def broken_copy(bot: RasaProject, tmp_path, relative: str, old: str, new: str) -> RasaProject:
    """A copy of a passing bot with one text replaced in one file (asserting it was there)."""
    copy = copy_bot(bot, tmp_path)
    path = copy.path / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


@pytest.mark.parametrize(
    ("answers", "breakage"), BROKEN_STORY_CASES, ids=[f"{model_id(a)}-{b}" for a, b in BROKEN_STORY_CASES]
)
def test_tier_fails_when_a_test_story_expects_something_else(e2e, tmp_path, answers, breakage):
    bot, model = e2e.bot(answers), e2e.model(answers)
    relative, breakages = BROKEN_STORIES[answers["rasa_version"]]
    broken = broken_copy(bot, tmp_path, relative, *breakages[breakage])
    results = rasa_cli.run_test_stories(broken, model, tmp_path / "results")
    assert not results.passed, results.summary()
    assert any(name.startswith("happy path") for name in results.failed), results.summary()


def test_tier_fails_when_a_story_uses_an_undeclared_action(e2e, tmp_path):
    bot = e2e.bot(BROKEN_BASE)
    broken = broken_copy(bot, tmp_path, "data/stories.yml", "action: utter_happy", "action: utter_undeclared")
    result = rasa_cli.validate(broken)
    problems = unexpected_lines(result.output)
    assert any("utter_undeclared" in line for line in problems), result.tail()


def test_tier_fails_when_the_bot_gives_a_wrong_reply(e2e, tmp_path, monkeypatch):
    """The model says the real greeting; the copy's domain expects another one: smoke must fail."""
    monkeypatch.delenv("JOKE_API_URL", raising=False)
    bot, model = e2e.bot(BROKEN_BASE), e2e.model(BROKEN_BASE)
    broken = broken_copy(bot, tmp_path, "domain.yml", "Hi, how is it going?", "Hello, how are you today?")
    store = stores.Store(kind=bot.answers["tracker_store"], bot=broken)
    with action_server(bot) as actions:
        endpoints, env = stores.local_endpoints(broken, store, action_url=f"{actions.url}/webhook")
        with rasa_server(broken, model, endpoints, env=env) as rasa:
            failures = smoke_test.run_smoke(rasa.url, broken.path, out=io.StringIO())
    assert any("utter_greet" in failure for failure in failures), failures


# --- the 2.8 bot README's migration path ------------------------------------------------------


def story_steps(bot_path) -> list[tuple]:
    return sorted((s.file.split("/")[0], s.name, s.intents, s.actions) for s in check_bot.load_bot(bot_path).stories)


def test_2_8_data_converts_into_data_rasa_3_6_validates(e2e, tmp_path):
    """README (2.8): `rasa data convert nlu|core -f yaml` run with 2.8 yields the 3.6 bot's data,
    which Rasa 3.6 validates with the 3.6 domain, config and pins."""
    answers = next(a for a in MODEL_COMBINATIONS if a["rasa_version"] == "2.8")
    bot = copy_bot(e2e.bot(answers), tmp_path / "2.8")
    before = set(bot.path.glob("*/*.yml"))
    for kind, source, out in [("nlu", "data/nlu.md", "data"), ("core", "data/stories.md", "data"),
                              ("core", "tests/test_stories.md", "tests")]:  # fmt: skip
        rasa_cli.run(bot, "rasa", "data", "convert", kind, "-f", "yaml", "--data", source, "--out", out,
                    label="convert").check()  # fmt: skip
        (bot.path / source).unlink()
    target = e2e.bot({**answers, "rasa_version": "3.6"})
    assert check_bot.load_bot(bot.path).examples == check_bot.load_bot(target.path).examples
    assert story_steps(bot.path) == story_steps(target.path)

    converted = sorted(set(bot.path.glob("*/*.yml")) - before)
    assert [p.parent.name for p in converted] == ["data", "data", "tests"], converted
    migrated = copy_bot(target, tmp_path / "3.6")  # its rules.yml and domain.yml: the README's steps 2-3
    for name in ("data/nlu.yml", "data/stories.yml", "tests/test_stories.yml"):
        (migrated.path / name).unlink()
    for path in converted:  # README step 2: the format version of Rasa 3
        text = path.read_text(encoding="utf-8")
        assert 'version: "2.0"' in text, path
        (migrated.path / path.parent.name / path.name).write_text(text.replace('version: "2.0"', 'version: "3.1"'))
    assert check_bot.check_bot(migrated.path) == []
    result = rasa_cli.validate(migrated)
    result.check()
    assert unexpected_lines(result.output) == [], result.tail()

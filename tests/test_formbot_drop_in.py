"""Real Rasa 3.6: Rasa's formbot, dropped into a fresh bake, runs in `make dev` after the steps the
bot's checker prints.

A user with the default bot (duckling=yes, custom_actions=yes) copies the files Rasa's formbot ships
(tests/bots/formbot_duckling: config.yml, domain.yml, endpoints.yml, credentials.yml, data/,
actions/, tests/) over it, runs the checker and does exactly what its `fix:` lines say: each is a
command this test runs as printed, and a fix it cannot run fails the test. Then `make dev` trains
(one light training, seconds) and serves, and the form is held over REST to its end: the cuisine
from CRFEntityExtractor, the number of people from Duckling's `number` (no example marks a number),
a number validate_restaurant_form refuses asked again, yes/no from intents, and the submit replies.
Then formbot's bot_challenge is added with two examples: the checker only warns (as `make check`
passes), so `make dev` trains it, prints the warning, and the bot answers.

Duckling is a stand-in, pointed at by RASA_DUCKLING_HTTP_URL as Compose and Kubernetes do (config.yml
keeps formbot's http://localhost:8000): a small HTTP server in this test that records each request and
answers with the numbers a tiny rule finds in the request's text (digits and English number words),
in the shape of Duckling's /parse answer. It proves the requests Rasa's DucklingEntityExtractor makes
and that its answer fills the form's slot. It cannot prove Duckling's own parsing (any other phrasing
of a number), nor that the rasa/duckling image starts: no registry is reachable here, so no real
Duckling runs in any tier. About 30 s (bake, checker, `make dev`'s start, 2 or 3 light trainings, 7 messages).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import rasa_http
from harness import bots, rasa_servers, stand_ins, venvs
from test_dev_loop import DevLoop

pytestmark = pytest.mark.rasa

FORMBOT = Path(__file__).with_name("bots") / "formbot_duckling"
# What Rasa's formbot ships, as a user copies it (not this corpus bot's README and docker-compose.yml).
FORMBOT_FILES = ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml", "data", "actions", "tests")
WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()
NUMBER = re.compile(r"\b(\d+|" + "|".join(WORDS) + r")\b", re.IGNORECASE)
REFUSED = "Number of people should be a positive integer, please try again"  # validate_restaurant_form
RUNNABLE_FIXES = {"mv", "rm"}  # the commands a fix may name for this test to run it
# Formbot's bot_challenge, added with two examples: the checker warns (D102), `make dev` trains it all the same.
BOT_CHALLENGE_NLU = """
  - intent: bot_challenge
    examples: |
      - are you a bot
      - am I talking to a bot
"""
BOT_CHALLENGE_RULE = """
  - rule: Bot challenge
    steps:
      - intent: bot_challenge
      - action: utter_iamabot
"""
IAMABOT = "I am a bot, powered by Rasa."


class Duckling(stand_ins.RecordingAPI):
    """Duckling's POST /parse: every digit string or number word of the text, as a `number` match."""

    calls: list[tuple[str, dict]] = []

    def answer(self, path: str, fields: dict) -> tuple[int, list]:
        if path != "/parse" or "number" not in json.loads(fields.get("dims") or "[]"):
            return 200, []
        return 200, [number_match(found) for found in NUMBER.finditer(fields.get("text", ""))]


def number_match(found: re.Match) -> dict:
    body = found.group(1)
    value = int(body) if body.isdigit() else WORDS.index(body.lower())
    return {"body": body, "start": found.start(1), "end": found.end(1), "dim": "number", "latent": False,
            "value": {"value": value, "type": "value"}}  # fmt: skip


def checker(bot: bots.RasaProject) -> tuple[int, str]:
    """`make check` as it runs in the bot (the venv's Python): exit code and what it printed."""
    result = subprocess.run([str(bot.venv / "bin" / "python"), "scripts/check_bot"], cwd=bot.path,
                            env=bot.run_env("check"), capture_output=True, text=True, timeout=120)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def apply_fixes(bot: bots.RasaProject, report: str) -> list[str]:
    """Run the command of each `fix:` line, as printed; the commands run."""
    commands = []
    for fix in re.findall(r"^    fix: (.*)$", report, re.MULTILINE):
        command = re.match(r"run `([^`]+)`", fix)
        assert command, f"the checker printed a fix this test cannot follow to the letter: {fix!r}\n{report}"
        argv = shlex.split(command.group(1))
        assert argv[0] in RUNNABLE_FIXES, f"a fix runs {argv[0]!r}, which this test does not run: {fix!r}"
        subprocess.run(argv, cwd=bot.path, check=True, timeout=30)
        commands.append(command.group(1))
    return commands


@pytest.fixture(scope="module")
def dropped_in(tmp_path_factory) -> tuple[bots.RasaProject, list[str]]:
    """The bake with formbot copied over it and the checker's fixes applied; the fixes run."""
    answers = {"rasa_version": "3.6", "nlu_pipeline": "light", "duckling": True, "custom_actions": True}
    try:
        bot = bots.prepare(answers, tmp_path_factory.mktemp("formbot"))
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    bake_endpoints = (bot.path / "config" / "endpoints.yml").read_text()
    for name in FORMBOT_FILES:
        source, target = FORMBOT / name, bot.path / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)  # over the bake's data/nlu.yml, actions/actions.py, ...
        else:
            shutil.copyfile(source, target)

    fixed = []
    for _ in range(3):  # a fix may uncover the next problem
        status, report = checker(bot)
        if status == 0:
            break
        fixed += apply_fixes(bot, report)
    assert status == 0 and "bot check passed" in report and "warning" not in report, report
    assert (bot.path / "config" / "config.yml").read_text() == (FORMBOT / "config.yml").read_text()
    assert (bot.path / "config" / "endpoints.yml").read_text() == bake_endpoints, "the bake's endpoints were lost"
    return bot, fixed


def test_the_checker_says_how_to_use_formbots_config_files(dropped_in):
    _, fixed = dropped_in
    assert fixed == ["mv config.yml config/config.yml", "rm endpoints.yml", "rm credentials.yml"]


def test_make_dev_holds_formbots_form_with_duckling_numbers_and_trains_past_warnings(dropped_in):
    bot, _ = dropped_in
    with stand_ins.serving(Duckling) as duckling:
        bot.env["RASA_DUCKLING_HTTP_URL"] = duckling  # what Compose sets; `make dev` passes its environment on
        dev = DevLoop(bot)
        try:
            dev.expect(r"Training the current files: trained in")
            dev.expect(r"Watching for saves")
            conversation = [
                ("I'd like to book a table", ["What cuisine?"]),
                ("italian", ["How many people?"]),
                ("we are zero", [REFUSED, "How many people?"]),
                ("we are 4", ["Do you want to sit outside?"]),
                ("yes", ["Please provide additional preferences"]),
            ]
            for text, expected in conversation:
                assert rasa_http.send(dev.url, "formbot", text) == expected, f"after {text!r}:\n{dev.output()}"
            submitted = rasa_http.send(dev.url, "formbot", "no")
            token = re.search(r"^RASA_AUTH_TOKEN=(.+)$", (bot.path / ".env").read_text(), re.MULTILINE).group(1)
            tracker = rasa_servers.tracker(SimpleNamespace(url=dev.url, token=token), "formbot")
            sent = [fields for _, fields in Duckling.calls]

            # Saves the checker only warns about (`make check` passes) train, and the warnings are shown.
            # The domain first: each save is then warned about (D103, then D102), never an error.
            domain = bot.path / "domain.yml"
            text = domain.read_text().replace("  - thankyou\n", "  - thankyou\n  - bot_challenge\n", 1)
            domain.write_text(
                text.replace("responses:\n", f'responses:\n  utter_iamabot:\n    - text: "{IAMABOT}"\n', 1)
            )
            with open(bot.path / "data" / "nlu.yml", "a") as nlu:
                nlu.write(BOT_CHALLENGE_NLU)
            with open(bot.path / "data" / "rules.yml", "a") as rules:
                rules.write(BOT_CHALLENGE_RULE)
            first = dev.expect(r": trained in|^ERROR: ")
            assert "trained in" in first, f"a save with warnings only was refused:\n{dev.output()}"
            if "data/rules.yml" not in first:
                dev.expect(r"data/rules\.yml.*: trained in")
            dev.expect(r"^data/nlu\.yml:\d+: D102 warning: intent 'bot_challenge' has only 2 NLU example")
            assert rasa_http.send(dev.url, "challenger", "are you a bot") == [IAMABOT], dev.output()
        finally:
            dev.stop()
            bot.env.pop("RASA_DUCKLING_HTTP_URL")

    assert submitted[0] == "All done!" and len(submitted) == 2, submitted
    for filled in ("cuisine: italian", "outdoor_seating: True", "preferences: no additional preferences"):
        assert filled in submitted[1], submitted
    assert re.search(r"num_people: 4(\.0)?\b", submitted[1]), submitted
    numbers = [
        (event["text"], entity["value"])
        for event in tracker["events"]
        if event.get("event") == "user"
        for entity in event["parse_data"]["entities"]
        if entity["entity"] == "number" and entity["extractor"] == "DucklingEntityExtractor"
    ]
    assert numbers == [("we are zero", 0), ("we are 4", 4)], numbers
    texts = [text for text, _ in conversation] + ["no"]
    assert [(fields["text"], json.loads(fields["dims"])) for fields in sent] == [(text, ["number"]) for text in texts]
    assert {path for path, _ in Duckling.calls} == {"/parse"}
    # Rasa 3.6 sends no locale unless config.yml sets one (Duckling then reads English) and no tz.
    assert all(set(fields) == {"text", "dims", "reftime"} and fields["reftime"].isdigit() for fields in sent), sent

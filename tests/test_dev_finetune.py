"""`make dev` on a DIET bot (scripts/dev.py, scripts/finetune.py) with real Rasa 3.6: a save that
keeps the labels fine-tunes the served model and the new example is answered; a new intent trains
from scratch. Each line says which and why (a save of config/config.yml: test_dev_script.py's). The test's copy of
config.yml trains for few epochs so the module stays short; no timing is asserted (benchmarks/)."""

from __future__ import annotations

import re

import pytest

from test_dev_loop import GREETING, WEATHER_NLU, WEATHER_RULE, DevLoop, edit, prepare

pytestmark = pytest.mark.rasa

EPOCHS = 20  # DIET, TED and ResponseSelector; the bake's 100 take a minute per training on 2 cores
FRACTION = 0.5  # of them to fine-tune (make dev's default 0.2 is for the bake's 100)
# Words the model knows (a fine-tune keeps the vocabulary), said of other intents: not a greeting yet.
KNOWN_WORDS_GREETING = "call me friend"
NEW_GREETING = "Hi there, how is it going?"


@pytest.fixture
def diet_bot(tmp_path_factory):
    bot = prepare({"nlu_pipeline": "diet", "custom_actions": False}, tmp_path_factory)
    config = bot.path / "config" / "config.yml"
    text = config.read_text()
    assert text.count("epochs: 100") == 3, text
    config.write_text(text.replace("epochs: 100", f"epochs: {EPOCHS}"))
    return bot


def test_make_dev_fine_tunes_a_diet_bot_when_the_labels_stay_and_trains_from_scratch_when_not(diet_bot):
    dev = DevLoop(diet_bot, f"--epoch-fraction {FRACTION}")
    try:
        dev.expect(r"^Training the current files: trained in [\d.]+ s from scratch \(no model to fine-tune yet\)")
        dev.expect(r"Watching for saves")
        assert dev.say("hello") == [GREETING]

        # A new example of known words and a changed response text, saved together: the labels stay, so
        # the served model is fine-tuned (Rasa's own check agrees, or the line gives its refusal).
        assert dev.say(KNOWN_WORDS_GREETING) != [GREETING]
        domain = diet_bot.path / "domain.yml"
        edit(domain, f'"{GREETING}"', f'"{NEW_GREETING}"')
        edit(diet_bot.path / "data" / "nlu.yml", "      - hello\n", f"      - hello\n      - {KNOWN_WORDS_GREETING}\n")
        saved: set[str] = set()
        while saved != {"data/nlu.yml", "domain.yml"}:  # one line for both, or one each (watchfiles may split them)
            line = dev.expect(r"^(data/nlu\.yml|domain\.yml)(, domain\.yml)?: ")
            assert re.match(r"[^:]+: fine-tuned in [\d.]+ s \(labels unchanged\), loaded in", line), dev.output()
            saved |= set(line.split(": ", 1)[0].split(", "))
        assert dev.say(KNOWN_WORDS_GREETING) == [NEW_GREETING]
        assert dev.say("hello") == [NEW_GREETING]

        # A new intent with a new response (and new words): from scratch, and the line names the intent.
        with open(diet_bot.path / "data" / "nlu.yml", "a") as nlu:
            nlu.write(WEATHER_NLU)
        with open(diet_bot.path / "data" / "rules.yml", "a") as rules:
            rules.write(WEATHER_RULE)
        edit(domain, "  - out_of_scope\n", "  - out_of_scope\n  - ask_weather\n")
        edit(domain, "responses:\n", 'responses:\n  utter_weather:\n    - text: "Always sunny in here."\n')
        line = dev.expect(r"domain\.yml.*: (trained|fine-tuned) in")
        assert re.search(r": trained in [\d.]+ s from scratch \(new intent 'ask_weather'\)", line), dev.output()
        assert dev.say("what is the weather like") == ["Always sunny in here."]
    finally:
        dev.stop()

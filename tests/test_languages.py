"""The `language` answer: one table per language (languages/<code>.yml) holds every text, and
each language renders a consistent bot (the bake matrix bakes them all: secondary_combinations)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from benchmarks.run import normalise  # how the benchmark tells an evaluation message from an example
from check_bot import load_bot
from harness.combinations import CHOICES, PINS, TEMPLATE_DIR

LANGUAGES = CHOICES["language"]
ENGLISH = "en"


def table(language: str) -> dict:
    return yaml.safe_load((TEMPLATE_DIR / "languages" / f"{language}.yml").read_text(encoding="utf-8"))


def test_languages_are_iso_codes_with_english_first():
    assert LANGUAGES[0] == ENGLISH and len(set(LANGUAGES)) == len(LANGUAGES) == 6
    assert all(re.fullmatch(r"[a-z]{2}", code) for code in LANGUAGES)
    assert sorted(p.stem for p in (TEMPLATE_DIR / "languages").glob("*.yml")) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_table_has_what_english_has(language):
    english, text = table(ENGLISH), table(language)
    assert text.keys() == english.keys()
    assert text["responses"].keys() == english["responses"].keys()
    assert list(text["nlu"]) == list(english["nlu"])
    assert {k: len(v) for k, v in text["tests"].items()} == {k: len(v) for k, v in english["tests"].items()}
    assert len(text["jokes"]) >= 3 and all(joke.strip() and "\n" not in joke for joke in text["jokes"])
    assert text["form"]["responses"].keys() == english["form"]["responses"].keys()
    assert list(text["form"]["nlu"]) == list(english["form"]["nlu"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_s_examples_are_distinct_and_its_test_story_uses_them(language):
    """starter_skill=form: its intents' examples appear once, in no walkthrough intent, and the test
    story's messages are examples of the intents the story names (give_feedback, rate, affirm)."""
    text = table(language)
    form = {normalise(e): intent for intent, texts in text["form"]["nlu"].items() for e in texts}
    walkthrough = {normalise(e) for texts in text["nlu"].values() for e in texts}
    assert sum(len(texts) for texts in text["form"]["nlu"].values()) == len(form), "an example appears twice"
    assert not set(form) & walkthrough
    assert all(len(texts) >= 10 for texts in text["form"]["nlu"].values())
    assert [form.get(normalise(m)) for m in text["form"]["tests"]["feedback"]] == ["give_feedback", "rate", "affirm"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_training_examples_are_many_distinct_and_unseen_by_the_evaluation(language):
    examples = {intent: [normalise(e) for e in texts] for intent, texts in table(language)["nlu"].items()}
    for intent, texts in examples.items():
        assert 15 <= len(texts) <= 30, f"{intent}: {len(texts)} examples"
    flat = [e for texts in examples.values() for e in texts]
    assert len(flat) == len(set(flat)), "an example appears twice (or in two intents)"
    held_out = yaml.safe_load((TEMPLATE_DIR / "benchmarks" / "paraphrases" / f"{language}.yml").read_text("utf-8"))
    evaluation = [t for texts in held_out["in_scope"].values() for t in texts] + held_out["out_of_scope"]
    assert not {normalise(t) for t in evaluation} & set(flat), "an evaluation message is a training example"
    assert {intent for intent in held_out["in_scope"]} == set(examples) - {"out_of_scope"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_test_story_messages_are_examples_of_their_intents(language):
    text = table(language)
    intents = {normalise(e): intent for intent, texts in text["nlu"].items() for e in texts}
    expected = {
        "happy_path": ["greet", "mood_happy", "goodbye"],
        "sad_path": ["greet", "mood_unhappy", "goodbye"],
        "bot_challenge": ["bot_challenge"],
    }
    assert {name: [intents.get(normalise(m)) for m in messages] for name, messages in text["tests"].items()} == expected


def test_english_keeps_the_walkthrough_and_knows_happy_and_blue():
    text = table(ENGLISH)
    assert text["responses"]["utter_greet"] == "Hi, how is it going?"
    happy = " ".join(text["nlu"]["mood_happy"]).casefold()
    assert re.search(r"\bhappy\b", happy) and "glad" in happy
    unhappy = " ".join(text["nlu"]["mood_unhappy"]).casefold()
    assert "blue" in unhappy and "low" in unhappy


@pytest.mark.parametrize("language", LANGUAGES)
def test_bot_speaks_its_language(bake, language):
    bot = bake(language=language, rasa_version="3.6")
    text = table(language)
    assert bot.yaml("config/config.yml")["language"] == language
    responses = bot.yaml("domain.yml")["responses"]
    assert {name: variants[0]["text"] for name, variants in responses.items()} == text["responses"]
    assert bot.text("actions/jokes.txt").splitlines() == text["jokes"]
    examples = load_bot(bot.path).examples
    assert {i: sorted(e) for i, e in examples.items()} == {i: sorted(e) for i, e in text["nlu"].items()}


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt"])
def test_markdown_line_keeps_every_letter(bake, language):
    """Rasa 2.8's Markdown data (written by the post-gen hook) holds the same non-ASCII texts."""
    markdown = bake(language=language, rasa_version="2.8", project_slug="md_bot")
    yaml_bot = bake(language=language, rasa_version="3.6", project_slug="yaml_bot")
    assert load_bot(markdown.path).examples == load_bot(yaml_bot.path).examples
    assert re.search(r"[^\x00-\x7f]", markdown.text("data/nlu.md"))


@pytest.mark.parametrize("language", ["en", "de", "it"])
def test_spacy_uses_the_language_image_and_model(bake, language):
    bot = bake(language=language, nlu_pipeline="spacy")
    assert f"-spacy-{language}\n" in bot.text("rasa.Dockerfile")
    assert bot.yaml("config/config.yml")["pipeline"][0]["model"] == PINS["spacy_models"][language]


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - set(PINS["spacy_models"])))
def test_spacy_without_an_image_is_refused(tmp_path, language):
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE_DIR)]
    result = subprocess.run(
        [*cookiecutter, f"language={language}", "nlu_pipeline=spacy"], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr  # refused before anything is written (rasa_template/jinja.py)
    assert result.returncode != 0
    assert f"which exists for language=en | de | it only (you chose '{language}')" in output, output
    assert "answer nlu_pipeline=light | diet, or language=en | de | it." in output
    assert list(tmp_path.iterdir()) == []

"""The checker on bots written the way people write them, not rendered by this template.

tests/bots/ holds small, valid Rasa bots of the kinds teams build (forms with validation actions,
Rasa's formbot with Duckling, retrieval intents, a knowledge base, reminders and external events,
entities with roles and groups, a domain/ folder, several data files, a Rasa 2.8 Markdown bot; see
each bot's README.md).
Three tiers:

- fast: the checker reports nothing on each of them (no error, no warning);
- fast: a typical mistake planted in one of them yields an error that names it;
- real Rasa (marker `rasa`): each bot is valid for Rasa itself, proven by `rasa data validate`
  (its output read, not only its exit code) and `rasa train` (the model file must exist).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_check_bot import replace  # one way to plant a mistake in a bot
from test_rasa_e2e import unexpected_lines

import check_bot
from harness import rasa_cli, venvs
from harness.bots import RasaProject, bake

CORPUS = Path(__file__).with_name("bots")
BOTS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


def corpus_copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(CORPUS / name, target)
    return target


def describe(problems) -> str:
    return "\n".join(map(str, problems)) or "no problems"


def test_the_corpus_has_the_bots_the_docstring_names():
    assert BOTS == ["faq_chitchat", "formbot_duckling", "kb_reminders", "restaurant_forms", "weather_rasa28"]


@pytest.mark.parametrize("name", BOTS)
def test_checker_passes_every_corpus_bot(name):
    problems = check_bot.check_bot(CORPUS / name)
    assert problems == [], describe(problems)


# Typical mistakes, each planted in a bot the checker was not written against: (bot, mutation, file, what).
MISTAKES = {
    "form-slot-undefined": (
        "restaurant_forms",
        replace("domain/forms.yml", "      - feedback\n", "      - feedback\n      - allergies\n"),
        "domain/forms.yml",
        "form 'restaurant_form' requires slot 'allergies', which is not defined",
    ),
    "form-slot-never-asked": (
        "restaurant_forms",
        replace("domain/responses.yml", "  utter_ask_feedback:\n", "  utter_ask_feedbacks:\n"),
        "domain/forms.yml",
        "form 'restaurant_form' has no way to ask for slot 'feedback'",
    ),
    "active-loop-typo": (
        "restaurant_forms",
        replace(
            "data/core/rules.yml",
            "    condition:\n      - active_loop: restaurant_form",
            "    condition:\n      - active_loop: restaurant_from",
        ),
        "data/core/rules.yml",
        "'submit form' has active_loop 'restaurant_from', which is not a form",
    ),
    "slot-was-set-typo": (
        "restaurant_forms",
        replace("data/core/stories.yml", "          - requested_slot: cuisine", "          - requested_slott: cuisine"),
        "data/core/stories.yml",
        "sets slot 'requested_slott'",
    ),
    "mapping-entity-typo": (
        "restaurant_forms",
        replace("domain/forms.yml", "        entity: number", "        entity: num"),
        "domain/forms.yml",
        "slot 'num_people' is filled from entity 'num'",
    ),
    "nlu-entity-typo": (
        "restaurant_forms",
        replace("data/nlu/restaurant.yml", "[thai](cuisine)", "[thai](cusine)"),
        "data/nlu/restaurant.yml",
        "marks entity 'cusine'",
    ),
    "story-intent-typo": (
        "restaurant_forms",
        replace("data/core/stories.yml", "- intent: request_restaurant", "- intent: request_restaurnt"),
        "data/core/stories.yml",
        "uses intent 'request_restaurnt'",
    ),
    "retrieval-response-typo": (
        "faq_chitchat",
        replace("data/rules.yml", "action: utter_faq\n", "action: utter_faqs\n"),
        "data/rules.yml",
        "uses 'utter_faqs', which has no response",
    ),
    "socketio-channel-missing": (
        "faq_chitchat",
        replace("config/credentials.yml", "socketio:", "socket_io:"),
        "config/credentials.yml",
        "connects over socket.io, but there is no socketio channel",
    ),
    "nginx-host-not-a-service": (
        "faq_chitchat",
        replace("web/nginx.conf", "proxy_pass http://rasa:5005;", "proxy_pass http://rasa-server:5005;"),
        "web/nginx.conf",
        "proxies to host 'rasa-server'",
    ),
    "duckling-service-missing": (
        "kb_reminders",
        replace("docker-compose.yml", "  duckling:\n    image: rasa/duckling:0.2.0.2\n", ""),
        "config/config.yml",
        "DucklingEntityExtractor url points at host 'duckling'",
    ),
    "transformers-missing": (
        "kb_reminders",
        replace(
            "config/config.yml",
            "  - name: LexicalSyntacticFeaturizer\n",
            "  - name: LexicalSyntacticFeaturizer\n  - name: LanguageModelFeaturizer\n",
        ),  # fmt: skip
        "docker-compose.yml",
        "the pipeline uses LanguageModelFeaturizer, which needs transformers",
    ),
    "duplicated-domain-key": (
        "kb_reminders",
        replace("domain.yml", "\nactions:\n", "\nresponses:\n  utter_bye:\n    - text: Bye\n\nactions:\n"),
        "domain.yml",
        "has the key 'responses' twice",
    ),
    "rasa2-form-mapping-typo": (
        "weather_rasa28",
        replace("domain.yml", "          entity: city", "          entity: town"),
        "domain.yml",
        "slot 'city' is filled from entity 'town'",
    ),
    "markdown-entity-typo": (
        "weather_rasa28",
        replace("data/nlu.md", "weather in [Berlin](city)", "weather in [Berlin](cty)"),
        "data/nlu.md",
        "marks entity 'cty'",
    ),
    "action-name-typo": (
        "kb_reminders",
        replace("actions/reminders.py", 'SET_REMINDER = "action_set_reminder"', 'SET_REMINDER = "action_set_remider"'),
        "domain.yml",
        "custom action 'action_set_reminder' has no implementation in actions/",
    ),
}


@pytest.mark.parametrize(("name", "mutation", "file", "what"), MISTAKES.values(), ids=MISTAKES.keys())
def test_a_planted_mistake_is_an_error(tmp_path, name, mutation, file, what):
    bot = corpus_copy(name, tmp_path)
    mutation(bot)
    problems = check_bot.check_bot(bot)
    matching = [p for p in check_bot.errors(problems) if what in p.what]
    assert matching, describe(problems)
    assert matching[0].file == file, describe(problems)


# --- real Rasa -------------------------------------------------------------------------------

# Rasa messages that are expected on valid bots: pattern -> why.
RASA_NOTES = {
    r"UserWarning: The (intent|utterance) '\w+' is not used in any story or rule":
        "Rasa's validator does not see what forms and actions use (utter_ask_*, slot-filling intents)",
    r"UserWarning: The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU training data":
        "external intents come from trigger_intent or reminders, never from users",
    r"UserWarning: The following duplicated intents have been found across multiple domain files: chitchat, faq":
        "Rasa 3.6 merges the retrieval intents of data/responses.yml into the domain and calls them duplicates",
    r"WARNING .*You are using an experimental feature: Action 'action_query_knowledge_base'":
        "the knowledge-base action is experimental in Rasa 3.6",
}  # fmt: skip


@pytest.fixture(scope="module")
def rasa_venvs(tmp_path_factory):
    """line -> the pinned Rasa venv of a default bot of that line (built once, cached by harness.venvs)."""
    by_line = {}

    def venv(line: str) -> Path:
        if line not in by_line:
            bot = bake({"rasa_version": line}, tmp_path_factory.mktemp(f"default-{line}"))
            try:
                by_line[line] = venvs.rasa_venv(bot)
            except venvs.ToolchainUnavailable as exc:
                venvs.unavailable(exc)
        return by_line[line]

    return venv


@pytest.mark.rasa
@pytest.mark.parametrize("name", BOTS)
def test_rasa_validates_and_trains_every_corpus_bot(rasa_venvs, tmp_path, name):
    path = corpus_copy(name, tmp_path)
    loaded = check_bot.load_bot(path)
    domain, config = loaded.domain_file.rstrip("/"), loaded.file("config")
    line = "2.8" if set(loaded.format_versions.values()) == {"2.0"} else "3.6"  # the domain's format says
    bot = RasaProject(path=path, venv=rasa_venvs(line), scratch=tmp_path / "scratch", answers={})

    result = rasa_cli.run(bot, "rasa", "data", "validate", "--domain", domain, "--data", "data", "--config", config,
                          label="validate")  # fmt: skip
    result.check()
    assert "Validating intents" in result.output and "No story structure conflicts found" in result.output, (
        result.tail()
    )
    problems = [line for line in unexpected_lines(result.output) if not any(re.search(p, line) for p in RASA_NOTES)]
    assert problems == [], f"rasa data validate reported:\n{result.tail()}"

    models = tmp_path / "models"
    result = rasa_cli.run(bot, "rasa", "train", "--domain", domain, "--data", "data", "--config", config,
                          "--out", str(models), "--fixed-model-name", name, label="train")  # fmt: skip
    result.check()
    model = models / f"{name}.tar.gz"
    assert model.is_file() and model.stat().st_size > 0, f"rasa train wrote no {model}:\n{result.tail()}"
    assert not re.search(r"\bERROR\b", result.output), result.tail()

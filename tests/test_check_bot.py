"""The bot checker: a freshly baked bot passes, and each rule, broken on purpose, fires alone.

Every case bakes a good bot whose answers make the rule applicable, checks that it is clean,
breaks it in exactly one way and expects exactly one problem, naming the file and what is wrong.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import yaml

from check_bot import DUCKLING_IMAGE, MIN_EXAMPLES_PER_INTENT, RULES, Problem, check_bot, errors, main
from harness.combinations import PINS

RASA = PINS["rasa_lines"]["3.6"]["rasa"]
RASA_SDK = PINS["rasa_lines"]["3.6"]["rasa_sdk"]

# Good bots that make the rules applicable.
ACTIONS_AND_DB = {"rasa_version": "3.6", "nlu_pipeline": "light", "tracker_store": "postgres", "custom_actions": True}
SPACY = {**ACTIONS_AND_DB, "nlu_pipeline": "spacy"}
CUSTOM_STORE = {**ACTIONS_AND_DB, "tracker_store": "custom"}
NO_ACTIONS = {**ACTIONS_AND_DB, "tracker_store": "sqlite", "custom_actions": False}
KUBERNETES = {**ACTIONS_AND_DB, "kubernetes": True}
NO_WEB_CHAT = {**ACTIONS_AND_DB, "web_chat": False}  # no page and no socketio channel
DUCKLING = {**ACTIONS_AND_DB, "duckling": True}
DUCKLING_CLUSTER = {**KUBERNETES, "duckling": True}
CLUSTER_ENDPOINTS = "deploy/kubernetes/base/config/endpoints.yml"

# A fix starts with what to do.
FIX_VERBS = {
    "add",
    "create",
    "define",
    "delete",
    "fix",
    "flatten",
    "merge",
    "point",
    "remove",
    "rename",
    "run",
    "save",
    "start",
}
FIX_VERBS |= {"use", "write"}

Mutation = Callable[[Path], None]


# -- mutations: each returns a function that breaks a baked bot in one place ---------------------
def replace(relative: str, old: str, new: str) -> Mutation:
    def mutate(bot: Path) -> None:
        path = bot / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"expected {old!r} exactly once in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def append(relative: str, addition: str) -> Mutation:
    def mutate(bot: Path) -> None:
        path = bot / relative
        path.write_text(path.read_text(encoding="utf-8") + addition, encoding="utf-8")

    return mutate


def change_yaml(relative: str, change: Callable[[dict], object]) -> Mutation:
    """Load the file, let `change` edit the data in place, write it back."""

    def mutate(bot: Path) -> None:
        path = bot / relative
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    return mutate


def delete(relative: str) -> Mutation:
    return lambda bot: (bot / relative).unlink()


def copy(source: str, target: str) -> Mutation:
    return lambda bot: shutil.copyfile(bot / source, bot / target)


def combine(*mutations: Mutation) -> Mutation:
    def mutate(bot: Path) -> None:
        for mutation in mutations:
            mutation(bot)

    return mutate


# -- small data edits ---------------------------------------------------------------------------
def examples(count: int) -> str:
    return "".join(f"- example number {i}\n" for i in range(count))


def set_examples(intent: str, count: int) -> Callable[[dict], None]:
    def change(nlu: dict) -> None:
        (block,) = (b for b in nlu["nlu"] if b.get("intent") == intent)
        block["examples"] = examples(count)

    return change


def first_story_step(step: dict) -> Callable[[dict], None]:
    return lambda stories: stories["stories"][0]["steps"].append(step)


def add_service(name: str, image: str) -> Callable[[dict], None]:
    return lambda compose: compose["services"].update({name: {"image": image}})


def add_duckling(url: str) -> Callable[[dict], None]:
    return lambda config: config["pipeline"].append({"name": "DucklingEntityExtractor", "url": url})


def drop_component(name: str) -> Callable[[dict], None]:
    return lambda config: config.update(pipeline=[c for c in config["pipeline"] if c["name"] != name])


# An entity annotated in an example, declared in the domain, and no pipeline component to extract it.
ENTITY_WITHOUT_EXTRACTOR = combine(
    replace("data/nlu.yml", "      - am I talking to a human?", "      - am I talking to a [human](being)?"),
    change_yaml("domain.yml", lambda domain: domain.update(entities=["being"])),
    change_yaml("config/config.yml", drop_component("CRFEntityExtractor")),
)


def drop_action_server(compose: dict) -> None:
    del compose["services"]["action_server"]
    del compose["services"]["rasa"]["depends_on"]["action_server"]


EXTRA_ACTION = """

class ActionDance(Action):
    def name(self) -> str:
        return "action_dance"
"""


FORM = {"feedback_form": {"required_slots": ["rating"]}}
RATING_SLOT = {"rating": {"type": "text", "mappings": [{"type": "from_text"}]}}
SOCKETIO_PAGE = '<script src="https://cdn.socket.io/4.8.1/socket.io.min.js"></script>\n'


def add_form(domain: dict, *, slot: bool = True, ask: bool = True) -> None:
    domain["forms"] = dict(FORM)
    if slot:
        domain["slots"] = dict(RATING_SLOT)
    if ask:
        domain["responses"]["utter_ask_rating"] = [{"text": "How would you rate it?"}]


def write(relative: str, text: str) -> Mutation:
    def mutate(bot: Path) -> None:
        (bot / relative).parent.mkdir(parents=True, exist_ok=True)
        (bot / relative).write_text(text, encoding="utf-8")

    return mutate


def case(case_id: str, answers: dict, mutation: Mutation, file: str, rule: str, what: str, level: str = "error"):
    """One row: bake with answers, apply mutation, expect one problem of rule in file whose what contains what."""
    return pytest.param(answers, mutation, file, rule, what, level, id=case_id)


CASES = [
    case(
        "nlu-invalid-yaml",
        ACTIONS_AND_DB,
        replace("data/nlu.yml", "- intent: greet", "- intent: [greet"),
        "data/nlu.yml",
        "F002",
        "is not valid YAML",
    ),
    case(
        "story-intent-undeclared",
        ACTIONS_AND_DB,
        replace("data/stories.yml", "- intent: mood_happy", "- intent: mood_great"),
        "data/stories.yml",
        "D101",
        "'happy path' uses intent 'mood_great', which domain.yml does not declare",
    ),
    case(
        "nlu-intent-undeclared",
        ACTIONS_AND_DB,
        change_yaml(
            "data/nlu.yml",
            lambda nlu: nlu["nlu"].append({"intent": "ask_weather", "examples": examples(MIN_EXAMPLES_PER_INTENT)}),
        ),
        "data/nlu.yml",
        "D104",
        "NLU examples for intent 'ask_weather', which domain.yml does not declare",
    ),
    case(
        "intent-too-few-examples",
        ACTIONS_AND_DB,
        change_yaml("data/nlu.yml", set_examples("bot_challenge", MIN_EXAMPLES_PER_INTENT - 1)),
        "data/nlu.yml",
        "D102",
        f"intent 'bot_challenge' has only {MIN_EXAMPLES_PER_INTENT - 1} NLU example(s)",
        "warning",
    ),
    case(
        "story-action-undeclared",
        ACTIONS_AND_DB,
        change_yaml("data/stories.yml", first_story_step({"action": "action_dance"})),
        "data/stories.yml",
        "D109",
        "uses action 'action_dance', which domain.yml does not declare",
    ),
    case(
        "story-utter-without-response",
        ACTIONS_AND_DB,
        change_yaml("data/stories.yml", first_story_step({"action": "utter_dance"})),
        "data/stories.yml",
        "D108",
        "uses 'utter_dance', which has no response",
    ),
    case(
        "domain-utter-without-response",
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: domain["actions"].append("utter_dance")),
        "domain.yml",
        "D110",
        "action 'utter_dance' is listed but has no response",
    ),
    case(
        "domain-templates-key",
        ACTIONS_AND_DB,
        replace("domain.yml", "\nresponses:", "\ntemplates:"),
        "domain.yml",
        "D111",
        "uses the key 'templates:'",
    ),
    case(
        "custom-action-not-implemented",
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: domain["actions"].append("action_dance")),
        "domain.yml",
        "A101",
        "custom action 'action_dance' has no implementation",
    ),
    case(
        "implemented-action-not-in-domain",
        ACTIONS_AND_DB,
        append("actions/actions.py", EXTRA_ACTION),
        "actions/actions.py",
        "A103",
        "implements action 'action_dance', which domain.yml does not list",
    ),
    case(
        "custom-actions-without-action-endpoint",
        ACTIONS_AND_DB,
        # Without the compose service too, or the unused-action-server rule fires as well.
        combine(
            change_yaml("config/endpoints.yml", lambda endpoints: endpoints.pop("action_endpoint")),
            change_yaml("docker-compose.yml", drop_action_server),
        ),
        "config/endpoints.yml",
        "A104",
        "custom actions but there is no action_endpoint",
    ),
    case(
        "tracker-store-host-not-a-service",
        ACTIONS_AND_DB,
        replace("config/endpoints.yml", "url: postgres", "url: db"),
        "config/endpoints.yml",
        "C101",
        "tracker_store points at host 'db', which docker-compose.yml does not run",
    ),
    case(
        "action-endpoint-host-not-a-service",
        ACTIONS_AND_DB,
        replace("config/endpoints.yml", "http://action_server:", "http://actions:"),
        "config/endpoints.yml",
        "C101",
        "action_endpoint points at host 'actions', which docker-compose.yml does not run",
    ),
    case(
        "database-service-unused",
        ACTIONS_AND_DB,
        change_yaml("docker-compose.yml", add_service("cache", PINS["images"]["redis"])),
        "docker-compose.yml",
        "C103",
        "service 'cache' runs a database but no endpoint uses it",
        "warning",
    ),
    case(
        "action-server-service-unused",
        NO_ACTIONS,
        change_yaml("docker-compose.yml", add_service("action_server", f"rasa/rasa-sdk:{RASA_SDK}")),
        "docker-compose.yml",
        "C102",
        "service 'action_server' runs an action server but no endpoint uses it",
        "warning",
    ),
    case(
        "custom-tracker-store-module-missing",
        CUSTOM_STORE,
        delete("addons/json_file_tracker_store.py"),
        "config/endpoints.yml",
        "C104",
        "needs addons/json_file_tracker_store.py, which is missing",
    ),
    case(
        "custom-tracker-store-class-wrong",
        CUSTOM_STORE,
        replace("config/endpoints.yml", ".JsonFileTrackerStore", ".JsonTrackerStore"),
        "addons/json_file_tracker_store.py",
        "C105",
        "does not define class 'JsonTrackerStore'",
    ),
    case(
        "custom-tracker-store-class-only-a-prefix",
        CUSTOM_STORE,
        replace("config/endpoints.yml", ".JsonFileTrackerStore", ".JsonFile"),
        "addons/json_file_tracker_store.py",
        "C105",
        "does not define class 'JsonFile'",
    ),
    case(
        "spacy-pipeline-on-plain-image",
        SPACY,
        replace("rasa.Dockerfile", f"FROM rasa/rasa:{RASA}-spacy-en", f"FROM rasa/rasa:{RASA}"),
        "rasa.Dockerfile",
        "P102",
        "the pipeline uses SpacyNLP, which needs spacy, but the image has no spacy",
    ),
    case(
        "spacy-model-language-mismatch",
        SPACY,
        replace("config/config.yml", "model: en_core_web_md", "model: de_core_news_md"),
        "config/config.yml",
        "P105",
        "SpacyNLP model 'de_core_news_md' does not match the image's language",
    ),
    case(
        "mitie-on-non-full-image",
        ACTIONS_AND_DB,
        change_yaml(
            "config/config.yml",
            lambda config: config["pipeline"].insert(0, {"name": "MitieNLP", "model": "data/mitie.dat"}),
        ),
        "rasa.Dockerfile",
        "P102",
        "the pipeline uses MitieNLP, which needs mitie, but the image has no mitie",
    ),
    case(
        "rasa-pin-differs-from-image",
        ACTIONS_AND_DB,
        replace("requirements.txt", f"rasa=={RASA}\n", "rasa==3.6.0\n"),
        "requirements.txt",
        "C107",
        f"pins rasa==3.6.0 but the Docker image is rasa/rasa:{RASA}",
    ),
    case(
        "rasa-sdk-pin-differs-from-action-server-image",
        ACTIONS_AND_DB,
        replace("Dockerfile", f"FROM rasa/rasa-sdk:{RASA_SDK}", "FROM rasa/rasa-sdk:3.6.0"),
        "requirements.txt",
        "C107",
        f"pins rasa-sdk=={RASA_SDK} but the Docker image is rasa/rasa-sdk:3.6.0",
    ),
    case(
        "env-still-has-placeholders",
        ACTIONS_AND_DB,
        copy(".env.example", ".env"),
        ".env",
        "S101",
        "still has 'change-me' placeholder secrets",
    ),
    case(
        "channel-variable-not-in-env-example",
        {"channels": "telegram"},
        replace(".env.example", "TELEGRAM_BOT_USERNAME=\n", ""),
        "config/credentials.yml",
        "S102",
        "telegram.verify reads ${TELEGRAM_BOT_USERNAME}, which .env.example does not list",
    ),
    case(
        "channel-variable-not-passed-to-rasa",
        {"channels": "twilio"},
        replace("docker-compose.yml", "      TWILIO_AUTH_TOKEN: ${TWILIO_AUTH_TOKEN?run `make .env` first}\n", ""),
        "config/credentials.yml",
        "S103",
        "twilio.auth_token reads ${TWILIO_AUTH_TOKEN}, which docker-compose.yml does not pass to the 'rasa' service",
    ),
    case(
        "channel-key-misspelled",
        {"channels": "slack"},
        replace("config/credentials.yml", "  slack_signing_secret:", "  slack_signing_secrets:"),
        "config/credentials.yml",
        "S104",
        "slack.slack_signing_secrets is read by nothing: Rasa ignores it",
    ),
    case(
        "secured-channel-key-without-its-class",
        {"channels": "twilio"},
        delete("scripts/secure_channels.py"),
        "config/credentials.yml",
        "S104",
        "twilio.webhook_url is read by nothing",
    ),
    case(
        "botframework-tenant-id-without-its-class",
        {"channels": "botframework"},
        delete("scripts/secure_channels.py"),
        "config/credentials.yml",
        "S104",
        "botframework.tenant_id is read by nothing",
    ),
    case(
        "channel-webhook-not-proxied-by-nginx",
        {"channels": "telegram"},
        replace("web/nginx.conf", "location /webhooks/ {", "location /webhooks/rest/ {"),
        "web/nginx.conf",
        "W103",
        "no location proxies /webhooks/telegram/webhook, where the telegram channel gets its messages",
    ),
    case(
        "allowed-origins-with-a-wildcard",
        ACTIONS_AND_DB,
        replace(".env", "WEB_ALLOWED_ORIGINS=\n", "WEB_ALLOWED_ORIGINS=https://www.example.com, *\n"),
        ".env",
        "W104",
        "'*' in WEB_ALLOWED_ORIGINS is not scheme://host[:port] (no path, no *)",
    ),
    case(
        "kubernetes-endpoints-drift-from-compose",
        KUBERNETES,
        replace("config/endpoints.yml", "port: 5432", "port: 5433"),
        CLUSTER_ENDPOINTS,
        "K101",
        "tracker_store differs from config/endpoints.yml (only the hosts may differ)",
    ),
    case(
        "kubernetes-without-lock-store",
        KUBERNETES,
        change_yaml(CLUSTER_ENDPOINTS, lambda endpoints: endpoints.pop("lock_store")),
        CLUSTER_ENDPOINTS,
        "K102",
        "has no Redis lock_store",
    ),
    case(
        "kubernetes-host-not-a-service",
        KUBERNETES,
        replace(CLUSTER_ENDPOINTS, "http://action-server:", "http://action_server:"),
        CLUSTER_ENDPOINTS,
        "K103",
        "action_endpoint points at host 'action_server', which no Service in deploy/kubernetes/base defines",
    ),
    case(
        "form-requires-undefined-slot",
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: add_form(domain, slot=False)),
        "domain.yml",
        "D113",
        "form 'feedback_form' requires slot 'rating', which is not defined under 'slots:'",
    ),
    case(
        "form-slot-without-ask",
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: add_form(domain, ask=False)),
        "domain.yml",
        "D114",
        "form 'feedback_form' has no way to ask for slot 'rating'",
    ),
    case(
        "active-loop-not-a-form",
        ACTIONS_AND_DB,
        change_yaml("data/stories.yml", first_story_step({"active_loop": "feedback_form"})),
        "data/stories.yml",
        "D118",
        "'happy path' has active_loop 'feedback_form', which is not a form",
    ),
    case(
        "slot-was-set-unknown-slot",
        ACTIONS_AND_DB,
        change_yaml("data/stories.yml", first_story_step({"slot_was_set": [{"rating": "5"}]})),
        "data/stories.yml",
        "D119",
        "'happy path' sets slot 'rating', which domain.yml does not define",
    ),
    case(
        "slot-from-undeclared-entity",
        ACTIONS_AND_DB,
        change_yaml(
            "domain.yml",
            lambda domain: domain.update(
                slots={"rating": {"type": "text", "mappings": [{"type": "from_entity", "entity": "number"}]}}
            ),  # fmt: skip
        ),
        "domain.yml",
        "D107",
        "slot 'rating' is filled from entity 'number', which is not declared",
    ),
    case(
        "slot-mapping-undeclared-intent",
        ACTIONS_AND_DB,
        change_yaml(
            "domain.yml",
            lambda domain: domain.update(
                slots={
                    "happy": {
                        "type": "bool",
                        "mappings": [{"type": "from_intent", "intent": "mood_great", "value": True}],
                    }
                }
            ),  # fmt: skip
        ),
        "domain.yml",
        "D115",
        "a mapping of slot 'happy' names intent 'mood_great', which is not declared",
    ),
    case(
        "response-condition-unknown-slot",
        ACTIONS_AND_DB,
        change_yaml(
            "domain.yml",
            lambda domain: domain["responses"]["utter_greet"].insert(
                0, {"text": "Welcome back!", "condition": [{"type": "slot", "name": "returning", "value": True}]}
            ),
        ),
        "domain.yml",
        "D117",
        "a variation of 'utter_greet' is conditioned on slot 'returning', which is not defined",
    ),
    case(
        "nlu-entity-undeclared",
        ACTIONS_AND_DB,
        replace("data/nlu.yml", "      - am I talking to a human?", "      - am I talking to a [human](being)?"),
        "data/nlu.yml",
        "D106",
        "marks entity 'being', which domain.yml does not declare",
    ),
    case(
        "duckling-localhost-in-compose",
        ACTIONS_AND_DB,
        change_yaml("config/config.yml", add_duckling("http://localhost:8000")),
        "config/config.yml",
        "C106",
        "url points at host 'localhost', which docker-compose.yml does not run (in the 'rasa' container, localhost",
    ),
    case(
        "duckling-variable-names-no-service",
        DUCKLING,
        replace(
            "docker-compose.yml",
            "RASA_DUCKLING_HTTP_URL: http://duckling:8000",
            "RASA_DUCKLING_HTTP_URL: http://duck:8000",
        ),
        "docker-compose.yml",
        "C106",
        "RASA_DUCKLING_HTTP_URL of service 'rasa' points at host 'duck', which docker-compose.yml does not run",
    ),
    case(
        "duckling-service-url-in-make-dev",
        DUCKLING,
        replace("config/config.yml", "url: http://localhost:8000", "url: http://duckling:8000"),
        "config/config.yml",
        "C108",
        "url names the Compose service 'duckling', which `make dev` cannot reach",
        "warning",
    ),
    case(
        "duckling-cluster-without-variable",
        DUCKLING_CLUSTER,
        replace(
            "deploy/kubernetes/base/rasa-deployment.yaml",
            "            - name: RASA_DUCKLING_HTTP_URL\n              value: http://duckling:8000\n",
            "",
        ),
        "config/config.yml",
        "K104",
        "in the cluster, the DucklingEntityExtractor url points at host 'localhost', which no Service",
    ),
    case(
        "root-config-beside-config-folder",
        DUCKLING,
        copy("config/config.yml", "config.yml"),  # what copying Rasa's formbot into a bake leaves
        "config.yml",
        "F012",
        "is ignored: `make dev`, `make train`, Compose and this check read config/config.yml",
    ),
    case(
        "entity-no-extractor",
        ACTIONS_AND_DB,
        ENTITY_WITHOUT_EXTRACTOR,
        "data/nlu.yml",
        "P107",
        "an example of 'bot_challenge' annotates entity 'being', which no pipeline component extracts",
    ),
    case(
        "domain-duplicated-key",
        ACTIONS_AND_DB,
        append("domain.yml", "\nintents:\n  - greet\n"),
        "domain.yml",
        "F005",
        "has the key 'intents' twice",
    ),
    case(
        "domain-wrong-type",
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: domain.update(intents=5)),
        "domain.yml",
        "F008",
        "'intents' must be a list, one '- intent_name' line per intent, not a number (5)",
    ),
    case("domain-empty", ACTIONS_AND_DB, write("domain.yml", "# nothing yet\n"), "domain.yml", "F006", "is empty"),
    case("config-missing", ACTIONS_AND_DB, delete("config/config.yml"), "config/config.yml", "F009", "is missing"),
    case("compose-missing", NO_ACTIONS, delete("docker-compose.yml"), "docker-compose.yml", "F009", "is missing"),
    case(
        "binary-markdown-data",
        ACTIONS_AND_DB,
        lambda bot: (bot / "data" / "old.md").write_bytes(b"## intent:greet\n- hi\xff\x00\n"),
        "data/old.md",
        "F001",
        "is not a UTF-8 text file",
    ),
    case(
        "language-not-iso-639-1",
        ACTIONS_AND_DB,
        replace("config/config.yml", "language: en", "language: english"),
        "config/config.yml",
        "P101",
        "language 'english' is not an ISO 639-1 code",
    ),
    case(
        "spacy-image-of-another-language",
        SPACY,
        replace("rasa.Dockerfile", f"FROM rasa/rasa:{RASA}-spacy-en", f"FROM rasa/rasa:{RASA}-spacy-de"),
        "rasa.Dockerfile",
        "P104",
        "the image's spaCy language 'de' is not the config's language 'en'",
    ),
    case(
        "spacy-model-not-in-image",
        SPACY,
        replace("config/config.yml", "model: en_core_web_md", "model: en_core_web_lg"),
        "config/config.yml",
        "P105",
        f"SpacyNLP model 'en_core_web_lg' is not in it (rasa/rasa:{RASA}-spacy-en ships en_core_web_md)",
    ),
    case(
        "spacy-image-that-does-not-exist",
        SPACY,
        replace("rasa.Dockerfile", f"FROM rasa/rasa:{RASA}-spacy-en", f"FROM rasa/rasa:{RASA}-spacy-fr"),
        "rasa.Dockerfile",
        "P103",
        f"there is no official image rasa/rasa:{RASA}-spacy-fr (only -spacy-en, -spacy-de, -spacy-it)",
    ),
    case(
        "transformers-on-plain-image",
        ACTIONS_AND_DB,
        change_yaml(
            "config/config.yml",
            lambda config: config["pipeline"].insert(1, {"name": "LanguageModelFeaturizer", "model_name": "bert"}),
        ),  # fmt: skip
        "rasa.Dockerfile",
        "P102",
        "the pipeline uses LanguageModelFeaturizer, which needs transformers",
    ),
    case(
        "duckling-without-service",
        ACTIONS_AND_DB,
        change_yaml(
            "config/config.yml",
            lambda config: config["pipeline"].append(
                {"name": "DucklingEntityExtractor", "url": "http://duckling:8000"}
            ),
        ),  # fmt: skip
        "config/config.yml",
        "C106",
        "DucklingEntityExtractor url points at host 'duckling', which docker-compose.yml does not run",
    ),
    case(
        "web-page-without-socketio-channel",
        NO_WEB_CHAT,
        write("web/index.html", SOCKETIO_PAGE),
        "config/credentials.yml",
        "W101",
        "web/index.html connects over socket.io, but there is no socketio channel",
    ),
    case(
        "nginx-proxy-host-not-a-service",
        ACTIONS_AND_DB,
        write("web/nginx.conf", "server {\n  location / {\n    proxy_pass http://rasa-server:5005;\n  }\n}\n"),
        "web/nginx.conf",
        "W102",
        "proxies to host 'rasa-server', which docker-compose.yml does not run",
    ),
    case(
        "nginx-variable-host-not-a-service",
        ACTIONS_AND_DB,
        replace("web/nginx.conf", "set $rasa http://rasa:5005;", "set $rasa http://rasa-server:5005;"),
        "web/nginx.conf",
        "W102",
        "proxies to host 'rasa-server', which docker-compose.yml does not run",
    ),
]


def describe(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems)) or "no problems"


@pytest.mark.parametrize(("answers", "mutation", "file", "rule", "what", "level"), CASES)
def test_each_rule_reports_exactly_its_problem(bake, answers, mutation, file, rule, what, level):
    bot = bake(**answers).path
    assert check_bot(bot) == [], "the freshly baked bot must be clean before it is broken"

    mutation(bot)
    problems = check_bot(bot)

    assert len(problems) == 1, f"expected exactly one problem, got:\n{describe(problems)}"
    (problem,) = problems
    assert (problem.rule, problem.file, problem.level) == (rule, file, level), describe(problems)
    assert what in problem.what, describe(problems)
    assert RULES[rule].level == level
    assert problem.fix.strip() and problem.fix != problem.what
    assert problem.fix.split()[0] in FIX_VERBS, f"fix does not say what to do: {problem.fix!r}"


def test_main_exit_codes_and_report(bake, capsys):
    bot = bake(**ACTIONS_AND_DB).path
    assert main([str(bot)]) == 0
    assert "bot check passed" in capsys.readouterr().out

    copy(".env.example", ".env")(bot)
    assert main([str(bot)]) == 1
    err = capsys.readouterr().err
    assert ".env:3: S101 still has 'change-me'" in err
    assert "    fix: delete .env" in err
    assert "1 error(s), 0 warning(s)" in err


def test_main_rejects_a_missing_folder(capsys):
    assert main(["/nonexistent"]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_runs_as_a_script_on_its_own_bot(bake_once):
    bot = bake_once(**ACTIONS_AND_DB).path
    # -I: no PYTHONPATH, no user site; the script finds its bot from its own location.
    result = subprocess.run(
        [sys.executable, "-I", "-B", "scripts/check_bot"], cwd=bot, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"bot check passed: {bot.resolve()}" in result.stdout


def test_needs_only_the_standard_library_and_pyyaml(bake_once):
    scripts = bake_once(**ACTIONS_AND_DB).path / "scripts"
    imported = set()
    for path in [scripts / "bot_files.py", scripts / "generate_env.py", *sorted((scripts / "check_bot").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # An import tried and caught (`except ImportError`) is a fallback, not a need (bot_files.yaml_loader's ruamel).
        optional = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Try)
                    and any(isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in node.handlers)
                    for statement in node.body for inner in ast.walk(statement)}  # fmt: skip
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(str(node.module).split(".")[0])
    assert imported - sys.stdlib_module_names == {"yaml", "bot_files", "generate_env", "check_bot"}


# -- following a fix gives no new error ---------------------------------------------------------
def add_action_server(compose: dict) -> None:
    compose["services"]["action_server"] = {"image": f"rasa/rasa-sdk:{RASA_SDK}", "volumes": ["./actions:/app/actions"]}


def add_duckling_service(compose: dict) -> None:
    compose["services"]["duckling"] = {"image": DUCKLING_IMAGE}
    compose["services"]["rasa"]["environment"]["RASA_DUCKLING_HTTP_URL"] = "http://duckling:8000"


MODELS_SECTION = "models:\n  url: https://models.example.com/bot.tar.gz\n  wait_time_between_pulls: 60\n"

FIXES = [
    pytest.param(
        ACTIONS_AND_DB,
        replace("data/stories.yml", "- intent: mood_happy", "- intent: mood_great"),
        "add '- mood_great' under 'intents:'",
        change_yaml("domain.yml", lambda domain: domain["intents"].append("mood_great")),
        id="undeclared-intent",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        combine(
            change_yaml("config/endpoints.yml", lambda endpoints: endpoints.pop("action_endpoint")),
            change_yaml("docker-compose.yml", drop_action_server),
        ),
        f"and an 'action_server' service to docker-compose.yml with 'image: rasa/rasa-sdk:{RASA_SDK}'",
        combine(
            append("config/endpoints.yml", "\naction_endpoint:\n  url: http://action_server:5055/webhook\n"),
            change_yaml("docker-compose.yml", add_action_server),
        ),
        id="no-action-endpoint-nor-service",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        change_yaml("domain.yml", lambda domain: add_form(domain, ask=False)),
        "add a response 'utter_ask_rating'",
        change_yaml("domain.yml", lambda domain: domain["responses"].update(utter_ask_rating=[{"text": "Rate it?"}])),
        id="form-slot-without-ask",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        change_yaml(
            "config/config.yml",
            lambda config: config["pipeline"].append(
                {"name": "DucklingEntityExtractor", "url": "http://duckling:8000"}
            ),
        ),  # fmt: skip
        f"add a 'duckling' service with 'image: {DUCKLING_IMAGE}'",
        change_yaml("docker-compose.yml", add_service("duckling", DUCKLING_IMAGE)),
        id="duckling-without-service",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        ENTITY_WITHOUT_EXTRACTOR,
        "add '- name: CRFEntityExtractor' before EntitySynonymMapper",
        change_yaml(
            "config/config.yml",
            lambda config: config["pipeline"].insert(-2, {"name": "CRFEntityExtractor"}),
        ),  # fmt: skip
        id="entity-no-extractor",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        change_yaml("config/config.yml", add_duckling("http://localhost:8000")),
        "set RASA_DUCKLING_HTTP_URL: http://duckling:8000 in the environment of service 'rasa'",
        change_yaml("docker-compose.yml", add_duckling_service),
        id="duckling-localhost-in-compose",
    ),
    pytest.param(
        NO_WEB_CHAT,
        write("web/index.html", SOCKETIO_PAGE),
        "add 'socketio:' with 'user_message_evt: user_uttered' and 'bot_message_evt: bot_uttered'",
        append(
            "config/credentials.yml", "\nsocketio:\n  user_message_evt: user_uttered\n  bot_message_evt: bot_uttered\n"
        ),
        id="socketio-page-without-channel",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        write("endpoints.yml", "action_endpoint:\n  url: http://localhost:5055/webhook\n"),  # Rasa's formbot's
        "run `rm endpoints.yml`: config/endpoints.yml already has its sections (action_endpoint)",
        delete("endpoints.yml"),
        id="root-endpoints-config-has",
    ),
    pytest.param(
        ACTIONS_AND_DB,
        write("endpoints.yml", f"action_endpoint:\n  url: http://localhost:5055/webhook\n{MODELS_SECTION}"),
        "merge its section(s) models into config/endpoints.yml",
        combine(append("config/endpoints.yml", f"\n{MODELS_SECTION}"), delete("endpoints.yml")),
        id="root-endpoints-with-a-new-section",
    ),
]


@pytest.mark.parametrize(("answers", "mutation", "fix_says", "fix"), FIXES)
def test_following_the_fix_gives_no_new_error(bake, answers, mutation, fix_says, fix):
    bot = bake(**answers).path
    mutation(bot)
    (problem,) = errors(check_bot(bot))
    assert fix_says in problem.fix, problem

    fix(bot)
    assert errors(check_bot(bot)) == [], describe(check_bot(bot))


# -- hostile files: a clear message within seconds, never a traceback ----------------------------
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{name}: &{name} [{','.join(['*' + previous] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi")
)
HOSTILE = {
    "alias-bomb-in-domain": ("domain.yml", ALIAS_BOMB + "intents: *i\n", "domain.yml: F003 expands to more than"),
    "alias-bomb-in-examples": (
        "data/nlu.yml",
        ALIAS_BOMB + "nlu:\n  - intent: greet\n    examples: *i\n",
        "data/nlu.yml: F003 expands to more than",
    ),
    "recursive-alias": ("config/config.yml", "pipeline: &p [*p]\n", "config/config.yml: F003 expands to more than"),
    "intents-a-number": ("domain.yml", "intents: 5\n", "domain.yml:1: F008 'intents' must be a list"),
    "intents-a-text": ("domain.yml", "intents: greet\n", "domain.yml:1: F008 'intents' must be a list"),
    "nlu-a-number": ("data/nlu.yml", "nlu: 5\n", "data/nlu.yml:1: F008 'nlu' must be a list"),
    "responses-a-number": ("domain.yml", "intents: [greet]\nresponses: 5\n", "domain.yml:2: F008 'responses' must be"),
    "services-a-list": (
        "docker-compose.yml",
        "services: [rasa, action_server]\n",
        "docker-compose.yml:1: F008 'services' must be a mapping",
    ),
    "empty-domain": ("domain.yml", "", "domain.yml: F006 is empty"),
    "binary-actions": ("actions/actions.py", b"\x00\x01\xff", "actions/actions.py: F001 is not a UTF-8 text file"),
    "binary-env": (".env", b"\xff\xfe\x00", ".env: F001 is not a UTF-8 text file"),
    "binary-markdown": ("data/nlu.md", b"\xff## intent:greet\n", "data/nlu.md: F001 is not a UTF-8 text file"),
    "deep-nesting": (
        "data/rules.yml",
        "rules: " + "[" * 20000 + "]" * 20000 + "\n",
        "data/rules.yml:1: F002 is not valid YAML",
    ),
}


@pytest.mark.parametrize(("relative", "content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_gets_a_clear_message(bake_once, tmp_path, relative, content, message):
    bot = tmp_path / "bot"
    shutil.copytree(bake_once(**ACTIONS_AND_DB).path, bot)
    path = bot / relative
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    # A hang guard, not a speed target: each of these ends in well under a second.
    result = subprocess.run(
        [sys.executable, "-B", str(bot / "scripts" / "check_bot"), str(bot)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr, result.stderr


def test_duckling_image_is_the_pinned_one():
    """The checker is copied into bots unrendered: its table and cookiecutter.json's pin must agree."""
    assert DUCKLING_IMAGE == PINS["images"]["duckling"]


def test_make_dev_with_the_variable_set_is_not_warned(bake, monkeypatch):
    """Rasa prefers RASA_DUCKLING_HTTP_URL to config.yml's url: with it in make dev's environment, a
    url naming the Compose service is fine there."""
    bot = bake(**DUCKLING).path
    replace("config/config.yml", "url: http://localhost:8000", "url: http://duckling:8000")(bot)
    assert [p.rule for p in check_bot(bot)] == ["C108"]
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", "http://localhost:8000")
    assert check_bot(bot) == []

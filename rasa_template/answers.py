"""The answers: validated against cookiecutter.json, and the values derived from them.

`with_derived(answers)` is the one place that turns answers into what the files need (the Rasa
line's pins, whether the tracker store is a shared database). The Jinja extension in
`rasa_template/jinja.py` applies it, so templates read `{{ cookiecutter.rasa }}` or
`{% if cookiecutter.shared_store %}`. `errors(answers)` lists every bad answer, for prompts,
`--no-input` and replay alike, each naming what to answer instead.
"""

from __future__ import annotations

import functools
import json
import keyword
import re
import unicodedata
from pathlib import Path

import yaml  # PyYAML and python-slugify: cookiecutter depends on both
from slugify import slugify

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
PINS = TEMPLATE["_pins"]
PUBLIC_KEYS = [key for key in TEMPLATE if not key.startswith("_")]
# Every text a user reads or types, per language: languages/<code>.yml, one file a language.
LANGUAGES_DIR = TEMPLATE_DIR / "languages"

# The spellings cookiecutter itself accepts for a yes/no answer (cookiecutter.prompt.YesNoPrompt).
YES = ("1", "true", "t", "yes", "y", "on")
NO = ("0", "false", "f", "no", "n", "off")
# Tracker stores that several Rasa processes can share: a database server of their own.
SHARED_STORES = ("postgres", "redis", "mongo")
# Why each slug rule exists: the slug names the folder, the Compose project (lowercase letters,
# digits, _ and -; we leave out - so it is also a Python identifier, for imports from actions/) and,
# with Kubernetes, resources whose names must fit a 63-character DNS label with a suffix.
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
SLUG_MAX = 40
# The messenger channels of the `channels` answer: each one's keys in config/credentials.yml and
# the value each reads from the environment (Rasa replaces `${VAR}`; an unset one stops it at start).
CHANNELS = {
    "telegram": {
        "access_token": "${TELEGRAM_ACCESS_TOKEN}",
        "verify": "${TELEGRAM_BOT_USERNAME}",
        "webhook_url": "${BOT_PUBLIC_URL}/webhooks/telegram/webhook",
        "secret_token": "${TELEGRAM_SECRET_TOKEN}",  # scripts/secure_channels.py checks it
        "api_url": "${TELEGRAM_API_URL}",
    },
    "slack": {"slack_token": "${SLACK_BOT_TOKEN}", "slack_signing_secret": "${SLACK_SIGNING_SECRET}"},
    "facebook": {
        "verify": "${FACEBOOK_VERIFY_TOKEN}",
        "secret": "${FACEBOOK_APP_SECRET}",
        "page-access-token": "${FACEBOOK_PAGE_ACCESS_TOKEN}",
    },
    "twilio": {
        "account_sid": "${TWILIO_ACCOUNT_SID}",
        "auth_token": "${TWILIO_AUTH_TOKEN}",
        "twilio_number": "${TWILIO_NUMBER}",
        "webhook_url": "${BOT_PUBLIC_URL}/webhooks/twilio/webhook",  # what Twilio signs
    },
    "botframework": {
        "app_id": "${BOTFRAMEWORK_APP_ID}",
        "app_password": "${BOTFRAMEWORK_APP_PASSWORD}",
        "tenant_id": "${BOTFRAMEWORK_TENANT_ID}",  # scripts/secure_channels.py: empty for a Multi Tenant bot
    },
    "rocketchat": {
        "user": "${ROCKETCHAT_USER}",
        "password": "${ROCKETCHAT_PASSWORD}",
        "server_url": "${ROCKETCHAT_SERVER_URL}",
        "webhook_token": "${ROCKETCHAT_WEBHOOK_TOKEN}",  # scripts/secure_channels.py checks it
    },
    "mattermost": {
        "url": "${MATTERMOST_URL}",
        "token": "${MATTERMOST_BOT_TOKEN}",
        "webhook_url": "${BOT_PUBLIC_URL}/webhooks/mattermost/webhook",
        "webhook_token": "${MATTERMOST_WEBHOOK_TOKEN}",  # scripts/secure_channels.py checks it
    },
}
# Each channel's page under https://rasa.com/docs/rasa/<docs>/connectors/ (the channel's name if not here).
CHANNEL_DOCS = {"facebook": "facebook-messenger", "botframework": "microsoft-bot-framework"}
# The channels Rasa 3.6 leaves open (botframework: checked in part), which scripts/secure_channels.py closes.
SECURED_CHANNELS = ("telegram", "twilio", "rocketchat", "mattermost", "botframework")
# What .env starts with for a variable above: a default, or "change-me" where the bot chooses the
# value (generate_env.py writes a random one). Any other starts empty: the platform issues it.
CHANNEL_ENV_DEFAULTS = {
    "TELEGRAM_SECRET_TOKEN": "change-me",
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "FACEBOOK_VERIFY_TOKEN": "change-me",
}
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")


def default_slug(name: str) -> str:
    """project_name as lowercase words joined by _, cut at a word boundary to fit SLUG_MAX."""
    slug = ""
    for word in slugify(str(name), separator="_").split("_"):
        if len(slug) + len(word) + 1 > SLUG_MAX + 1:
            break
        slug = f"{slug}_{word}" if slug else word
    return slug or slugify(str(name), separator="_")[:SLUG_MAX]


def as_bool(value):
    """True/False for every spelling cookiecutter accepts, else the value unchanged."""
    if isinstance(value, str) and value.strip().lower() in YES + NO:
        return value.strip().lower() in YES
    return value


def with_derived(answers: dict) -> dict:
    """The answers with booleans normalised and the derived values added. Works on partial
    answers too (while cookiecutter is still prompting): what cannot be derived yet is left out."""
    result = dict(answers)
    for key, default in TEMPLATE.items():
        if isinstance(default, bool) and key in result:
            result[key] = as_bool(result[key])
    result["_template_dir"] = str(TEMPLATE_DIR)
    line = PINS["rasa_lines"].get(str(result.get("rasa_version")))
    if line:
        result.update(line)
    language = str(result.get("language"))
    if language in TEMPLATE.get("language", []):
        result["texts"] = language_texts(language)
        result["spacy_model"] = PINS["spacy_models"].get(language, "")  # of the -spacy-<language> image
    if "tracker_store" in result:
        store = result["tracker_store"]
        result["shared_store"] = store in SHARED_STORES
        result["database"] = store if result["shared_store"] else ""  # also its Compose service's name
        result["file_store"] = store in ("sqlite", "custom")  # a file in the rasa-state volume
        # Rasa replicas that share the store lock each conversation in Redis: the store's own Redis
        # (db 1), or a small Redis of its own (the Compose service and Kubernetes Deployment lock-redis).
        result["lock_store"] = "redis" if store == "redis" else "lock-redis" if result["shared_store"] else ""
        # The Compose services config/endpoints.yml names, and those Rasa waits for, in order.
        actions = ["action_server"] if result.get("custom_actions") is True else []
        shared = [store] if result["shared_store"] else []
        lock = ["lock-redis"] if result["lock_store"] == "lock-redis" else []
        broker = ["rabbitmq"] if result.get("event_broker") == "rabbitmq" else []
        result["endpoint_services"] = actions + shared + lock + broker
        duckling = ["duckling"] if result.get("duckling") is True else []
        result["rasa_depends_on"] = result["endpoint_services"] + duckling
    if isinstance(result.get("channels"), str):
        result["channels"] = ", ".join(channel_names(result["channels"]))
        chosen = [name for name in result["channels"].split(", ") if name in CHANNELS]
        result["channel_list"] = chosen
        result["secured_channels"] = [name for name in chosen if name in SECURED_CHANNELS]
        result["channel_credentials"] = {name: CHANNELS[name] for name in chosen}
        result["channel_docs"] = {name: CHANNEL_DOCS.get(name, name) for name in chosen}
        result["channel_env"] = channel_env(chosen)
    return result


def channel_names(answer: str) -> list[str]:
    """The `channels` answer as lowercase names, in the order given (spaces and empty items dropped)."""
    return [name.strip().lower() for name in answer.split(",") if name.strip()]


def channel_env(chosen: list[str]) -> dict[str, str]:
    """The variables the chosen channels read, in order, each with what .env starts with."""
    names = [var for name in chosen for value in CHANNELS[name].values() for var in ENV_VAR.findall(value)]
    return {var: CHANNEL_ENV_DEFAULTS.get(var, "") for var in dict.fromkeys(names)}


def channel_errors(answers: dict) -> list[str]:
    names = channel_names(answers["channels"])
    valid = " | ".join(CHANNELS)
    errors = [f"channels: {name!r} is not a channel: answer a comma-separated list of {valid}." for name in
              dict.fromkeys(n for n in names if n not in CHANNELS)]  # fmt: skip
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        errors.append(f"channels: {', '.join(repeated)} given more than once: name each channel once ({valid}).")
    if names and answers["rasa_version"] != "3.6":
        errors.append(
            f"channels={answers['channels']!r} needs rasa_version=3.6: the bot's webhook checks for Telegram, "
            "Twilio, Rocket.Chat, Mattermost and Teams are written and tested against Rasa 3.6's channels "
            "(2.8 is end of life): answer rasa_version=3.6, or leave channels empty."
        )
    return errors


@functools.lru_cache(maxsize=None)
def language_texts(language: str) -> dict:
    """languages/<language>.yml, parsed once per process (templates only read it)."""
    return yaml.safe_load((LANGUAGES_DIR / f"{language}.yml").read_text(encoding="utf-8"))


def is_complete(answers: dict) -> bool:
    return all(key in answers for key in PUBLIC_KEYS)


def slug_errors(slug) -> list[str]:
    if not isinstance(slug, str) or not slug:
        return ["project_slug is empty: answer a name such as 'mood_bot'."]
    if len(slug) > SLUG_MAX:
        short = slug[:SLUG_MAX].rsplit("_", 1)[0] or slug[:SLUG_MAX]
        return [
            f"project_slug is {len(slug)} characters long; at most {SLUG_MAX} keep the Compose and Kubernetes "
            f"names valid: answer a shorter one, e.g. {short!r}."
        ]
    if not SLUG_PATTERN.fullmatch(slug):
        return [
            f"project_slug {slug!r} is not usable as a folder and Docker project name: use lowercase letters, "
            "digits and underscores, starting with a letter (e.g. 'mood_bot')."
        ]
    if keyword.iskeyword(slug):
        return [f"project_slug {slug!r} is a Python keyword: answer e.g. '{slug}_bot'."]
    return []


def answer_errors(answers: dict) -> list[str]:
    """Each answer against its kind in cookiecutter.json: a choice, a yes/no, or text."""
    errors = []
    for key in PUBLIC_KEYS:
        default, value = TEMPLATE[key], answers.get(key)
        if isinstance(default, list) and value not in default:
            errors.append(f"{key}={value!r} is not one of the choices: answer {' | '.join(default)}.")
        elif isinstance(default, bool) and not isinstance(as_bool(value), bool):
            errors.append(f"{key}={value!r} is not a yes/no answer: answer yes or no (or true/false).")
        elif isinstance(default, str) and not isinstance(value, str):
            errors.append(f"{key}={value!r} must be text, e.g. {default!r}.")
        elif isinstance(default, str) and (control := next(filter(is_control, value), None)):
            errors.append(f"{key}={value!r} holds the control character U+{ord(control):04X}: type plain text.")
    return errors


def is_control(character: str) -> bool:
    """A C0/C1 control character other than a tab or a line break (NUL, escape, ...): typed by
    mistake, and a NUL would make the file it lands in binary."""
    return unicodedata.category(character) == "Cc" and character not in "\t\n\r"


def combination_errors(answers: dict) -> list[str]:
    errors = []
    if answers["mongo_express"] and answers["tracker_store"] != "mongo":
        errors.append(
            f"mongo_express=yes needs tracker_store=mongo (you chose {answers['tracker_store']!r}): "
            "answer mongo_express=no, or tracker_store=mongo."
        )
    if answers["kubernetes"] and not answers["shared_store"]:
        errors.append(
            f"kubernetes=yes runs several Rasa replicas, which must share one tracker store; "
            f"tracker_store={answers['tracker_store']!r} keeps conversations inside one pod: answer "
            f"tracker_store={' | '.join(SHARED_STORES)}, or kubernetes=no."
        )
    spacy_languages = " | ".join(PINS["spacy_models"])  # the official rasa/rasa:*-spacy-<lang> images
    if answers["nlu_pipeline"] == "spacy" and not answers["spacy_model"]:
        errors.append(
            f"nlu_pipeline=spacy runs on an official rasa/rasa:*-spacy-<lang> image, which exists for "
            f"language={spacy_languages} only (you chose {answers['language']!r}): answer "
            f"nlu_pipeline=light | diet, or language={spacy_languages}."
        )
    if answers["starter_skill"] == "form" and answers["data_format"] == "markdown":
        errors.append(
            "starter_skill=form needs rasa_version=3.6: the form's rules and test stories hold active_loop "
            "and slot_was_set steps, which the Rasa 2.8 Markdown data this template writes cannot hold: answer "
            "rasa_version=3.6, or starter_skill=none."
        )
    if not answers["project_name"].strip():
        errors.append("project_name is empty: answer a name such as 'Mood Bot'.")
    return errors + channel_errors(answers)


def errors(answers: dict) -> list[str]:
    """Every problem with a complete set of answers (raw or derived), as messages."""
    answers = with_derived(answers)
    problems = answer_errors(answers)
    if not problems:
        problems = combination_errors(answers)
    return slug_errors(answers.get("project_slug")) + problems


def default_answers() -> dict:
    """cookiecutter.json's defaults: what a bot made before a prompt existed behaves as."""
    return {key: TEMPLATE[key][0] if isinstance(TEMPLATE[key], list) else TEMPLATE[key] for key in PUBLIC_KEYS}


def public_answers(answers: dict) -> dict:
    """The answers as .cookiecutter.json keeps them: cookiecutter.json's public keys, normalised."""
    derived = with_derived(answers)
    return {key: derived[key] for key in PUBLIC_KEYS if key in derived}

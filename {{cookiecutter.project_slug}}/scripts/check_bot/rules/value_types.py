"""YAML value types: values Rasa and Compose read as text must be text. Unquoted, YAML reads
`null`, `true`, `off`, `no` (Norwegian) or `1.10` as null, true/false or a number."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..deploy import services
from ..model import Bot
from ..readers import line_of, type_name

CONFIG_TEXTS = ("assistant_id", "recipe", "language")
ENDPOINT_TEXTS = ("url", "type", "username", "password", "dialect", "login_db", "auth_source", "token")
SERVICE_TEXTS = ("image", "container_name", "hostname")


def wrong(value: object, nullable: bool = False) -> bool:
    """Not a text: true/false, a number, a list or a mapping (null only when it may not be null)."""
    return not isinstance(value, str) and not (value is None and nullable)


def problem(file: str, container: dict, key: object, shown: str) -> Problem:
    value = container.get(key)
    return Problem(
        "T101",
        file,
        line_of(container, key),
        f"'{shown}' must be a text, not {type_name(value)}",
        f'write the value in quotes: {key}: "..." (YAML reads an unquoted null, true, off or no as a keyword)',
    )


def config_values(bot: Bot) -> Iterator[Problem]:
    file = bot.file("config")
    for key in CONFIG_TEXTS:
        if key in bot.config and wrong(bot.config[key]):
            yield problem(file, bot.config, key, key)
    for key in ("pipeline", "policies"):
        for index, item in enumerate(bot.config.get(key) or []):
            if isinstance(item, dict) and "name" in item and wrong(item["name"]):
                yield problem(file, item, "name", f"{key}[{index}].name")


def compose_values(bot: Bot) -> Iterator[Problem]:
    file = bot.file("compose")
    if "name" in bot.compose and wrong(bot.compose["name"]):
        yield problem(file, bot.compose, "name", "name")
    for name, service in services(bot).items():
        for key in SERVICE_TEXTS:
            if key in service and wrong(service[key]):
                yield problem(file, service, key, f"services.{name}.{key}")
        environment = service.get("environment")
        for variable, value in environment.items() if isinstance(environment, dict) else ():
            if wrong(value, nullable=True) and not (isinstance(value, int) and not isinstance(value, bool)):
                yield problem(file, environment, variable, f"services.{name}.environment.{variable}")


def endpoint_values(bot: Bot) -> Iterator[Problem]:
    for section, settings in bot.endpoints.items():
        for key in ENDPOINT_TEXTS if isinstance(settings, dict) else ():
            if key in settings and wrong(settings[key]):
                yield problem(bot.file("endpoints"), settings, key, f"{section}.{key}")


def response_texts(bot: Bot) -> Iterator[Problem]:
    for name, variations in (bot.domain.get("responses") or {}).items():
        for variation in variations if isinstance(variations, list) else []:
            if isinstance(variation, dict) and "text" in variation and wrong(variation["text"]):
                file, _ = bot.where("responses", name)
                yield problem(file, variation, "text", f"responses.{name}.text")


def step_names(bot: Bot) -> Iterator[Problem]:
    """`- intent: yes` in NLU data, stories and rules names the intent True."""
    for file, content in bot.data_files.items():
        for key, step_key in (("nlu", "intent"), ("stories", "steps"), ("rules", "steps")):
            for item in content.get(key) or [] if isinstance(content.get(key), list) else []:
                yield from named_items(file, key, item, step_key)


def named_items(file: str, key: str, item: object, step_key: str) -> Iterator[Problem]:
    if not isinstance(item, dict):
        return
    if step_key == "intent":
        if "intent" in item and wrong(item["intent"]):
            yield problem(file, item, "intent", f"{key}.intent")
        return
    steps = item.get("steps")
    for step in steps if isinstance(steps, list) else []:
        for name in step_keys(step):
            yield problem(file, step, name, f"{key}.steps.{name}")


def step_keys(step: object) -> tuple[str, ...]:
    if not isinstance(step, dict):
        return ()
    return tuple(k for k in ("intent", "action") if k in step and wrong(step[k]))


@rule("T101", "a value Rasa or Compose reads as text is null, true/false, a number, a list or a mapping")
def text_values(bot: Bot) -> Iterator[Problem]:
    yield from config_values(bot)
    yield from compose_values(bot)
    yield from endpoint_values(bot)
    yield from response_texts(bot)
    yield from step_names(bot)

"""Secrets: .env holds generated secrets, not the placeholders of .env.example, and every variable
credentials.yml reads is listed there and reaches Rasa."""

from __future__ import annotations

import re
from typing import Iterator

import generate_env

from ..core import Problem, rule
from ..deploy import pinned, rasa_image, services, text_line
from ..model import Bot
from ..tables import CHANNEL_KEYS, SECURED_CHANNEL_KEYS


@rule("S101", ".env still has 'change-me' placeholder secrets")
def placeholder_secrets(bot: Bot) -> Iterator[Problem]:
    env = bot.root / ".env"
    line = text_line(bot.text(env), r"^[A-Za-z0-9_]+=change-me\s*$") if env.is_file() else None
    if line is not None:
        yield Problem(
            "S101",
            ".env",
            line,
            "still has 'change-me' placeholder secrets",
            "delete .env and run `make .env` to generate random secrets",
        )


ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def credential_variables(bot: Bot) -> dict[str, tuple[str, str]]:
    """Each ${VAR} of credentials.yml -> the first (channel, key) that reads it."""
    found: dict[str, tuple[str, str]] = {}
    for channel, keys in bot.credentials.items():
        for key, value in keys.items() if isinstance(keys, dict) else ():
            for var in ENV_VAR.findall(str(value)):
                found.setdefault(var, (str(channel), str(key)))
    return found


def rasa_environment(bot: Bot) -> tuple[str, set[str] | None]:
    """The Compose service that runs Rasa and the variables it passes; None when it is not known."""
    name = rasa_image(bot)[0]
    service = services(bot).get(name) if name else None
    if not service or service.get("env_file"):
        return name, None  # no Compose Rasa, or every variable of an env file
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return name, {str(item).split("=", 1)[0] for item in environment}
    return name, {str(key) for key in environment}


@rule("S102", "credentials.yml reads a variable that .env.example does not list")
@rule("S103", "credentials.yml reads a variable that docker-compose.yml does not pass to Rasa")
def credential_variables_are_set(bot: Bot) -> Iterator[Problem]:
    example = bot.root / ".env.example"
    listed = set(generate_env.settings(bot.text(example))) if example.is_file() else None
    service, passed = rasa_environment(bot)
    for var, (channel, key) in credential_variables(bot).items():
        where = (bot.file("credentials"), bot.line("credentials", channel, key))
        reads = f"{channel}.{key} reads " + "${" + var + "}"  # no double braces: the template renders this file
        if listed is not None and var not in listed:
            yield Problem(
                "S102",
                *where,
                f"{reads}, which .env.example does not list",
                f"add '{var}=' to .env.example, then run `make .env` (Rasa stops at start while it is unset)",
            )
        if passed is not None and var not in passed:
            yield Problem(
                "S103",
                *where,
                f"{reads}, which docker-compose.yml does not pass to the '{service}' service",
                f"add '{var}: " + "${" + var + "?run `make .env` first}" + f"' under services.{service}.environment",
            )


@rule("S104", "a messenger channel in credentials.yml sets a key that nothing reads")
def channel_keys_are_read(bot: Bot) -> Iterator[Problem]:
    if not pinned(bot, "rasa").startswith("3."):
        return  # the table is Rasa 3.6's
    secured = (bot.root / "scripts" / "secure_channels.py").is_file()
    for channel, keys in bot.credentials.items():
        if channel not in CHANNEL_KEYS or not isinstance(keys, dict):
            continue
        known = CHANNEL_KEYS[channel] | (SECURED_CHANNEL_KEYS.get(channel, set()) if secured else set())
        for key in sorted(set(map(str, keys)) - known):
            if key in SECURED_CHANNEL_KEYS.get(channel, ()):
                fix = "run the template over the bot again (README: Updating) to get scripts/secure_channels.py back"
            else:
                fix = f"use one of {', '.join(sorted(known))}, or remove it"
            yield Problem(
                "S104",
                bot.file("credentials"),
                bot.line("credentials", channel, key),
                f"{channel}.{key} is read by nothing: Rasa ignores it",
                fix,
            )

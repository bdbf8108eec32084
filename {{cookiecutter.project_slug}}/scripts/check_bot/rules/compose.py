"""Deployment: endpoints.yml, config.yml and requirements.txt agree with the Compose services
and the images they run."""

from __future__ import annotations

import re
from typing import Iterator

from ..core import Problem, rule
from ..deploy import base_image, endpoint_hosts, is_external, pinned, rasa_image, services
from ..model import Bot
from ..tables import DATABASE_IMAGES
from .actions import custom_actions


@rule("C101", "an endpoint points at a host the Compose file does not run")
@rule("C102", "a Compose service runs an action server no endpoint uses", "warning")
@rule("C103", "a Compose service runs a database no endpoint uses", "warning")
def endpoints_match_compose(bot: Bot) -> Iterator[Problem]:
    running = services(bot)
    if not rasa_image(bot)[1]:
        return  # Rasa runs outside Compose (or from an image of its own): its hosts are not Compose's
    hosts = endpoint_hosts(bot)
    dangling = {section: host for section, host in hosts.items() if host not in running and not is_external(host)}
    for section, host in dangling.items():
        yield Problem(
            "C101",
            bot.file("endpoints"),
            bot.line("endpoints", section, "url"),
            f"{section} points at host '{host}', which docker-compose.yml does not run "
            f"(services: {', '.join(sorted(running))})",
            f"use one of those service names as the host, or add a '{host}' service to docker-compose.yml",
        )
    if dangling or custom_actions(bot) and not bot.endpoints.get("action_endpoint"):
        return  # the unused service is then most likely the one the wrong host meant: not "remove it"
    if any("${" in str(settings.get("url")) for settings in bot.endpoints.values() if isinstance(settings, dict)):
        return  # a host set by the environment may be any service
    yield from unused_services(bot, set(hosts.values()))


def unused_services(bot: Bot, used: set) -> Iterator[Problem]:
    for name, service in services(bot).items():
        repository = base_image(bot, service).split(":")[0]
        line = bot.line("compose", "services", name)
        if repository == "rasa/rasa-sdk" and name not in used:
            yield Problem(
                "C102",
                bot.file("compose"),
                line,
                f"service '{name}' runs an action server but no endpoint uses it",
                f"point action_endpoint at http://{name}:5055/webhook in {bot.file('endpoints')}, or remove it",
            )
        if repository.split("/")[-1] in DATABASE_IMAGES and name not in used:
            yield Problem(
                "C103",
                bot.file("compose"),
                line,
                f"service '{name}' runs a database but no endpoint uses it",
                f"point tracker_store at '{name}' in {bot.file('endpoints')}, or remove the service",
            )


@rule("C104", "a custom tracker store's module is missing")
@rule("C105", "a custom tracker store's module does not define its class")
def custom_tracker_store(bot: Bot) -> Iterator[Problem]:
    store = bot.endpoints.get("tracker_store")
    kind = str(store.get("type", "")) if isinstance(store, dict) else ""
    if "." not in kind:
        return
    module, _, class_name = kind.rpartition(".")
    path = bot.root / (module.replace(".", "/") + ".py")
    if not path.is_file():
        yield Problem(
            "C104",
            bot.file("endpoints"),
            bot.line("endpoints", "tracker_store", "type"),
            f"tracker_store type '{kind}' needs {bot.rel(path)}, which is missing",
            "create that module, or fix the dotted path (module.path.ClassName)",
        )
    elif not re.search(rf"^\s*class\s+{re.escape(class_name)}\b", bot.text(path), re.M):
        yield Problem(
            "C105",
            bot.rel(path),
            None,
            f"does not define class '{class_name}' named by tracker_store in {bot.file('endpoints')}",
            "define the class there, or fix the class name in endpoints.yml",
        )


@rule("C107", "requirements.txt pins another Rasa or Rasa SDK version than the Docker image")
def versions(bot: Bot) -> Iterator[Problem]:
    images = {base_image(bot, s).split(":")[0]: base_image(bot, s) for s in services(bot).values()}
    for repository, package in (("rasa/rasa", "rasa"), ("rasa/rasa-sdk", "rasa-sdk")):
        version, image = pinned(bot, package), images.get(repository, "")
        image_version = image.partition(":")[2].split("-")[0]
        if version and image_version and "$" not in image and version != image_version:
            yield Problem(
                "C107",
                "requirements.txt",
                None,
                f"pins {package}=={version} but the Docker image is {image}",
                "use the same version in both (the local venv and the containers must agree)",
            )

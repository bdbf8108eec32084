"""What the deployment rules share: Compose services, the images they run, endpoint hosts, pins."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from .model import Bot


def url_host(url: str) -> str | None:
    """The host of a URL or `host:port`; None when it comes from the environment (`${VAR}`)."""
    if "${" in url:
        return None
    return urlparse(url).hostname if "://" in url else url.split(":")[0]


def is_external(host: str) -> bool:
    """A DNS name or an IP address outside Compose (service names have no dots)."""
    return "." in host


def endpoint_hosts(bot: Bot) -> dict[str, str]:
    """Host each network endpoint of endpoints.yml points at, by section name."""
    hosts = {}
    for section, settings in bot.endpoints.items():
        if isinstance(settings, dict) and settings.get("url"):
            host = url_host(str(settings["url"]))
            if host:
                hosts[section] = host
    return hosts


def without_host(settings: object) -> object:
    """An endpoints.yml section with the host of its url left out (hosts may differ per platform)."""
    if not isinstance(settings, dict) or "url" not in settings:
        return settings
    url = str(settings["url"])
    if "://" in url:
        parsed = urlparse(url)
        url = parsed._replace(netloc=parsed.netloc.replace(parsed.hostname or "", "", 1)).geturl()
    else:
        url = url.partition(":")[2]
    return {**settings, "url": url}


def services(bot: Bot) -> dict[str, dict]:
    return {str(name): s for name, s in (bot.compose.get("services") or {}).items() if isinstance(s, dict)}


def dockerfile(bot: Bot, service: dict) -> Path | None:
    """The Dockerfile a compose service builds, or None when it runs an image."""
    build = service.get("build")
    if not build:
        return None
    if isinstance(build, dict):
        return bot.root / str(build.get("context", ".")) / str(build.get("dockerfile", "Dockerfile"))
    return bot.root / str(build) / "Dockerfile"


def installs(dockerfile_source: str, package: str) -> bool:
    """The Dockerfile installs this package itself (`pip install ... package`, `spacy download`)."""
    lines = re.sub(r"\\\n", " ", dockerfile_source).splitlines()
    pattern = rf"^\s*RUN\b.*(\bpip3?\b.*\binstall\b.*\b{re.escape(package)}\b|\b{re.escape(package)} download\b)"
    return any(re.search(pattern, line) for line in lines)


def base_image(bot: Bot, service: dict) -> str:
    """The image a compose service runs, or the FROM of the Dockerfile it builds."""
    path = dockerfile(bot, service)
    if path is not None:
        froms = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", bot.text(path), re.M)
        return froms[-1] if froms else ""
    return str(service.get("image") or "")


def rasa_image(bot: Bot) -> tuple[str, str, str, str]:
    """(service, image, file that sets the image, its Dockerfile's text) of the Rasa server, or empty."""
    for name, service in services(bot).items():
        image = base_image(bot, service)
        if image.split(":")[0] == "rasa/rasa":
            path = dockerfile(bot, service)
            return name, image, bot.rel(path) if path is not None else bot.file("compose"), bot.text(path)
    return "", "", "", ""


def components(bot: Bot) -> list[dict]:
    return [c for c in bot.config.get("pipeline") or [] if isinstance(c, dict)]


def pinned(bot: Bot, package: str) -> str:
    found = re.search(rf"^{re.escape(package)}==(\S+)", bot.text(bot.root / "requirements.txt"), re.M)
    return found.group(1) if found else ""


def text_line(text: str, pattern: str) -> int | None:
    """The line of the first match of a regular expression in a text."""
    found = re.search(pattern, text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else None

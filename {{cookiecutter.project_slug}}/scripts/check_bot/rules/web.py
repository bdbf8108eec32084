"""web/: a page that talks socket.io needs Rasa's socketio channel; nginx proxies to Compose services,
and the messengers' webhooks; the sites allowed to embed the chat are ones nginx accepts."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import bot_files
import generate_env

from ..core import Problem, rule
from ..deploy import is_external, services, text_line
from ..model import Bot
from ..tables import CHANNEL_KEYS


@rule("W101", "a web page connects over socket.io but credentials.yml has no socketio channel")
def socketio_channel(bot: Bot) -> Iterator[Problem]:
    pages = bot_files.project_files(bot.root / "web", (".html", ".js"))
    page = next((p for p in pages if "socket.io" in bot.text(p)), None)
    if page is not None and "socketio" not in bot.credentials:
        yield Problem(
            "W101",
            bot.file("credentials"),
            None,
            f"{bot.rel(page)} connects over socket.io, but there is no socketio channel",
            "add 'socketio:' with 'user_message_evt: user_uttered' and 'bot_message_evt: bot_uttered' "
            f"to {bot.file('credentials')}",
        )


@rule("W102", "web/nginx.conf proxies to a host the Compose file does not run")
def nginx_hosts(bot: Bot) -> Iterator[Problem]:
    text = bot.text(bot.root / "web" / "nginx.conf")
    running = services(bot)
    upstreams = set(re.findall(r"^\s*upstream\s+(\S+)\s*\{", text, re.M))
    hosts = re.findall(r"^\s*proxy_pass\s+https?://([^:/;\s]+)", text, re.M)
    hosts += re.findall(r"^\s*server\s+([^\s:;{]+)(?::\d+)?[^;{]*;", text, re.M)  # upstream members
    hosts += re.findall(r"^\s*set\s+\$\w+\s+https?://([^:/;\s]+)", text, re.M)  # proxy_pass $rasa
    for host in dict.fromkeys(hosts):
        if running and host not in upstreams and host not in running and not host.startswith("$"):
            if is_external(host):
                continue
            yield Problem(
                "W102",
                "web/nginx.conf",
                text_line(text, rf"^\s*(proxy_pass\s+https?://|server\s+|set\s+\$\w+\s+https?://){re.escape(host)}\b"),
                f"proxies to host '{host}', which docker-compose.yml does not run "
                f"(services: {', '.join(sorted(running))})",
                "use one of those service names in proxy_pass (or the variable it uses), or add that service to "
                "docker-compose.yml",
            )


def proxied_prefixes(text: str) -> list[str]:
    """The prefix locations of nginx.conf whose block passes requests on (proxy_pass)."""
    prefixes = []
    for found in re.finditer(r"^\s*location\s+(?:\^~\s+)?(/\S*)\s*\{", text, re.M):
        depth, end = 1, found.end()
        while depth and end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        if re.search(r"^\s*proxy_pass\s", text[found.end() : end], re.M):
            prefixes.append(found.group(1))
    return prefixes


@rule("W103", "web/nginx.conf does not proxy a messenger channel's webhook")
def nginx_proxies_channels(bot: Bot) -> Iterator[Problem]:
    conf = bot.root / "web" / "nginx.conf"
    if not conf.is_file():
        return
    prefixes = proxied_prefixes(bot.text(conf))
    for channel in bot.credentials:
        path = f"/webhooks/{channel}/webhook"
        if channel in CHANNEL_KEYS and not any(path.startswith(prefix) for prefix in prefixes):
            yield Problem(
                "W103",
                "web/nginx.conf",
                None,
                f"no location proxies {path}, where the {channel} channel gets its messages",
                "add it to a location that proxies to Rasa (the template's is 'location /webhooks/', proxy_pass $rasa)",
            )


@rule("W104", "WEB_ALLOWED_ORIGINS in .env is not a list of sites (scheme://host[:port]) nginx accepts")
def allowed_origins(bot: Bot) -> Iterator[Problem]:
    """Asks web/allowed-origins.sh itself (what the web service runs at start), so the rule and nginx
    never disagree: a '*' or a path there stops the web service."""
    env, script = bot.root / ".env", bot.root / "web" / "allowed-origins.sh"
    origins = generate_env.settings(bot.text(env)).get("WEB_ALLOWED_ORIGINS", "") if env.is_file() else ""
    if not origins.strip() or not script.is_file():
        return
    with tempfile.TemporaryDirectory() as folder:
        try:
            run = subprocess.run(
                ["sh", str(script), str(Path(folder) / "allowed-origins.map")],
                env={"WEB_ALLOWED_ORIGINS": origins, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return  # no POSIX shell here: the web service still checks at start
    if run.returncode != 0:
        yield Problem(
            "W104",
            ".env",
            text_line(bot.text(env), r"^WEB_ALLOWED_ORIGINS="),
            run.stderr.strip().removeprefix("allowed-origins.sh: ") or "WEB_ALLOWED_ORIGINS is refused by nginx",
            "write the sites that embed the chat as scheme://host[:port], separated by spaces or commas "
            "(e.g. https://www.example.com), never '*'",
        )

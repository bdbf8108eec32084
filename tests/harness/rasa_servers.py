"""`rasa run` and `rasa run actions` on 127.0.0.1 and free ports, always stopped; their trackers."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from urllib.parse import quote

from harness.bots import RasaProject
from harness.processes import LOCAL, Service, free_port, http_json, serve

SERVER_TIMEOUT = 300  # seconds for a server to answer (light ~10 s, diet ~30 s)


@contextlib.contextmanager
def rasa_server(bot: RasaProject, model: Path, endpoints: Path, *, env: dict | None = None,
                timeout: float = SERVER_TIMEOUT, launcher: bool = True):  # fmt: skip
    """`rasa run --enable-api` on 127.0.0.1 with an auth token; ready once /status names a model.

    launcher=False starts the venv's own `rasa` (Rasa's stock channels, without the bot's launcher);
    Rasa 3.6 only, whose `rasa run` has --interface."""
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://{LOCAL}:{port}"

    def ready(service: Service) -> bool:
        status, body = http_json(f"{url}/status?token={token}", timeout=5)
        # /status names the loaded model: "model_id" in Rasa 3.x, "model_file" in 2.x.
        return status == 200 and isinstance(body, dict) and bool(body.get("model_id") or body.get("model_file"))

    args = ["run", "--enable-api", "-p", str(port), "-m", str(model), "--endpoints", str(endpoints),
            "--credentials", "config/credentials.yml", "--auth-token", token]  # fmt: skip
    # The bot's own launcher, as Compose starts it; RASA_HOST binds 127.0.0.1 on 2.8 too (no --interface).
    if launcher:
        argv = bot.rasa(*args)
    else:
        assert bot.line != "2.8", "Rasa 2.8's `rasa run` cannot listen on 127.0.0.1 alone without the launcher"
        argv = [str(bot.venv / "bin" / "rasa"), *args, "--interface", LOCAL]
    env = bot.run_env("rasa-run", {**(env or {}), "RASA_HOST": LOCAL})
    log = bot.scratch / "logs" / f"rasa-{bot.runs:02d}.log"
    # The run folder as the image and the bot's README set it up: rasa.Dockerfile creates
    # /app/state (SQLite cannot create the folder of its file; Rasa then falls back to memory).
    (bot.path / "state").mkdir(exist_ok=True)
    with serve("rasa", argv, cwd=bot.path, env=env, log=log, url=url, ready=ready, timeout=timeout) as service:
        hosts = service.listening_hosts(port)
        assert hosts == {LOCAL}, f"rasa listens on {hosts}, not only on {LOCAL}"
        service.token = token
        yield service


@contextlib.contextmanager
def action_server(bot: RasaProject, *, timeout: float = 120):
    """`rasa run actions --debug` (it has no interface flag: SANIC_HOST), ready on /health.

    --debug makes rasa-sdk log "Received request to run 'action_joke'", so tests can prove the call.
    """
    port = free_port()
    url = f"http://{LOCAL}:{port}"
    argv = [str(bot.venv / "bin" / "rasa"), "run", "actions", "-p", str(port), "--actions", "actions", "--debug"]
    env = bot.run_env("actions", {"SANIC_HOST": LOCAL, "JOKE_API_URL": ""})
    log = bot.scratch / "logs" / f"actions-{bot.runs:02d}.log"

    def ready(service: Service) -> bool:
        status, body = http_json(f"{url}/health", timeout=5)
        return status == 200 and body == {"status": "ok"}

    with serve("action server", argv, cwd=bot.path, env=env, log=log, url=url, ready=ready, timeout=timeout) as service:
        hosts = service.listening_hosts(port)
        assert hosts == {LOCAL}, f"the action server listens on {hosts}, not only on {LOCAL}"
        yield service


def tracker(service: Service, sender: str) -> dict:
    status, body = http_json(f"{service.url}/conversations/{quote(sender, safe='')}/tracker?token={service.token}")
    assert status == 200 and isinstance(body, dict), f"GET tracker of {sender!r}: {status} {body}"
    return body


def user_texts(events: list) -> list[str]:
    """The texts of the user messages among tracker events (dicts as Rasa serialises them)."""
    return [event.get("text") for event in events if isinstance(event, dict) and event.get("event") == "user"]

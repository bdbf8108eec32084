"""The bot's one client of Rasa's HTTP API: the REST channel, training and loading a model.

Standard library only (the scripts run on a bare python3). Every failure is a RasaHTTPError whose
message says what went wrong, so a command line prints one line, never a traceback.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from typing import NamedTuple


class RasaHTTPError(Exception):
    """Rasa could not be asked (unreachable, too slow, not Rasa) or refused the request."""


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: Message  # an email.message.Message: headers["filename"] ignores case


def _within(seconds: float, work: Callable[[], Reply]) -> Reply:
    """work(), or RasaHTTPError once `seconds` have passed (a server that trickles bytes included)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise RasaHTTPError(f"no complete answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def request(url: str, body: bytes | None = None, *, method: str | None = None, timeout: float = 30,
            content_type: str = "application/json") -> Reply:  # fmt: skip
    """One request; its Reply whatever the HTTP status. RasaHTTPError when there is no HTTP answer."""

    def ask() -> Reply:
        prepared = urllib.request.Request(url, body, {"Content-Type": content_type}, method=method)
        try:
            with urllib.request.urlopen(prepared, timeout=timeout) as reply:
                return Reply(reply.status, reply.read(), reply.headers)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), error.headers)

    try:
        return _within(timeout, ask)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        raise RasaHTTPError(f"cannot reach {url}: {getattr(error, 'reason', None) or error!r}") from None


def _api(url: str, path: str, token: str = "", **query: str) -> str:
    """Rasa's URL of `path`, with the token and other query parameters."""
    parameters = urllib.parse.urlencode({**({"token": token} if token else {}), **query})
    return f"{url.rstrip('/')}{path}" + (f"?{parameters}" if parameters else "")


def send(url: str, sender: str, text: str, timeout: float = 30) -> list[str]:
    """POST one message to the REST channel; the texts of the bot's replies."""
    webhook = _api(url, "/webhooks/rest/webhook")
    reply = request(webhook, json.dumps({"sender": sender, "message": text}).encode(), timeout=timeout)
    if reply.status != 200:
        hint = "is the rest channel in config/credentials.yml?" if reply.status == 404 else "see the Rasa server's log"
        raise RasaHTTPError(f"{webhook} answered HTTP {reply.status}: {hint}")
    try:
        replies = json.loads(reply.body)
    except ValueError:
        raise RasaHTTPError(
            f"{webhook} answered something that is not JSON: {reply.body[:80]!r}. Is that URL Rasa?"
        ) from None
    if not isinstance(replies, list) or not all(isinstance(item, dict) for item in replies):
        raise RasaHTTPError(f"{webhook} answered {reply.body[:80]!r}, not Rasa's list of replies. Is that URL Rasa?")
    return [str(item.get("text", "")) for item in replies]


def wait_until_up(url: str, seconds: float, alive: Callable[[], bool] = lambda: True) -> None:
    """Return once the server answers HTTP at all. RasaHTTPError after `seconds`, or as soon as
    alive() is false (the server's process has exited)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            request(f"{url.rstrip('/')}/", timeout=max(1.0, min(5.0, deadline - time.monotonic())))
            return
        except RasaHTTPError:
            if time.monotonic() > deadline or not alive():
                raise
            time.sleep(0.3)


def _accepted(reply: Reply, what: str) -> Reply:
    if reply.status >= 300:
        text = reply.body.decode(errors="replace")[:2000]
        raise RasaHTTPError(f"Rasa refused {what} (HTTP {reply.status}){': ' + text if text else ''}")
    return reply


def train(url: str, token: str, payload: bytes, timeout: float = 3600, finetune: str = "",
          epoch_fraction: float = 1.0, own_domain: bool = False) -> str:  # fmt: skip
    """POST /model/train with config, domain and data as one YAML document; Rasa saves the model to
    its models/ folder. The model's path, relative to the server's working directory. With
    `finetune` (a model's path on the server) or `own_domain`, the server must run
    scripts/finetune.py's install()."""
    extra = {"finetune": finetune, "epoch_fraction": f"{epoch_fraction:g}"} if finetune else {}
    extra.update({"own_domain": "true"} if own_domain or finetune else {})
    endpoint = _api(url, "/model/train", token, save_to_default_model_directory="true", **extra)
    reply = request(endpoint, payload, method="POST", timeout=timeout, content_type="application/x-yaml")
    filename = _accepted(reply, "the training").headers["filename"]
    if not filename:
        raise RasaHTTPError(f"Rasa trained but named no model file (HTTP {reply.status}). Is that URL Rasa?")
    return f"models/{filename}"


def load(url: str, token: str, model: str, timeout: float = 600) -> None:
    """PUT /model: the server answers with `model` (a path on the server) from now on."""
    reply = request(
        _api(url, "/model", token), json.dumps({"model_file": model}).encode(), method="PUT", timeout=timeout
    )
    _accepted(reply, f"to load {model}")

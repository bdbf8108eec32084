"""Unit tests of the custom actions: `pytest tests` (or `make test`)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.actions import ActionJoke, fetch_joke, local_jokes


def empty_tracker() -> Tracker:
    return Tracker("test-user", {}, {}, [], False, None, {}, "action_listen")


def run_joke_action() -> list[dict]:
    dispatcher = CollectingDispatcher()
    events = ActionJoke().run(dispatcher, empty_tracker(), {})
    assert events == []
    return dispatcher.messages


def test_local_jokes_are_there() -> None:
    jokes = local_jokes()
    assert jokes and all(joke.strip() == joke and joke for joke in jokes)


def test_action_name_matches_domain() -> None:
    assert ActionJoke().name() == "action_joke"


def test_joke_is_told_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOKE_API_URL", raising=False)
    messages = run_joke_action()
    assert len(messages) == 1
    assert messages[0]["text"] in local_jokes()


@pytest.fixture
def joke_api():
    """A local HTTP server standing in for an external joke API."""
    replies: dict[str, bytes] = {"/ok": json.dumps({"joke": "A served joke."}).encode(), "/bad": b"not json"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = replies.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_joke_comes_from_the_api_when_it_answers(joke_api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOKE_API_URL", f"{joke_api}/ok")
    assert run_joke_action()[0]["text"] == "A served joke."


@pytest.mark.parametrize("path", ["/bad", "/missing"])
def test_broken_api_falls_back_to_a_local_joke(joke_api, path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOKE_API_URL", f"{joke_api}{path}")
    assert run_joke_action()[0]["text"] in local_jokes()


def test_unreachable_api_returns_none_quickly() -> None:
    assert fetch_joke("http://127.0.0.1:9/none", timeout=0.5) is None


def test_module_exposes_only_known_actions() -> None:
    names = {
        cls().name()
        for cls in vars(actions).values()
        if isinstance(cls, type) and issubclass(cls, actions.Action) and cls is not actions.Action
    }
    assert names == {"action_joke"}

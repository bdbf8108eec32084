"""Shared fixtures: baking the template (harness.bots.bake) and reading the result."""

from __future__ import annotations

import fcntl
import hashlib
import http.server
import json
import os
import shutil
import socketserver
import sys
import threading
from pathlib import Path

import pytest
import yaml

from harness import bots  # also puts the bot template's scripts/ (check_bot, smoke_test) on sys.path
from harness.combinations import DOCKER_NOT_COVERED, REAL_RASA_EXCLUDED, TEMPLATE_DIR

pytest_plugins = ["harness.worker_groups"]  # which tests share a pytest-xdist worker

# The tests import the bot's own scripts without leaving __pycache__ in the template (it would be
# copied into every baked bot).
sys.dont_write_bytecode = True


def pytest_sessionstart(session) -> None:
    """Tool caches left in the bot template (ruff writes .ruff_cache there, since the bot has its own
    pyproject.toml) would be copied into every bake, or break it: they are not the template's files."""
    for cache in (TEMPLATE_DIR / "{{cookiecutter.project_slug}}").rglob("*"):
        if cache.is_dir() and cache.name in (".ruff_cache", "__pycache__", ".pytest_cache"):
            shutil.rmtree(cache)


def pytest_report_header(config) -> list[str]:
    """Say up front what the slow tiers leave out, so a CI log never hides it."""
    real = [f"real-Rasa tier excludes {rule}: {reason}" for rule, reason in REAL_RASA_EXCLUDED]
    docker = [f"Docker tier leaves out {key}={value}: {reason}"
              for key, reasons in DOCKER_NOT_COVERED.items() for value, reason in reasons.items()]  # fmt: skip
    return real + docker


class Baked:
    """A rendered bot folder with small readers for its files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def yaml(self, relative: str):
        return yaml.safe_load(self.text(relative))

    def exists(self, relative: str) -> bool:
        return (self.path / relative).exists()

    def files(self) -> list[Path]:
        return sorted(p for p in self.path.rglob("*") if p.is_file())


def _bake_into(folder: Path, answers: dict) -> Baked:
    try:
        return Baked(bots.bake(answers, folder))
    except Exception as exc:  # a hook rejected the answers: say which
        pytest.fail(f"bake failed for {answers}: {exc!r}", pytrace=False)


@pytest.fixture
def bake(tmp_path_factory):
    """bake(**answers) -> Baked, in a fresh folder; fails the test with the hook's error."""
    return lambda **answers: _bake_into(tmp_path_factory.mktemp("bake"), answers)


@pytest.fixture(scope="session")
def bake_once(tmp_path_factory):
    """Like bake, but each combination of answers is baked once per test run (read-only use): the
    pytest-xdist workers share the bakes, in the run's temporary folder, one file lock per bake."""
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "bakes-once"
    shared.mkdir(exist_ok=True)
    baked: dict[str, Baked] = {}

    def _bake(**answers) -> Baked:
        key = json.dumps(answers, sort_keys=True)
        if key not in baked:
            folder = shared / hashlib.sha256(key.encode()).hexdigest()[:16]
            with open(f"{folder}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                done = folder / "baked-bot-path"  # written last, beside the bot folder
                if not done.is_file():
                    shutil.rmtree(folder, ignore_errors=True)
                    done.parent.mkdir()
                    done.write_text(str(_bake_into(folder, answers).path), encoding="utf-8")
                baked[key] = Baked(Path(done.read_text(encoding="utf-8")))
        return baked[key]

    return _bake


# --- Stand-ins of a server on 127.0.0.1: for the bot's HTTP client and smoke test -------------------


class StandInHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the class's status and body."""

    status, body = 200, b"[]"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


@pytest.fixture
def stand_in():
    """stand_in(server) -> its URL; every server is shut down after the test."""
    servers = []

    def start(server: socketserver.BaseServer) -> str:
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def http_server(stand_in):
    """An HTTP server that answers every request with one status and body."""

    def start(status: int, body: bytes) -> str:
        handler = type("Handler", (StandInHandler,), {"status": status, "body": body})
        return stand_in(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))

    return start


@pytest.fixture
def raw_server(stand_in):
    """A TCP server whose handler gets the connected socket (for non-HTTP or slow peers)."""

    def start(handle) -> str:
        handler = type("Raw", (socketserver.BaseRequestHandler,), {"handle": lambda self: handle(self.request)})
        return stand_in(_RawServer(("127.0.0.1", 0), handler))

    return start

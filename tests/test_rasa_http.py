"""The bot's scripts/rasa_http.py (the one client of Rasa's HTTP API) against stand-in servers on
127.0.0.1: what it sends, and a clear RasaHTTPError for every answer that is not a healthy Rasa.
Real Rasa answers it in the real tier (test_dev_loop.py, test_rasa_e2e.py)."""

from __future__ import annotations

import http.server
import json
import socket
import time
import urllib.parse

import pytest

import rasa_http
from conftest import StandInHandler


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing listens there


@pytest.fixture
def recording_rasa(stand_in):
    """A stand-in of Rasa's model API: records each request; /model/train names a model file."""
    seen: list[dict] = []

    class Recorder(StandInHandler):
        def _answer(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"method": self.command, "path": url.path, "query": dict(urllib.parse.parse_qsl(url.query)),
                         "type": self.headers.get("Content-Type"), "body": body})  # fmt: skip
            self.send_response(200 if url.path == "/model/train" else 204)
            if url.path == "/model/train":
                self.send_header("Filename", "20260101-120000-calm-bot.tar.gz")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = _answer

    url = stand_in(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder))
    return url, seen


def test_train_and_load_send_what_rasas_api_reads(recording_rasa):
    url, seen = recording_rasa
    model = rasa_http.train(url, "s3cret", b"version: '3.1'\n")
    rasa_http.load(url, "s3cret", model)
    assert model == "models/20260101-120000-calm-bot.tar.gz"
    train, load = seen
    assert (train["method"], train["path"], train["type"]) == ("POST", "/model/train", "application/x-yaml")
    assert train["query"] == {"token": "s3cret", "save_to_default_model_directory": "true"}
    assert train["body"] == b"version: '3.1'\n"
    assert (load["method"], load["path"], load["query"]) == ("PUT", "/model", {"token": "s3cret"})
    assert json.loads(load["body"]) == {"model_file": model}


def test_send_posts_the_message_and_returns_the_texts(stand_in):
    class Echo(StandInHandler):
        def do_POST(self) -> None:
            message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.body = json.dumps([{"recipient_id": message["sender"], "text": message["message"].upper()},
                                    {"recipient_id": message["sender"], "image": "x.png"}]).encode()  # fmt: skip
            self._answer()

    url = stand_in(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo))
    assert rasa_http.send(url + "/", "someone", "hello") == ["HELLO", ""]


@pytest.mark.parametrize(
    ("call", "status", "body", "message"),
    [
        ("send", 200, b"<html>It works!</html>", "answered something that is not JSON"),
        ("send", 200, b'{"message": "hello"}', "not Rasa's list of replies"),
        ("send", 404, b"not found", "HTTP 404: is the rest channel in config/credentials.yml?"),
        ("send", 500, b"oops", "HTTP 500: see the Rasa server's log"),
        (
            "train",
            400,
            b'{"message": "the domain is invalid"}',
            'Rasa refused the training (HTTP 400): {"message": "the domain is invalid"}',
        ),
        ("train", 401, b"", "Rasa refused the training (HTTP 401). "),
        ("train", 200, b"{}", "Rasa trained but named no model file"),
        ("load", 500, b"no such file", "Rasa refused to load models/m.tar.gz (HTTP 500): no such file"),
    ],
)
def test_an_answer_that_is_not_a_healthy_rasa_is_a_clear_error(http_server, call, status, body, message):
    url = http_server(status, body)
    calls = {
        "send": lambda: rasa_http.send(url, "sender", "hello"),
        "train": lambda: rasa_http.train(url, "token", b"{}"),
        "load": lambda: rasa_http.load(url, "token", "models/m.tar.gz"),
    }
    with pytest.raises(rasa_http.RasaHTTPError) as error:
        calls[call]()
    assert message in f"{error.value}. "  # a message ending in ". " proves that nothing follows it


def test_non_http_bytes_are_cannot_reach(raw_server):
    url = raw_server(lambda sock: sock.sendall(b"\x00\x01 not http at all\r\n\r\n"))
    with pytest.raises(rasa_http.RasaHTTPError, match=f"cannot reach {url}/webhooks/rest/webhook"):
        rasa_http.send(url, "sender", "hello")


def test_a_trickling_server_cannot_hang_it(raw_server):
    def trickle(sock: socket.socket) -> None:
        try:
            sock.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b" " * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.5)
        except OSError:  # the client gave up: what we want
            pass

    url = raw_server(trickle)
    with pytest.raises(rasa_http.RasaHTTPError, match="no complete answer within 2 s"):
        rasa_http.send(url, "sender", "hello", timeout=2)


def test_a_malformed_url_is_an_error_too():
    with pytest.raises(rasa_http.RasaHTTPError, match="cannot reach"):
        rasa_http.send("localhost:5005", "sender", "hello")


def test_wait_until_up_returns_on_any_http_answer(http_server):
    rasa_http.wait_until_up(http_server(404, b"not found"), 5)


def test_wait_until_up_gives_up_after_its_time():
    began = time.monotonic()
    with pytest.raises(rasa_http.RasaHTTPError, match="cannot reach"):
        rasa_http.wait_until_up(closed_port_url(), 1)
    assert 1 <= time.monotonic() - began < 10


def test_wait_until_up_stops_waiting_when_the_server_is_gone():
    began = time.monotonic()
    with pytest.raises(rasa_http.RasaHTTPError, match="cannot reach"):
        rasa_http.wait_until_up(closed_port_url(), 600, alive=lambda: False)
    assert time.monotonic() - began < 10

"""The bot's smoke test against servers that are not a healthy Rasa: a clear message, never a
traceback or a hang. Each server here is a real socket server on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time

import pytest

import smoke_test


class _Handler(http.server.BaseHTTPRequestHandler):
    status, body = 200, b"[]"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


@pytest.fixture
def serve():
    """serve(server) -> its URL; every server is shut down after the test."""
    servers = []

    def start(server: socketserver.BaseServer) -> str:
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def http_server(serve):
    """An HTTP server that answers every request with one status and body."""

    def start(status: int, body: bytes) -> str:
        handler = type("Handler", (_Handler,), {"status": status, "body": body})
        return serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))

    return start


@pytest.fixture
def raw_server(serve):
    """A TCP server whose handler gets the connected socket (for non-HTTP or slow peers)."""

    def start(handle) -> str:
        handler = type("Raw", (socketserver.BaseRequestHandler,), {"handle": lambda self: handle(self.request)})
        return serve(_RawServer(("127.0.0.1", 0), handler))

    return start


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html><body>It works!</body></html>", "not JSON"),
        (200, b'{"message": "hello"}', "not Rasa's list of replies"),
        (200, b'["hi"]', "not Rasa's list of replies"),
        (404, b"not found", "HTTP 404: is the rest channel in config/credentials.yml?"),
        (500, b"oops", "HTTP 500: see the Rasa server's log"),
    ],
)
def test_a_server_that_is_not_rasa_gets_a_clear_message(http_server, bake_once, capsys, status, body, message):
    url = http_server(status, body)
    assert smoke_test.main(["--url", url, "--bot-dir", str(bake_once().path)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_non_http_bytes_are_reported(raw_server, bake_once, capsys):
    url = raw_server(lambda sock: sock.sendall(b"\x00\x01 not http at all\r\n\r\n"))
    assert smoke_test.main(["--url", url, "--bot-dir", str(bake_once().path)]) == 2
    assert f"cannot reach {url}/" in capsys.readouterr().err


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
    with pytest.raises(smoke_test.SmokeError, match="no complete answer within 2 s"):
        smoke_test.send(url, "sender", "hello", timeout=2)


def test_nobody_listening_is_cannot_reach(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    assert smoke_test.main(["--url", f"http://127.0.0.1:{port}", "--wait", "1"]) == 2
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize("wait", ["nan", "inf", "-1", "soon"])
def test_bad_wait_is_refused(capsys, wait):
    with pytest.raises(SystemExit) as exit_info:
        smoke_test.main(["--wait", wait])
    assert exit_info.value.code == 2
    assert "is not a number of seconds" in capsys.readouterr().err

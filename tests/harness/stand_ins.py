"""Local stand-ins of the HTTP APIs a bot calls (messenger platforms, Duckling), on 127.0.0.1: each
records the requests it gets and answers JSON the way the documented API does."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator

from harness.processes import LOCAL


class RecordingAPI(http.server.BaseHTTPRequestHandler):
    """A subclass defines `calls` (its own list) and `reply(path)`, or `answer(path, fields)` when the
    answer depends on what was sent: each request's (path, fields) is recorded (JSON or form fields;
    a form field given twice keeps its last value), then answered."""

    calls: list[tuple[str, dict]]

    @staticmethod
    def reply(path: str) -> tuple[int, object]:
        raise NotImplementedError

    def answer(self, path: str, fields: dict) -> tuple[int, object]:
        return self.reply(path)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if body.startswith("{"):  # JSON (Mattermost's client sends it without a Content-Type)
            fields = json.loads(body)
        else:
            fields = {key: values[-1] for key, values in urllib.parse.parse_qs(body).items()}
        path = urllib.parse.urlparse(self.path).path
        self.calls.append((path, fields))
        status, answer = self.answer(path, fields)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serving(handler: type[RecordingAPI], host: str = LOCAL) -> Iterator[str]:
    """The stand-in's base URL while it runs; its `calls` start empty. host="0.0.0.0" also serves
    containers, which reach this machine at their bridge's gateway address (then name the port)."""
    handler.calls.clear()
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOCAL if host == '0.0.0.0' else host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

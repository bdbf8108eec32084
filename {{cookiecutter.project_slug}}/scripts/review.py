#!/usr/bin/env python3
"""`make review`: a local page that turns the messages the bot understood worst into training data.

    python scripts/review.py [--port 8090] [--endpoints config/endpoints.yml | --events FILE]
                             [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--limit 50]

It reads the stored conversations as `make insights` does (scripts/insights.py), and lists the
worst-understood messages with the lines before them and what Rasa made of them, minus those that
are NLU examples already (any intent), those ignored before and buttons' `/intent` payloads. For
each: the right intent (then "Teach"), "Out of scope" (an example of the domain's `out_of_scope`
intent) or "Ignore".
scripts/nlu_writer.py writes the example into data/ and the checker runs after it. Ignored
messages go to .review/ignored.jsonl, never into data/.

The page listens on 127.0.0.1 only and needs the random token of the URL it prints (like Jupyter).
A POST must carry that token in its form and come from the page's own origin (Origin and Host are
checked), so another site open in the browser cannot write. No script on the page, nothing loaded
from elsewhere, a strict Content-Security-Policy. --container binds 0.0.0.0 inside the Rasa
container only: `make review` publishes that port on the host's 127.0.0.1 alone.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import ipaddress
import json
import sys
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable

import bot_files
import nlu_writer
import yaml

ROOT = Path(__file__).resolve().parent.parent
IGNORED = Path(".review") / "ignored.jsonl"  # relative to the bot: outside data/, in .gitignore
OUT_OF_SCOPE = "out_of_scope"
MAX_FORM = 64 * 1024  # bytes of a POST body
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 58rem; margin: 1.5rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; } .notice { padding: .6rem .8rem; background: #e8f3ea; white-space: pre-wrap; }
.notice.error { background: #fbe9e7; } ol { padding-left: 1.2rem; } li.message { margin: 0 0 1.6rem; }
.context { color: #555; margin: 0; white-space: pre-wrap; font-size: .9rem; }
.text { font-size: 1.1rem; margin: .3rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.meta { color: #555; font-size: .9rem; margin: 0 0 .4rem; } fieldset { border: 1px solid #ccc; margin: 0 0 .5rem; }
label { display: inline-block; margin: 0 .9rem .2rem 0; } button { margin-right: .5rem; }
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; img-src 'none'"
)


class ReviewError(Exception):
    """A problem the user can fix; str() is the one-line reason."""


@dataclass
class Candidate:
    id: str
    turn: object  # insights.UserTurn
    count: int  # how often it was said (the same words, whatever the case and spacing)


def message_id(text: str) -> str:
    return hashlib.sha256(nlu_writer.example_key(text).encode()).hexdigest()[:16]


def bind_address(host: str, container: bool) -> str:
    """The address to listen on: loopback only; 0.0.0.0 only inside the container (--container)."""
    address = "127.0.0.1" if host == "localhost" else host
    if container and address == "0.0.0.0":
        return address
    try:
        loopback = ipaddress.ip_address(address).is_loopback and ":" not in address
    except ValueError:
        loopback = False
    if not loopback:
        raise ReviewError(
            f"--host {host} refused: the review page writes your training data, so it listens on 127.0.0.1 only. "
            "From another machine use a tunnel: ssh -L 8090:127.0.0.1:8090 <this host>"
        )
    return address


# --- what is listed -------------------------------------------------------------------------


class Review:
    """The messages to review and what a label does. load_turns reads the store (insights)."""

    def __init__(self, root: Path, load_turns: Callable[[], list], limit: int = 50, token: str = "") -> None:
        import secrets

        self.root, self.load_turns, self.limit = Path(root), load_turns, limit
        self.token = token or secrets.token_urlsafe(32)
        self.turns = list(load_turns())
        self.notice, self.error = "", False
        self.listed: dict[str, str] = {}  # id -> text, of the last page shown

    def intents(self) -> list[str]:
        domain = bot_files.read_domain(self.root, yaml.safe_load)
        return [str(bot_files.entry_name(i)) for i in domain.get("intents") or []]

    def ignored(self) -> set[str]:
        path = self.root / IGNORED
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        found = set()
        for line in lines:
            try:
                found.add(nlu_writer.example_key(json.loads(line)["text"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line edited by hand: skipped, kept
        return found

    def candidates(self) -> list[Candidate]:
        import insights

        known = set(nlu_writer.known_examples(self.root)) | self.ignored()
        counts = Counter(nlu_writer.example_key(turn.text) for turn in self.turns)
        found = []
        for turn in insights.worst_understood(self.turns, limit=len(self.turns) or 1):
            key = nlu_writer.example_key(turn.text)
            if key and key not in known and not turn.text.startswith(nlu_writer.INTENT_PREFIX):
                found.append(Candidate(message_id(turn.text), turn, counts[key]))
            if len(found) >= self.limit:
                break
        self.listed = {c.id: c.turn.text for c in found}
        return found

    def reload(self) -> None:
        self.turns = list(self.load_turns())
        self.say(f"Read the conversations again: {len(self.turns)} user messages.")

    def say(self, notice: str, error: bool = False) -> None:
        self.notice, self.error = notice, error

    def act(self, form: dict[str, str]) -> None:
        """A label from the page: teach (with intent), out_of_scope or ignore."""
        text = self.listed.get(form.get("id", ""))
        if text is None:
            return self.say("ERROR: that message is no longer on the page; it was shown again below.", True)
        action, intents = form.get("action"), self.intents()
        if action == "ignore":
            return self.ignore(text)
        if action == OUT_OF_SCOPE and OUT_OF_SCOPE not in intents:
            return self.say(f"ERROR: the domain has no '{OUT_OF_SCOPE}' intent: add it (and a rule that answers it) "
                            "to teach what the bot cannot help with; until then, Ignore it.", True)  # fmt: skip
        intent = OUT_OF_SCOPE if action == OUT_OF_SCOPE else form.get("intent", "")
        if action not in ("teach", OUT_OF_SCOPE) or intent not in intents:
            return self.say("ERROR: choose one of the domain's intents, then Teach.", True)
        try:
            added = nlu_writer.add_example(self.root, intent, text)
        except nlu_writer.Refused as refused:
            return self.say(f"ERROR: {text[:80]!r} {refused}", True)
        after = "make dev retrains on its own; else run make train" if added.written else "nothing written"
        return self.say(f"{text[:80]!r}: {added.message} ({after}).")

    def ignore(self, text: str) -> None:
        path = self.root / IGNORED
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"text": text, "ignored": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        with path.open("a", encoding="utf-8") as ignored:
            ignored.write(line + "\n")
        self.say(f"{text[:80]!r}: ignored (in {IGNORED.as_posix()}; delete its line to see it again).")


# --- the page -------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _meta(candidate: Candidate) -> str:
    turn = candidate.turn
    confidence = "no confidence" if turn.confidence is None else f"{turn.confidence:.2f}"
    parts = [f"Rasa: {turn.intent or 'no intent'} ({confidence})"] + (["fallback"] if turn.fallback else [])
    day = datetime.fromtimestamp(turn.timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
    parts.append(f"said {candidate.count} time{'s' if candidate.count > 1 else ''}, this one on {day}")
    return " · ".join(parts)


def _form(candidate: Candidate, token: str, intents: Iterable[str]) -> str:
    radios = "".join(
        f'<label><input type="radio" name="intent" value="{_e(i)}" required> {_e(i)}</label>'
        for i in intents
        if i != OUT_OF_SCOPE
    )
    return (
        f'<form method="post" action="/label"><input type="hidden" name="token" value="{_e(token)}">'
        f'<input type="hidden" name="id" value="{_e(candidate.id)}">'
        f"<fieldset><legend>The right intent</legend>{radios}</fieldset>"
        '<button name="action" value="teach">Teach</button>'
        f'<button name="action" value="{OUT_OF_SCOPE}" formnovalidate>Out of scope</button>'
        '<button name="action" value="ignore" formnovalidate>Ignore</button></form>'
    )


def render(review: Review) -> str:
    candidates, intents = review.candidates(), review.intents()
    items = "".join(
        f'<li class="message" id="m-{c.id}"><p class="context">{_e(chr(10).join(c.turn.context))}</p>'
        f'<p class="text" dir="auto"><bdi>{_e(c.turn.text)}</bdi></p><p class="meta">{_e(_meta(c))}</p>'
        f"{_form(c, review.token, intents)}</li>"
        for c in candidates
    )
    notice = ""
    if review.notice:
        notice = f'<p class="notice{" error" if review.error else ""}" role="status">{_e(review.notice)}</p>'
    empty = "" if candidates else "<p>Nothing to review: every message is an example or ignored.</p>"
    reload = f'<a href="/?token={_e(urllib.parse.quote(review.token))}&amp;reload=1">read the conversations again</a>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="same-origin">'
        f"<title>Review: teach the bot</title><style>{STYLE}</style></head><body>"
        f"<h1>Messages the bot understood worst</h1>{notice}"
        f"<p>{len(candidates)} to review, from {len(review.turns)} user messages ({reload}).</p>"
        f"{empty}<ol>{items}</ol></body></html>"
    )


# --- the server -----------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "review"
    sys_version = ""
    timeout = 60  # seconds a connection may stay silent

    def log_message(self, format: str, *args: object) -> None:
        pass  # request lines hold the token

    # Referrer-Policy "same-origin", not "no-referrer": with no-referrer a browser sends `Origin: null`
    # on the page's own form posts, and the Origin check refuses them. Nothing on the page links out.

    def _send(self, status: HTTPStatus, body: str = "", location: str = "") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for name, value in (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
                            ("Cache-Control", "no-store"), ("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(data)))):  # fmt: skip
            self.send_header(name, value)
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        self._send(status, f"<!doctype html><title>{status.value}</title><p>{_e(why)}</p>")

    def _host_ok(self) -> bool:
        return self.headers.get("Host", "") in {f"127.0.0.1:{self.server.port}", f"localhost:{self.server.port}"}

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.server.review.token.encode())

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if not self._host_ok():
            return self._refuse(HTTPStatus.FORBIDDEN, "Open the page at the address make review printed.")
        if url.path != "/":
            return self._refuse(HTTPStatus.NOT_FOUND, "Not here.")
        if not self._token_ok(query.get("token", "")):
            return self._refuse(HTTPStatus.FORBIDDEN, "Open the page with the token make review printed.")
        return self._send(HTTPStatus.OK, self.server.page(reload=bool(query.get("reload"))))

    def do_POST(self) -> None:
        origin = f"http://{self.headers.get('Host', '')}"
        if not self._host_ok() or self.headers.get("Origin") != origin:
            return self._refuse(HTTPStatus.FORBIDDEN, "Labels are taken from the review page only.")
        if urllib.parse.urlsplit(self.path).path != "/label":
            return self._refuse(HTTPStatus.NOT_FOUND, "Not here.")
        given = self.headers.get("Content-Length") or "0"
        length = int(given) if given.isdigit() else -1
        if not 0 <= length <= MAX_FORM:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "That form is too large.")
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
        if not self._token_ok(form.get("token", "")):
            return self._refuse(HTTPStatus.FORBIDDEN, "Reload the page from the address make review printed.")
        self.server.attempt(lambda: self.server.review.act(form))
        location = f"/?token={urllib.parse.quote(self.server.review.token)}"
        return self._send(HTTPStatus.SEE_OTHER, "", location)


class ReviewServer(ThreadingHTTPServer):
    """A thread per connection (a browser's idle preconnection must not block the page), one step
    at a time on the state: two labels never write at once."""

    daemon_threads = True

    def __init__(self, review: Review, host: str, port: int) -> None:
        super().__init__((host, port), Handler)
        self.review, self.port = review, self.server_address[1]
        self.lock = threading.Lock()

    def attempt(self, step: Callable[[], None]) -> None:
        """Run a step; a problem the user can fix becomes the page's notice, never a traceback."""
        with self.lock:
            try:
                step()
            except (ReviewError, nlu_writer.Refused, OSError) as error:
                self.review.say(f"ERROR: {error}", True)
            except Exception as error:  # insights.InsightsError (the store), Rasa's reader, a broken domain
                self.review.say(f"ERROR: {' '.join(str(error).split())[:300] or type(error).__name__}", True)

    def page(self, reload: bool = False) -> str:
        """The page; its notice is shown once. A file that cannot be read is said on the page."""
        if reload:
            self.attempt(self.review.reload)
        pages: list[str] = []
        self.attempt(lambda: pages.append(render(self.review)))
        with self.lock:
            if not pages:  # render failed: its reason is the notice
                pages.append(f"<!doctype html><title>Review</title><p>{_e(self.review.notice)}</p>")
            self.review.say("")
        return pages[0]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={urllib.parse.quote(self.review.token)}"


# --- the command line -----------------------------------------------------------------------


def turns_loader(args: argparse.Namespace) -> Callable[[], list]:
    import insights

    since = insights.parse_day(args.since, "--since") if args.since else None
    until = insights.parse_day(args.until, "--until") if args.until else None

    def load() -> list:
        if args.events:
            return insights.user_turns(insights.conversations_from_event_lines(args.events), since, until)
        return insights.user_turns(insights.conversations_from_store(args.endpoints), since, until)

    return load


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8090, help="0: any free port")
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (or localhost); nothing else")
    parser.add_argument("--container", action="store_true", help=argparse.SUPPRESS)  # make review: 0.0.0.0 inside
    parser.add_argument("--endpoints", default="config/endpoints.yml", help="its tracker_store is read")
    parser.add_argument("--events", help="a JSON-lines file of broker events, instead of the tracker store")
    parser.add_argument("--since", help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--until", help="last UTC day, YYYY-MM-DD")
    parser.add_argument("--limit", type=int, default=50, help="messages on the page")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        host = bind_address(args.host, args.container)
        review = Review(ROOT, turns_loader(args), limit=args.limit)
        server = ReviewServer(review, host, args.port)
    except OSError as error:
        print(f"ERROR: cannot listen on port {args.port}: {error.strerror or error}; choose another "
              "(make review REVIEW_PORT=8091)", file=sys.stderr)  # fmt: skip
        return 1
    except Exception as error:  # ReviewError, insights.InsightsError: one line each
        print(f"ERROR: {' '.join(str(error).split())[:300]}", file=sys.stderr)
        return 1
    read = f"{len(review.turns)} user message{'' if len(review.turns) == 1 else 's'}"
    print(f"Review page: {server.url()}\n{read} read. Ctrl-C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    import logging
    import os
    import warnings

    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.CRITICAL)
    logging.captureWarnings(True)  # Rasa turns deprecation warnings on again when imported (as in insights.py)
    sys.exit(main())

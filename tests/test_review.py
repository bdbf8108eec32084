"""make review's page (the bot's scripts/review.py), fast tier: the real server in this process on
127.0.0.1, fed by insights.py from a JSON-lines events file as Rasa's brokers publish them, on a
baked bot. What needs Rasa (a write read back by Rasa's reader) is in test_review_writer.py and the
browser test; here: who may read and post, what is listed, the ignore list, refusals that leave
data/ byte for byte as it was, and the Makefile's command."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

import insights
import nlu_writer
import review

PLANTED = "wobble snorkel plink"  # no example of any intent
HOSTILE = '<img src=x onerror="window.__pwned=1"> مرحبا \u202eevil'
BUTTON = "/mood_happy"  # a button's payload: Rasa's NLU never reads it
KNOWN = "Hello  THERE"  # `hello there` is a greet example: the same words, whatever the case and spacing


def event(sender: str, kind: str, timestamp: float, **fields) -> dict:
    return {"sender_id": sender, "event": kind, "timestamp": timestamp, **fields}


def user(sender: str, timestamp: float, text: str, intent: str, confidence: float) -> dict:
    parse = {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": []}
    return event(sender, "user", timestamp, text=text, parse_data=parse)


def write_events(path: Path) -> None:
    events = [
        user("a", 1.0, "hello", "greet", 0.97),
        event("a", "bot", 2.0, text="Hi, how is it going?"),
        user("a", 3.0, PLANTED, "mood_unhappy", 0.31),
        user("b", 4.0, HOSTILE, "nlu_fallback", 0.2),
        user("b", 5.0, KNOWN, "goodbye", 0.4),
        user("c", 6.0, "two\nlines", "greet", 0.35),
        user("c", 7.0, BUTTON, "mood_happy", 1.0),
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(
        b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in files)
    ).hexdigest()


@pytest.fixture
def page(bake, tmp_path):
    """A baked default bot and its review server on a free loopback port."""
    bot = bake().path
    events = tmp_path / "events.jsonl"
    write_events(events)
    state = review.Review(bot, lambda: insights.user_turns(insights.conversations_from_event_lines(events)))
    server = review.ReviewServer(state, review.bind_address("127.0.0.1", False), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, bot
    finally:
        server.shutdown()
        server.server_close()


def ask(server, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """(status, headers, text) of one request; Host and Origin as a browser on the page sends them."""
    origin = f"http://127.0.0.1:{server.port}"
    sent = {"Host": f"127.0.0.1:{server.port}", **({"Origin": origin} if method == "POST" else {}), **(headers or {})}
    data = urllib.parse.urlencode(body).encode() if body is not None else None
    if data is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    with contextlib.closing(connection):
        connection.putrequest(method, path, skip_host=True)
        for name, value in sent.items():
            if value is not None:
                connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data or b"")))
        connection.endheaders(data)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode("utf-8")


def listed_ids(text: str) -> list[str]:
    return [part.split('"', 1)[0] for part in text.split('name="id" value="')[1:]]


def test_the_page_lists_the_worst_understood_messages_and_escapes_them(page):
    server, _ = page
    status, headers, text = ask(server, "GET", f"/?token={server.review.token}")
    assert status == 200, text
    assert review.message_id(PLANTED) in listed_ids(text)
    assert review.message_id(KNOWN) not in listed_ids(text), "an example of the training data was offered"
    assert review.message_id(BUTTON) not in listed_ids(text), "a button's /intent payload was offered"
    assert "<img" not in text and "&lt;img src=x onerror=" in text, "user text must be shown as text"
    assert "user: hello\nbot: Hi, how is it going?" in text, "the lines before the message"
    assert "mood_unhappy (0.31)" in text
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in text and "://" not in text, "no script, nothing loaded from elsewhere"


@pytest.mark.parametrize("token", [None, "", "x" * 43], ids=["none", "empty", "wrong"])
def test_the_page_needs_the_token(page, token):
    server, _ = page
    path = "/" if token is None else f"/?token={token}"
    status, _, text = ask(server, "GET", path)
    assert status == 403 and PLANTED not in text


def test_another_host_name_is_refused(page):
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own Host."""
    server, _ = page
    status, _, text = ask(
        server, "GET", f"/?token={server.review.token}", headers={"Host": f"evil.example:{server.port}"}
    )
    assert status == 403 and PLANTED not in text


@pytest.mark.parametrize(
    "headers",
    [{"Origin": None}, {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Host": "evil.example:1"}],
    ids=["no-origin", "other-origin", "null-origin", "other-host"],
)
def test_a_post_from_elsewhere_writes_nothing(page, headers):
    server, bot = page
    before = digest(bot)
    form = {"token": server.review.token, "id": review.message_id(PLANTED), "action": "ignore"}
    ask(server, "GET", f"/?token={server.review.token}")
    status, _, _ = ask(server, "POST", "/label", form, headers)
    assert status == 403
    assert digest(bot) == before


def test_a_post_without_the_token_writes_nothing(page):
    server, bot = page
    ask(server, "GET", f"/?token={server.review.token}")
    before = digest(bot)
    status, _, _ = ask(
        server, "POST", "/label", {"token": "nope", "id": review.message_id(PLANTED), "action": "ignore"}
    )
    assert status == 403
    assert digest(bot) == before


def test_ignore_keeps_it_out_of_data_and_off_the_page(page):
    server, bot = page
    data = digest(bot / "data")
    token = server.review.token
    ask(server, "GET", f"/?token={token}")
    status, headers, _ = ask(
        server, "POST", "/label", {"token": token, "id": review.message_id(HOSTILE), "action": "ignore"}
    )
    assert status == 303 and headers["Location"] == f"/?token={token}"
    lines = (bot / ".review" / "ignored.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [HOSTILE]
    _, _, text = ask(server, "GET", f"/?token={token}")
    assert review.message_id(HOSTILE) not in listed_ids(text) and review.message_id(PLANTED) in listed_ids(text)
    assert "ignored (in .review/ignored.jsonl" in text
    assert digest(bot / "data") == data, "ignoring wrote into data/"
    assert ".review/" in (bot / ".gitignore").read_text().splitlines()


def test_a_message_rasa_could_not_read_back_is_refused_and_nothing_changes(page):
    """A line break cannot be one example line: refused before Rasa is asked, data/ unchanged."""
    server, bot = page
    data = digest(bot / "data")
    token = server.review.token
    _, _, text = ask(server, "GET", f"/?token={token}")
    (two_lines,) = [i for i in listed_ids(text) if i == review.message_id("two\nlines")]
    ask(server, "POST", "/label", {"token": token, "id": two_lines, "action": "teach", "intent": "greet"})
    _, _, text = ask(server, "GET", f"/?token={token}")
    assert "ERROR: &#x27;two\\nlines&#x27; not written: it has a line break" in text
    assert digest(bot / "data") == data


def test_out_of_scope_without_that_intent_says_so(page):
    server, bot = page
    domain = bot / "domain.yml"
    domain.write_text(domain.read_text(encoding="utf-8").replace("  - out_of_scope\n", ""), encoding="utf-8")
    data, token = digest(bot / "data"), server.review.token
    _, _, text = ask(server, "GET", f"/?token={token}")
    ask(server, "POST", "/label", {"token": token, "id": review.message_id(PLANTED), "action": "out_of_scope"})
    _, _, text = ask(server, "GET", f"/?token={token}")
    assert "the domain has no &#x27;out_of_scope&#x27; intent" in text
    assert digest(bot / "data") == data


def test_an_intent_not_in_the_domain_is_refused(page):
    server, bot = page
    data, token = digest(bot / "data"), server.review.token
    ask(server, "GET", f"/?token={token}")
    form = {"token": token, "id": review.message_id(PLANTED), "action": "teach", "intent": "nonsense"}
    ask(server, "POST", "/label", form)
    _, _, text = ask(server, "GET", f"/?token={token}")
    assert "ERROR: choose one of the domain&#x27;s intents" in text
    assert digest(bot / "data") == data


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::", "::1", "example.com", "127.0.0.1.nip.io"])
def test_only_loopback_is_bound(host):
    with pytest.raises(review.ReviewError, match="listens on 127.0.0.1 only"):
        review.bind_address(host, container=False)


def test_loopback_and_the_container_flag():
    assert review.bind_address("127.0.0.1", False) == "127.0.0.1"
    assert review.bind_address("localhost", False) == "127.0.0.1"
    assert review.bind_address("0.0.0.0", True) == "0.0.0.0"  # make review: published on 127.0.0.1 only
    with pytest.raises(review.ReviewError):
        review.bind_address("192.0.2.1", True)


def test_the_command_refuses_another_host_in_one_line(bake):
    bot = bake().path
    proc = subprocess.run([sys.executable, "scripts/review.py", "--host", "0.0.0.0", "--port", "0"], cwd=bot,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("ERROR: --host 0.0.0.0 refused") and len(proc.stderr.splitlines()) == 1
    assert "Review page" not in proc.stdout


def test_make_review_publishes_the_port_on_loopback_only(bake_once):
    bot = bake_once()
    dry_run = subprocess.run(["make", "-n", "review", "REVIEW_PORT=8123"], cwd=bot.path, capture_output=True,
                             text=True, timeout=60, check=False)  # fmt: skip
    assert dry_run.returncode == 0, dry_run.stderr
    command = " ".join(dry_run.stdout.replace("\\\n", " ").split())
    assert "-p 127.0.0.1:8123:8123 " in command
    assert "scripts/review.py --container --host 0.0.0.0 --port 8123" in command


def test_known_examples_follow_rasa_normalisation(bake_once):
    """Entity annotations are read as their text; case and spacing do not make a new example."""
    known = nlu_writer.known_examples(bake_once().path)
    assert known[nlu_writer.example_key("HELLO   there")] == "greet"
    assert nlu_writer.example_key("[Paris](city) please") == nlu_writer.example_key("paris please")


def test_a_file_that_cannot_be_read_is_said_on_the_page(page):
    """A domain.yml broken by hand: one ERROR line on the page, no traceback, the server still up."""
    server, bot = page
    domain = bot / "domain.yml"
    good = domain.read_text(encoding="utf-8")
    domain.write_text("intents: [greet\n", encoding="utf-8")
    status, _, text = ask(server, "GET", f"/?token={server.review.token}")
    assert status == 200 and "ERROR: " in text and "Traceback" not in text, text
    domain.write_text(good, encoding="utf-8")
    status, _, text = ask(server, "GET", f"/?token={server.review.token}")
    assert status == 200 and review.message_id(PLANTED) in listed_ids(text)


def test_an_idle_connection_does_not_block_the_page(page):
    """A browser opens connections before it needs them: the page answers meanwhile."""
    import socket

    server, _ = page
    with socket.create_connection(("127.0.0.1", server.port), timeout=10):
        status, _, _ = ask(server, "GET", f"/?token={server.review.token}")
    assert status == 200


def test_make_dev_sees_one_save_of_the_data_file():
    """The writer replaces the file by renaming a temporary file over it: make dev's watcher (dev.RETRAIN)
    must cover the file and not the temporary name."""
    import dev

    assert dev.RETRAIN.covers("data/nlu.yml") and dev.RETRAIN.covers("data/nlu.md")
    assert not dev.RETRAIN.covers(f"data/.nlu.yml{nlu_writer.TEMPORARY_SUFFIX}")

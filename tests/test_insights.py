"""The bot's `make insights` (scripts/insights.py) on events as Rasa 3.6's event brokers publish them.

The events are written by hand in exactly the shape Rasa 3.6.21 publishes: the tracker store sends
`{"sender_id": ..., **event.as_dict()}` to the broker (rasa/core/tracker_store.py,
`_stream_new_events`), and the pika broker sends that dict as JSON (rasa/core/brokers/pika.py).
The figures are compared with counts worked out by hand. Reading a real tracker store, and the
charts drawn with the Rasa lock's matplotlib, are the real tier's (tests/test_insights_rasa.py).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

import insights
from harness import BOT_SCRIPTS

SCRIPT = Path(BOT_SCRIPTS) / "insights.py"
DAY1 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2026, 12, 2, 23, 59, tzinfo=timezone.utc).timestamp()


# --- events, shaped as Rasa 3.6's as_dict() + the broker's sender_id ----------------------------


def action(sender: str, ts: float, name: str, policy: str | None = None, confidence: float | None = None) -> dict:
    return {"sender_id": sender, "event": "action", "timestamp": ts, "name": name, "policy": policy,
            "confidence": confidence, "action_text": None, "hide_rule_turn": False}  # fmt: skip


def session(sender: str, ts: float) -> list[dict]:
    return [action(sender, ts, "action_session_start"), {"sender_id": sender, "event": "session_started",
            "timestamp": ts + 0.01}, action(sender, ts + 0.02, "action_listen")]  # fmt: skip


def user(sender: str, ts: float, text: str, intent: str, confidence: float, ranking: list | None = None) -> dict:
    ranking = ranking or [{"name": intent, "confidence": confidence}]
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text,
             "message_id": f"m{ts}", "metadata": {}, "intent_ranking": ranking, "response_selector": {}}  # fmt: skip
    return {"sender_id": sender, "event": "user", "timestamp": ts, "text": text, "parse_data": parse,
            "input_channel": "rest", "message_id": f"m{ts}", "metadata": {}}  # fmt: skip


def featurization(sender: str, ts: float) -> dict:
    return {"sender_id": sender, "event": "user_featurization", "timestamp": ts, "use_text_for_featurization": False}


def reply(sender: str, ts: float, utter: str, text: str) -> list[dict]:
    """A response: the utter_ action, the bot's message, then listening."""
    return [action(sender, ts, utter, "policy_1_RulePolicy", 1.0),
            {"sender_id": sender, "event": "bot", "timestamp": ts + 0.01, "metadata": {"utter_action": utter},
             "text": text, "data": {"elements": None}},
            action(sender, ts + 0.02, "action_listen", "policy_1_RulePolicy", 1.0)]  # fmt: skip


def fallback_ranking(best: str, confidence: float) -> list[dict]:
    """Rasa's FallbackClassifier puts nlu_fallback first with its threshold as confidence."""
    return [{"name": "nlu_fallback", "confidence": 0.3}, {"name": best, "confidence": confidence},
            {"name": "greet", "confidence": confidence / 2}]  # fmt: skip


def conversation_events() -> list[dict]:
    """Three conversations over two UTC days, interleaved as a broker would publish them."""
    a, b, c = "alice", "bob", "carol"
    events = [*session(a, DAY1), user(a, DAY1 + 1, "hello", "greet", 0.95), featurization(a, DAY1 + 1.1),
              *reply(a, DAY1 + 2, "utter_greet", "Hey! How are you?"),
              *session(b, DAY1 + 3), user(b, DAY1 + 4, "hi", "greet", 0.81),
              *reply(b, DAY1 + 5, "utter_greet", "Hey! How are you?"),
              user(a, DAY1 + 6, "amazing", "mood_great", 0.88), *reply(a, DAY1 + 7, "utter_happy", "Great!"),
              user(b, DAY1 + 8, "zqx vlorp", "nlu_fallback", 0.3, fallback_ranking("mood_great", 0.12)),
              *reply(b, DAY1 + 9, "utter_default", "Sorry, say that again?"),
              # day 2: bob comes back, carol is new
              user(b, DAY2, "so-so, a bit down", "mood_unhappy", 0.41),
              *reply(b, DAY2 + 1, "utter_cheer_up", "Here is something to cheer you up"),
              action(b, DAY2 + 2, "action_joke", "policy_2_AugmentedMemoizationPolicy", 1.0),
              *reply(b, DAY2 + 3, "utter_did_that_help", "Did that help you?"),
              *session(c, DAY2 + 4), user(c, DAY2 + 5, "blorp", "greet", 0.35),
              action(c, DAY2 + 6, "action_default_fallback", "policy_0_RulePolicy", 0.3),
              {"sender_id": c, "event": "bot", "timestamp": DAY2 + 6.1, "metadata": {"utter_action": "utter_default"},
               "text": "Sorry, say that again?", "data": {"elements": None}},
              {"sender_id": c, "event": "rewind", "timestamp": DAY2 + 6.2},
              action(c, DAY2 + 7, "action_listen"), user(c, DAY2 + 8, "Hi ", "greet", 0.62),
              *reply(c, DAY2 + 9, "utter_greet", "Hey! How are you?")]  # fmt: skip
    return events


def write_lines(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    return path


@pytest.fixture
def events_file(tmp_path) -> Path:
    return write_lines(tmp_path / "events.jsonl", conversation_events())


# --- reading and figures ----------------------------------------------------------------------


def test_event_lines_are_grouped_by_conversation_in_published_order(events_file):
    conversations = list(insights.conversations_from_event_lines(events_file))
    assert [sender for sender, _ in conversations] == ["alice", "bob", "carol"]
    bob = dict(conversations)["bob"]
    assert [e["text"] for e in bob if e["event"] == "user"] == ["hi", "zqx vlorp", "so-so, a bit down"]
    assert sum(len(events) for _, events in conversations) == len(conversation_events())


def test_figures_equal_the_hand_counted_ones(events_file):
    figures = insights.summarize(insights.conversations_from_event_lines(events_file), source="test")
    assert (figures.conversations, figures.user_messages) == (3, 7)
    assert figures.per_day == {"2026-12-01": (2, 4), "2026-12-02": (2, 3)}
    assert figures.intents == {"greet": 4, "mood_great": 1, "mood_unhappy": 1, "nlu_fallback": 1}
    assert (figures.nlu_fallbacks, figures.action_fallbacks, figures.fallbacks) == (1, 1, 2)
    assert figures.fallback_rate == pytest.approx(2 / 7)
    # 0.95 0.81 0.88 | nlu_fallback: its best real intent 0.12 | 0.41 0.35 0.62
    assert figures.confidence_bins == [0, 1, 0, 1, 1, 0, 1, 0, 2, 1]
    assert figures.responses == {"utter_greet": 3, "utter_cheer_up": 1, "utter_default": 1, "utter_did_that_help": 1,
                                 "utter_happy": 1}  # fmt: skip
    assert figures.actions == {"action_session_start": 3, "action_default_fallback": 1, "action_joke": 1}
    assert figures.lengths == {2: 2, 3: 1}


def test_since_and_until_keep_whole_utc_days(events_file):
    day2 = insights.summarize(insights.conversations_from_event_lines(events_file), since=date(2026, 12, 2))
    assert (day2.conversations, day2.user_messages, day2.fallbacks) == (2, 3, 1)
    assert day2.per_day == {"2026-12-02": (2, 3)}  # 23:59 UTC is still the 2nd
    assert day2.responses == {"utter_greet": 1, "utter_cheer_up": 1, "utter_did_that_help": 1}
    assert day2.lengths == {1: 1, 2: 1}
    day1 = insights.summarize(insights.conversations_from_event_lines(events_file), until=date(2026, 12, 1))
    assert (day1.conversations, day1.user_messages, day1.nlu_fallbacks, day1.action_fallbacks) == (2, 4, 1, 0)
    none = insights.summarize(insights.conversations_from_event_lines(events_file), since=date(2026, 12, 3))
    assert (none.conversations, none.user_messages, none.worst, none.fallback_rate) == (0, 0, [], 0.0)
    with pytest.raises(insights.InsightsError, match="after --until"):
        insights.user_turns([], since=date(2026, 12, 2), until=date(2026, 12, 1))


def test_worst_understood_fallbacks_first_then_lowest_confidence_each_text_once(events_file):
    turns = insights.user_turns(insights.conversations_from_event_lines(events_file))
    worst = insights.worst_understood(turns)
    assert [t.text for t in worst] == ["zqx vlorp", "blorp", "so-so, a bit down", "Hi ", "amazing", "hello"]
    assert [t.fallback for t in worst] == [True, True, False, False, False, False]
    assert "hi" not in [t.text for t in worst], "'Hi ' and 'hi' are one text; the less sure one is kept"
    assert worst[0].intent == "nlu_fallback" and worst[0].confidence == pytest.approx(0.12)
    assert worst[1] == insights.UserTurn(sender_id="carol", timestamp=DAY2 + 5, text="blorp", intent="greet",
                                         confidence=0.35, fallback=True, context=())  # fmt: skip
    assert [t.text for t in insights.worst_understood(turns, limit=2)] == ["zqx vlorp", "blorp"]


def test_context_is_the_lines_before_the_message(events_file):
    turns = {t.text: t for t in insights.user_turns(insights.conversations_from_event_lines(events_file))}
    assert turns["so-so, a bit down"].context == (
        "user: hi", "bot: Hey! How are you?", "user: zqx vlorp", "bot: Sorry, say that again?",
    )  # fmt: skip
    assert turns["Hi "].context == ("user: blorp", "bot: Sorry, say that again?")


# --- bad input: one line naming the problem ---------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def assert_one_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in lines[0], lines[0]


GOOD = json.dumps(action("s", 1.0, "action_listen"))
BAD_FILES = {
    "not JSON": (f"{GOOD}\n{{'sender_id': 's'}}\n", "line 2: not JSON"),
    "not an object": (f"{GOOD}\n\n[1, 2]\n", "line 3: not a JSON object but list"),
    "no sender_id": (json.dumps({"event": "user", "timestamp": 1.0}) + "\n", "line 1: no 'sender_id'"),
    "no event": (json.dumps({"sender_id": "s", "timestamp": 1.0}) + "\n", "line 1: no 'event'"),
    "timestamp text": (json.dumps({"sender_id": "s", "event": "user", "timestamp": "today"}), "'timestamp' is str"),
    "sender_id number": (json.dumps({"sender_id": 7, "event": "user", "timestamp": 1.0}), "'sender_id' is int"),
    "truncated": (GOOD[:40], "line 1: not JSON"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_events_file_is_one_error_naming_the_line(tmp_path, case):
    content, expected = BAD_FILES[case]
    path = tmp_path / "events.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(insights.InsightsError, match="line|timestamp|sender_id"):
        list(insights.conversations_from_event_lines(path))
    result = run_cli("--events", str(path), "--out", str(tmp_path / "r.html"), cwd=tmp_path)
    assert_one_error(result, str(path), expected)
    assert not (tmp_path / "r.html").exists()


def test_binary_and_missing_files_are_one_error(tmp_path):
    binary = tmp_path / "events.bin"
    binary.write_bytes(b'{"sender_id": "\xff\xfe"}\n')
    assert_one_error(run_cli("--events", str(binary), cwd=tmp_path), "not UTF-8")
    assert_one_error(run_cli("--events", str(tmp_path / "nope.jsonl"), cwd=tmp_path), "no events file")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "2026-02-30"], "--since '2026-02-30' is not a date: write YYYY-MM-DD"),
        (["--until", "yesterday"], "--until 'yesterday' is not a date"),
        (["--since", "2026-12-02", "--until", "2026-12-01"], "--since 2026-12-02 is after --until 2026-12-01"),
        (["--endpoints", "missing.yml"], "no missing.yml: run this in the bot's folder"),
    ],
)
def test_bad_dates_and_a_missing_endpoints_file_are_one_error(tmp_path, args, expected):
    assert_one_error(run_cli(*args, cwd=tmp_path), expected)


# --- the report: hostile text stays text ------------------------------------------------------

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "rtl": "\u202eevil\u202c مرحبا שלום",
    "newlines": "line one\nline two\r\n\tindented",
    "long": "ab<c>&" * 1707,  # 10,242 characters
    "entity": "&lt;b&gt;not bold&lt;/b&gt; &amp;",
    "terminal": "\x1b[31mred\x1b[0m \x07bell",
    "yaml": "key: value # not a comment\n- &anchor *alias !!python/object '\"{[|>%@`",
}


class Parsed(HTMLParser):
    """Every tag, attribute and text of an HTML document, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)


def browser_newlines(text: str) -> str:
    """What a browser makes of line breaks before parsing (HTML's input stream: CR LF and CR become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def hostile_events() -> list[dict]:
    events = []
    for number, (name, text) in enumerate(HOSTILE.items()):
        sender = f"<b>{name}</b>"
        intent = "<i>intent</i> $\\frac{1}{0}$ \\" if number % 2 else "<i>intent</i>"  # `$`: matplotlib's math mode
        events += [user(sender, DAY1 + number * 10, text, intent, 0.05 + number / 100),
                   {"sender_id": sender, "event": "bot", "timestamp": DAY1 + number * 10 + 1, "metadata": {},
                    "text": f"</div><script>bot {name}</script>", "data": {}},
                   user(sender, DAY1 + number * 10 + 2, f"next {number}", "greet", 0.9)]  # fmt: skip
    return events


def test_hostile_text_shows_as_text_in_a_self_contained_report(tmp_path):
    path = write_lines(tmp_path / "events.jsonl", hostile_events())
    figures = insights.summarize(insights.conversations_from_event_lines(path), source="<script>x</script>")
    report = insights.write_report(figures, tmp_path / "reports" / "insights.html")
    page = Parsed(report.read_text(encoding="utf-8"))
    text = browser_newlines("".join(page.texts))
    for name, message in HOSTILE.items():
        assert browser_newlines(message) in text, f"{name}: not shown verbatim"
        assert f"bot {name}" in text and f"<b>{name}</b>" in text
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "b" not in tags and "i" not in tags
    assert not [attrs for _, attrs in page.tags if any(key.startswith("on") for key in attrs)]
    meta = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert meta and meta[0]["content"].startswith("default-src 'none'; img-src data:")
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 4  # per day, intents, confidence, lengths (no action was run here)
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    links = [value for _, attrs in page.tags for key, value in attrs.items() if key in ("src", "href")]
    assert all(value.startswith("data:") for value in links), links


def test_the_summary_prints_user_text_without_control_characters(tmp_path):
    path = write_lines(tmp_path / "events.jsonl", hostile_events())
    result = run_cli("--events", str(path), "--out", str(tmp_path / "out" / "r.html"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "8 conversations, 16 user messages (all stored conversations)"
    assert len(lines) == 7 and lines[-1] == f"report: {tmp_path / 'out' / 'r.html'}"
    assert (tmp_path / "out" / "r.html").is_file()

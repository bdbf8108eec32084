"""`make insights`: what users said, and the messages the bot understood worst.

    python scripts/insights.py [--endpoints config/endpoints.yml] [--events FILE]
                               [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--out reports/insights.html]

It reads the stored conversations through Rasa's own tracker-store classes (the `tracker_store` of
config/endpoints.yml: SQL, Redis, Mongo or your own class), or a JSON-lines file of events as
Rasa's event brokers publish them (--events). It prints a short summary and writes a self-contained
HTML report (charts drawn with matplotlib, embedded as pictures; nothing loads from the network).
Days are UTC days; --since and --until are included. It needs Rasa: run it in the Rasa image
(`make insights`) or in the bot's .venv. Every failure is one `ERROR:` line and exit status 1.

The API (scripts/review.py and your own tools import it; stable):

- `UserTurn`: one user message with what the bot made of it (intent, confidence, fallback) and the
  few lines of the conversation before it (`context`, "user: ..." / "bot: ...").
- `conversations_from_store(endpoints_path)` and `conversations_from_event_lines(path)`: iterators of
  (sender_id, [event dict, ...]) in the order Rasa stored or published the events.
- `user_turns(conversations, since=None, until=None)`: the UserTurns (since/until: `datetime.date`).
- `worst_understood(turns, limit=50)`: fallbacks first, then the lowest confidence; one per text.
- `summarize(conversations, since=None, until=None)`: the report's `Figures`.
- `write_report(figures, path)`: the HTML report.
- `InsightsError`: what the functions above raise for bad input; its text is the one-line reason.

`confidence` is the intent classifier's: for an NLU fallback it is the best real intent's
confidence (Rasa's FallbackClassifier replaces it with its threshold). `fallback` is true for the
`nlu_fallback` intent and when the bot answered with action_default_fallback (or 2.x's
action_two_stage_fallback).
"""

from __future__ import annotations

import argparse
import base64
import html
import inspect
import io
import json
import os
import sys
import time
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
NLU_FALLBACK = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
CONTEXT_LINES = 4  # lines of the conversation shown before a message
CONFIDENCE_BINS = 10  # 0-0.1, ..., 0.9-1.0


class InsightsError(Exception):
    """A problem the user can fix; str() is the one-line reason."""


@dataclass(frozen=True)
class UserTurn:
    sender_id: str
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    fallback: bool
    context: tuple[str, ...]


@dataclass
class Figures:
    """Everything the report shows. Counters are ordered by count (most first)."""

    source: str
    since: date | None
    until: date | None
    conversations: int
    user_messages: int
    per_day: dict[str, tuple[int, int]]  # "YYYY-MM-DD" -> (conversations, user messages)
    intents: dict[str, int]
    nlu_fallbacks: int  # messages classified nlu_fallback
    action_fallbacks: int  # messages answered by a fallback action
    fallbacks: int  # messages that are either (counted once)
    confidence_bins: list[int]  # CONFIDENCE_BINS counts of confidences in [i/10, (i+1)/10)
    actions: dict[str, int]  # actions run, responses (utter_*) and action_listen left out
    responses: dict[str, int]  # utter_* actions run
    lengths: dict[int, int]  # user messages in a conversation -> conversations
    worst: list[UserTurn] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.user_messages if self.user_messages else 0.0


# --- reading --------------------------------------------------------------------------------


def _resolve(loop: Any, value: Any) -> Any:
    """Rasa 3.x's store methods are coroutines, 2.x's return values."""
    return loop.run_until_complete(value) if inspect.isawaitable(value) else value


def _store_config(endpoints_path: Path) -> Any:
    if not endpoints_path.is_file():
        raise InsightsError(f"no {endpoints_path}: run this in the bot's folder, or pass --endpoints")
    from rasa.utils.endpoints import read_endpoint_config

    try:
        config = read_endpoint_config(str(endpoints_path), "tracker_store")
    except Exception as error:  # an unset ${VAR}, bad YAML: Rasa's own message
        raise InsightsError(f"{endpoints_path}: {_one_line(error)}") from None
    if config is None or not config.type or str(config.type).lower() == "in_memory":
        raise InsightsError(
            f"{endpoints_path} has no tracker_store: Rasa keeps conversations in memory only, so nothing is "
            "stored to read. Choose a tracker store (the bot README), or read an event broker's file (EVENTS=...)"
        )
    return config


def _check_reachable(config: Any) -> None:
    """SQL: connect once first (Rasa's SQL store retries forever; SQLite would create an empty file)."""
    if str(config.type).lower() != "sql":
        return
    kwargs = dict(config.kwargs)
    if kwargs.get("dialect", "sqlite") == "sqlite":
        db = Path(kwargs.get("db", "rasa.db"))
        if not db.is_file():
            raise InsightsError(f"no SQLite file {db.resolve()}: no conversation stored yet (or not this folder)")
        return
    import sqlalchemy
    from rasa.core.tracker_store import SQLTrackerStore

    keys = ("dialect", "host", "port", "db", "username", "password", "login_db", "query")
    url = SQLTrackerStore.get_db_url(**{k: v for k, v in {**kwargs, "host": config.url}.items() if k in keys})
    engine = sqlalchemy.create_engine(url)
    try:
        engine.connect().close()
    except Exception as error:
        raise InsightsError(f"cannot reach the tracker store's database: {_one_line(error)}") from None
    finally:
        engine.dispose()


def _domain() -> Any:
    """The bot's domain (its slots rebuild the trackers quietly), or an empty one."""
    from rasa.shared.core.domain import Domain

    for candidate in (ROOT / "domain.yml", ROOT / "domain"):
        if candidate.exists():
            try:
                return Domain.load(str(candidate))
            except Exception:  # a broken domain does not stop the report: the events are read as stored
                break
    return Domain.empty()


def _sender(key: Any, store: Any) -> str:
    """A key as keys() gives it: Rasa 3.6's Redis store returns raw Redis keys ("tracker:<id>", bytes)."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    prefix = getattr(store, "key_prefix", "")
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _list_event_classes_once() -> None:
    """Rasa finds each stored event's class by listing every Event subclass again
    (`rasa.shared.utils.common.all_subclasses`: about 0.1 ms an event, 10 s for 100k events). The
    classes do not change while the report reads, so this process lists them once."""
    import functools

    import rasa.shared.utils.common as common

    if not hasattr(common.all_subclasses, "cache_info"):
        common.all_subclasses = functools.lru_cache(maxsize=None)(common.all_subclasses)


def conversations_from_store(endpoints_path: str | Path) -> Iterator[tuple[str, list[dict]]]:
    """(sender_id, event dicts) of every stored conversation, all sessions, through Rasa's classes."""
    config = _store_config(Path(endpoints_path))
    _check_reachable(config)
    import asyncio

    from rasa.core.tracker_store import TrackerStore

    if str(ROOT) not in sys.path:  # a custom store class (addons.…) is found from the bot's folder
        sys.path.insert(0, str(ROOT))
    loop = asyncio.new_event_loop()
    try:
        try:
            store = TrackerStore.create(config, domain=_domain())
            senders = sorted({_sender(key, store) for key in _resolve(loop, store.keys())})
        except Exception as error:
            raise InsightsError(f"cannot read the tracker store ({config.type}): {_one_line(error)}") from None
        _list_event_classes_once()
        retrieve = getattr(store, "retrieve_full_tracker", None) or store.retrieve  # 2.x: retrieve
        for sender in senders:
            try:
                tracker = _resolve(loop, retrieve(sender))
            except Exception as error:
                raise InsightsError(f"cannot read conversation {sender!r}: {_one_line(error)}") from None
            if tracker is not None and len(tracker.events):
                yield sender, [event.as_dict() for event in tracker.events]
    finally:
        loop.close()


def conversations_from_event_lines(path: str | Path) -> Iterator[tuple[str, list[dict]]]:
    """(sender_id, event dicts) from a JSON-lines file of broker events, in the file's order.

    Each line is one event as Rasa publishes it: an event dict with "sender_id", "event" and
    "timestamp". Empty lines are skipped; anything else wrong is an InsightsError naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InsightsError(f"no events file {path}")
    grouped: OrderedDict[str, list[dict]] = OrderedDict()
    with path.open(encoding="utf-8", errors="strict") as lines:
        try:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    event = _event_line(path, number, line)
                    grouped.setdefault(event["sender_id"], []).append(event)
        except UnicodeDecodeError as error:
            raise InsightsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    yield from grouped.items()


def _event_line(path: Path, number: int, line: str) -> dict:
    where = f"{path} line {number}"
    try:
        event = json.loads(line)
    except ValueError as error:
        raise InsightsError(f"{where}: not JSON ({error})") from None
    if not isinstance(event, dict):
        raise InsightsError(f"{where}: not a JSON object but {type(event).__name__}")
    for key, kind in (("sender_id", str), ("event", str), ("timestamp", (int, float))):
        if key not in event:
            raise InsightsError(f"{where}: no {key!r} (each line is one event as Rasa's event brokers publish it)")
        if not isinstance(event[key], kind) or isinstance(event[key], bool):
            raise InsightsError(f"{where}: {key!r} is {type(event[key]).__name__}, not {_kind_name(kind)}")
    return event


def _kind_name(kind: Any) -> str:
    return "a string" if kind is str else "a number"


# --- figures --------------------------------------------------------------------------------


def parse_day(text: str, option: str = "date") -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InsightsError(f"{option} {text!r} is not a date: write YYYY-MM-DD, e.g. 2026-12-01") from None


def _bounds(since: date | None, until: date | None) -> tuple[float, float]:
    if since and until and since > until:
        raise InsightsError(f"--since {since} is after --until {until}")
    start = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp() if since else float("-inf")
    end = float("inf")
    if until:
        end = (datetime(until.year, until.month, until.day, tzinfo=timezone.utc) + timedelta(days=1)).timestamp()
    return start, end


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def _confidence(parse_data: dict) -> float | None:
    """The classifier's confidence; for nlu_fallback the best real intent's (see the module docstring)."""
    intent = parse_data.get("intent") or {}
    if intent.get("name") == NLU_FALLBACK:
        ranked = [r.get("confidence") for r in parse_data.get("intent_ranking") or [] if r.get("name") != NLU_FALLBACK]
        ranked = [c for c in ranked if isinstance(c, (int, float))]
        if ranked:
            return float(max(ranked))
    value = intent.get("confidence")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _answered_by_fallback(events: list[dict], index: int) -> bool:
    """Whether an action run after events[index] (a user message), before the next one, is a fallback."""
    for event in events[index + 1 :]:
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") in FALLBACK_ACTIONS:
            return True
    return False


def _line(event: dict) -> str | None:
    kind = event.get("event")
    if kind == "user":
        return f"user: {event.get('text') or ''}"
    if kind == "bot":
        return f"bot: {event.get('text') or '(no text)'}"
    return None


def _turns_of(sender: str, events: list[dict], start: float, end: float) -> Iterator[UserTurn]:
    lines: list[str] = []
    for index, event in enumerate(events):
        timestamp = event.get("timestamp") or 0.0
        if event.get("event") == "user" and start <= timestamp < end:
            parse_data = event.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name")
            fallback = intent == NLU_FALLBACK or _answered_by_fallback(events, index)
            yield UserTurn(sender_id=sender, timestamp=float(timestamp), text=str(event.get("text") or ""),
                           intent=intent, confidence=_confidence(parse_data), fallback=fallback,
                           context=tuple(lines[-CONTEXT_LINES:]))  # fmt: skip
        line = _line(event)
        if line is not None:
            lines.append(line)


def user_turns(
    conversations: Iterable[tuple[str, list[dict]]], since: date | None = None, until: date | None = None
) -> list[UserTurn]:
    """Every user message of these conversations whose UTC day is within [since, until]."""
    start, end = _bounds(since, until)
    return [turn for sender, events in conversations for turn in _turns_of(sender, events, start, end)]


def _dedup_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def worst_understood(turns: Iterable[UserTurn], limit: int = 50) -> list[UserTurn]:
    """Fallbacks first, then by rising confidence (none counts as 0); the first of each text only."""
    ranked = sorted(turns, key=lambda t: (not t.fallback, t.confidence or 0.0, -t.timestamp, t.sender_id))
    seen: set[str] = set()
    worst = []
    for turn in ranked:
        key = _dedup_key(turn.text)
        if key not in seen:
            seen.add(key)
            worst.append(turn)
        if len(worst) >= limit:
            break
    return worst


def _ordered(counter: Counter) -> dict:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))


def summarize(
    conversations: Iterable[tuple[str, list[dict]]], since: date | None = None, until: date | None = None,
    source: str = "", limit: int = 50,
) -> Figures:  # fmt: skip
    """The report's figures for the user messages (and the actions run) within [since, until]."""
    start, end = _bounds(since, until)
    turns: list[UserTurn] = []
    actions: Counter = Counter()
    responses: Counter = Counter()
    lengths: Counter = Counter()
    action_fallbacks = 0
    for sender, events in conversations:
        mine = list(_turns_of(sender, events, start, end))
        turns += mine
        if mine:
            lengths[len(mine)] += 1
        for event in events:
            name = event.get("name")
            if event.get("event") != "action" or not name or name == "action_listen":
                continue
            if start <= (event.get("timestamp") or 0.0) < end:
                (responses if name.startswith("utter_") else actions)[name] += 1
        action_fallbacks += sum(
            _answered_by_fallback(events, i)
            for i, event in enumerate(events)
            if event.get("event") == "user" and start <= (event.get("timestamp") or 0.0) < end
        )
    return _figures(turns, source, since, until, (actions, responses, lengths, action_fallbacks), limit)


def _figures(turns, source, since, until, counts, limit) -> Figures:
    actions, responses, lengths, action_fallbacks = counts
    days: dict[str, set] = {}
    messages: Counter = Counter()
    bins = [0] * CONFIDENCE_BINS
    for turn in turns:
        day = _day(turn.timestamp)
        days.setdefault(day, set()).add(turn.sender_id)
        messages[day] += 1
        if turn.confidence is not None:
            bins[min(int(turn.confidence * CONFIDENCE_BINS), CONFIDENCE_BINS - 1)] += 1
    return Figures(
        source=source, since=since, until=until,
        conversations=len({turn.sender_id for turn in turns}), user_messages=len(turns),
        per_day={day: (len(days[day]), messages[day]) for day in sorted(days)},
        intents=_ordered(Counter(turn.intent or "(none)" for turn in turns)),
        nlu_fallbacks=sum(turn.intent == NLU_FALLBACK for turn in turns),
        action_fallbacks=action_fallbacks,
        fallbacks=sum(turn.fallback for turn in turns),
        confidence_bins=bins, actions=_ordered(actions), responses=_ordered(responses),
        lengths=dict(sorted(lengths.items())), worst=worst_understood(turns, limit),
    )  # fmt: skip


# --- the report -----------------------------------------------------------------------------

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; } .figure { background: #f4f6f8; padding: .6rem 1rem; }
.figure strong { display: block; font-size: 1.4rem; } img { max-width: 100%; }
table { border-collapse: collapse; } td, th { padding: .2rem .8rem; text-align: left; border-bottom: 1px solid #eee; }
ol.worst > li { margin-bottom: 1rem; }
.text, .context { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; max-height: 12rem;
  overflow: auto; }
.text { font-weight: 600; } .context { color: #666; font-size: .9em; } .meta { color: #555; font-size: .85em; }
"""
# No script, no request: even text that escaped the escaping could not run or fetch anything.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _chart(draw: Any, width: float = 8, height: float = 3) -> str:
    """A matplotlib figure (Agg, no display) as a data: URI of a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(width, height), dpi=96)
    axes = figure.add_subplot(1, 1, 1)
    count_axis = draw(axes)  # each chart counts along one axis: whole numbers only there
    count_axis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _label(name: Any) -> str:
    """A name as a chart label: `$` would start matplotlib's math mode (an events file can hold anything)."""
    text = printable(str(name), 40)
    return text.replace("$", "\\$")


def _bars(counts: dict, label: str, top: int = 15) -> Any:
    items = list(counts.items())[:top][::-1]

    def draw(axes: Any) -> Any:
        axes.barh([_label(k) for k, _ in items], [v for _, v in items], color="#4c78a8")
        axes.set_xlabel(label)
        return axes.xaxis

    return draw


def _charts(figures: Figures) -> list[tuple[str, str]]:
    """(title, data URI) of each chart that has something to show."""
    charts = []
    if figures.per_day:
        days = list(figures.per_day)

        def per_day(axes: Any) -> Any:
            positions = range(len(days))
            axes.bar([p - 0.2 for p in positions], [figures.per_day[d][1] for d in days], 0.4, label="user messages")
            axes.bar([p + 0.2 for p in positions], [figures.per_day[d][0] for d in days], 0.4, label="conversations")
            axes.set_xticks(list(positions))
            axes.set_xticklabels(days, rotation=45, ha="right", fontsize=8)
            axes.legend()
            return axes.yaxis

        charts.append(("Conversations and user messages per day (UTC)", _chart(per_day)))
    if figures.intents:
        height = 1 + 0.3 * min(len(figures.intents), 15)
        charts.append(("Intents", _chart(_bars(figures.intents, "user messages"), height=height)))
    if any(figures.confidence_bins):

        def confidence(axes: Any) -> Any:
            labels = [f"{i / CONFIDENCE_BINS:.1f}" for i in range(CONFIDENCE_BINS)]
            axes.bar(labels, figures.confidence_bins, color="#f58518", align="edge", width=0.9)
            axes.set_xlabel("intent confidence (from)")
            axes.set_ylabel("user messages")
            return axes.yaxis

        charts.append(("Confidence", _chart(confidence)))
    for title, counts in (("Actions", figures.actions), ("Responses", figures.responses)):
        if counts:
            height = 1 + 0.3 * min(len(counts), 15)
            charts.append((title, _chart(_bars(counts, "times run"), height=height)))
    if figures.lengths:

        def lengths(axes: Any) -> Any:
            axes.bar([str(k) for k in figures.lengths], list(figures.lengths.values()), color="#54a24b")
            axes.set_xlabel("user messages in the conversation")
            axes.set_ylabel("conversations")
            return axes.yaxis

        charts.append(("Conversation length", _chart(lengths)))
    return charts


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(counts: dict, head: str) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{v}</td></tr>" for k, v in counts.items())
    return f"<table><tr><th>{_e(head)}</th><th>count</th></tr>{rows}</table>" if counts else "<p>None.</p>"


def _worst_html(worst: list[UserTurn]) -> str:
    if not worst:
        return "<p>No user message in this period.</p>"
    items = []
    for turn in worst:
        confidence = "no confidence" if turn.confidence is None else f"confidence {turn.confidence:.2f}"
        meta = f"{_e(turn.intent or '(no intent)')}, {confidence}{', fallback' if turn.fallback else ''}"
        when = datetime.fromtimestamp(turn.timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        context = "\n".join(turn.context)
        items.append(
            f'<li><div class="context" dir="auto">{_e(context)}</div>'
            f'<div class="text" dir="auto">{_e(turn.text)}</div>'
            f'<div class="meta">{meta} · {_e(when)} · conversation <bdi>{_e(turn.sender_id)}</bdi></div></li>'
        )
    return f'<ol class="worst">{"".join(items)}</ol>'


def _period(figures: Figures) -> str:
    if not (figures.since or figures.until):
        return "all stored conversations"
    return f"{figures.since or 'the start'} to {figures.until or 'today'} (UTC days, both included)"


def write_report(figures: Figures, path: str | Path) -> Path:
    """Write the self-contained HTML report; return its path."""
    path = Path(path)
    boxes = [
        ("conversations", figures.conversations),
        ("user messages", figures.user_messages),
        ("fallback rate", f"{figures.fallback_rate:.1%}"),
        ("NLU fallbacks", figures.nlu_fallbacks),
        ("answered by a fallback action", figures.action_fallbacks),
    ]
    charts = "".join(f'<h2>{_e(title)}</h2><img alt="{_e(title)}" src="{uri}">' for title, uri in _charts(figures))
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What users said</title><style>{CSS}</style></head><body>
<h1>What users said</h1>
<p>{_e(_period(figures))}; from {_e(figures.source)}; written {_e(_day(time.time()))}.</p>
<div class="figures">{"".join(f'<div class="figure"><strong>{_e(v)}</strong>{_e(k)}</div>' for k, v in boxes)}</div>
<h2>Understood worst</h2>
<p>Fallbacks first, then the lowest confidence; each text once, with the lines before it.
Teach the bot these (<code>make review</code>), then retrain.</p>
{_worst_html(figures.worst)}
{charts}
<h2>Intents</h2>{_table(figures.intents, "intent")}
<h2>Actions and responses</h2>{_table({**figures.actions, **figures.responses}, "action")}
</body></html>
"""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    except OSError as error:
        raise InsightsError(f"cannot write {path}: {error.strerror or error}") from None
    return path


# --- the command line -----------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def printable(text: str, width: int = 60) -> str:
    """User text for a terminal: control characters (escape sequences, newlines) as '?', cut to width."""
    cleaned = "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)
    return cleaned if len(cleaned) <= width else cleaned[: width - 1] + "…"


def summary(figures: Figures, report: Path) -> str:
    top = ", ".join(f"{printable(name, 40)} {count}" for name, count in list(figures.intents.items())[:5]) or "none"
    lines = [
        f"{figures.conversations} conversations, {figures.user_messages} user messages ({_period(figures)})",
        f"fallbacks: {figures.fallbacks} ({figures.fallback_rate:.1%}): {figures.nlu_fallbacks} NLU fallback, "
        f"{figures.action_fallbacks} answered by a fallback action",
        f"intents: {top}",
    ]
    lines += [f"  worst: {printable(turn.text)!r} ({printable(str(turn.intent), 40)})" for turn in figures.worst[:3]]
    lines.append(f"report: {report}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", default="config/endpoints.yml", help="its tracker_store is read")
    parser.add_argument("--events", help="a JSON-lines file of broker events, instead of the tracker store")
    parser.add_argument("--since", help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--until", help="last UTC day, YYYY-MM-DD")
    parser.add_argument("--out", default="reports/insights.html")
    parser.add_argument("--limit", type=int, default=50, help="messages in the 'understood worst' list")
    args = parser.parse_args(argv)
    try:
        since = parse_day(args.since, "--since") if args.since else None
        until = parse_day(args.until, "--until") if args.until else None
        _bounds(since, until)
        if args.events:
            conversations, source = conversations_from_event_lines(args.events), f"events file {args.events}"
        else:
            conversations, source = conversations_from_store(args.endpoints), f"the tracker store of {args.endpoints}"
        figures = summarize(conversations, since, until, source=source, limit=args.limit)
        report = write_report(figures, args.out)
    except InsightsError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print(summary(figures, report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    # Rasa's and its libraries' log lines and deprecation warnings (Rasa turns those on when imported)
    # are not this report's business: a failure is our one ERROR line.
    logging.basicConfig(level=logging.CRITICAL)
    logging.captureWarnings(True)
    sys.exit(main())

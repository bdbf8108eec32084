"""Real Rasa: `make insights` (scripts/insights.py) reads what a real `rasa run` stored, per tracker store.

One light model is trained for the module. For each store the template offers (SQLite, PostgreSQL
and Redis on this machine, the custom JSON-file store, and MongoDB through the mongoeco wire-protocol
EMULATOR, not a real MongoDB), a `rasa run` with the bot's endpoints pointed at the local service
holds the same scripted conversations over REST: known intents, two nonsense messages and a planted
`<script>` message (NLU fallbacks), one message Rasa's policies answer with action_default_fallback,
and one paraphrase the model understands with low confidence. The script then runs in the bot's
Rasa venv, as `make insights` runs it in the Rasa image: its figures must equal the scenario's
counts exactly, the planted messages lead the worst-understood list, and the report has its charts
and shows the `<script>` message as text.

What the model makes of each message is asked of the same server first (`/model/parse`): if the
model ever changes its mind, the test says so before comparing any figure.
"""

from __future__ import annotations

import html
import json
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

import rasa_http
import smoke_test
from harness import rasa_cli, stores, venvs
from harness.bots import RasaProject, prepare
from harness.processes import free_port
from harness.rasa_servers import rasa_server

pytestmark = pytest.mark.rasa

REDIS_DB = 9  # test_rasa_e2e uses 13, test_rasa_replicas 11 and 12
LOCK_DB = 8  # the Redis lock store of the postgres, redis and mongo bots (unused by insights itself)
SCRIPT = "<script>alert('insights')</script>"
FALLBACK_TEXT = "utter_default"
# (message, intent the model gives it, the response action that answers it; None: action_default_fallback).
# The <script> message's intent is what the model says (3.6: nlu_fallback, 2.8: out_of_scope): both
# get utter_default.
CONVERSATIONS = [
    [("hello", "greet", "utter_greet"), ("I am great", "mood_happy", "utter_happy"),
     ("bye", "goodbye", "utter_goodbye")],
    [("hi", "greet", "utter_greet"), ("very sad", "mood_unhappy", "utter_cheer_up"),
     ("are you a bot?", "bot_challenge", "utter_iamabot")],
    [("good morning", "greet", "utter_greet"), ("zqx vlorp gnarf", "nlu_fallback", "utter_default"),
     ("wug gnarp trelk", "nlu_fallback", "utter_default"), (SCRIPT, None, "utter_default")],
    [("hiya", "greet", "utter_greet")],  # a paraphrase (benchmarks/paraphrases/en.yml), not a training example
    [("I am great", "mood_happy", None)],  # happy before any greeting: no story goes so, the policies give up
]  # fmt: skip
LOW_CONFIDENCE = "hiya"
# Every store on Rasa 3.6; the 2.8 line's classes (sync, `retrieve`) once, with SQLite.
CASES = [("3.6", kind) for kind in ("sqlite", "postgres", "redis", "custom", "mongo")] + [("2.8", "sqlite")]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("insights-rasa")


def bot_for(store_kind: str, workdir: Path, line: str = "3.6") -> RasaProject:
    answers = {"rasa_version": line, "nlu_pipeline": "light", "tracker_store": store_kind, "custom_actions": False,
               "mongo_express": False}  # fmt: skip
    try:
        return prepare(answers, workdir / f"{line}-{store_kind}")
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)


def parse(server, text: str) -> dict:
    url = f"{server.url}/model/parse?token={server.token}"
    status, body, _ = rasa_http.request(url, json.dumps({"text": text}).encode())
    assert status == 200, body
    return json.loads(body)


def classifier_confidence(parsed: dict) -> float:
    """The scenario's rule (insights' docstring): for nlu_fallback, the best real intent's confidence."""
    if parsed["intent"]["name"] == "nlu_fallback":
        return max(r["confidence"] for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback")
    return parsed["intent"]["confidence"]


def hold_conversations(server, bot: RasaProject) -> tuple[list[tuple], dict[str, float], list[tuple]]:
    """Send the scripted conversations and check each reply; return the turns (with the intents the
    model gives), the classifier's confidence of each message and when each was sent (conversation, time)."""
    domain = smoke_test.load_domain(bot.path)
    texts = {name: [v["text"] for v in variants] for name, variants in domain["responses"].items()}
    turns, confidences, times = [], {}, []
    for number, conversation in enumerate(CONVERSATIONS):
        sender = f"insights-{number}-{uuid.uuid4().hex[:8]}"
        for message, intent, response in conversation:
            parsed = parse(server, message)
            wanted = {intent} if intent else {"nlu_fallback", "out_of_scope"}
            assert parsed["intent"]["name"] in wanted, f"the model now reads {message!r} as {parsed['intent']}"
            turns.append((message, parsed["intent"]["name"], response))
            confidences.setdefault(message, classifier_confidence(parsed))
            times.append((number, time.time()))
            replies = rasa_http.send(server.url, sender, message)
            assert replies and replies[0] in texts[response or FALLBACK_TEXT], (message, replies)
    return turns, confidences, times


def expected_figures(turns: list[tuple], confidences: dict[str, float], times: list[tuple]) -> dict:
    nlu_fallbacks = sum(intent == "nlu_fallback" for _, intent, _ in turns)
    bins = [0] * 10
    for message, _, _ in turns:
        bins[min(int(confidences[message] * 10), 9)] += 1
    per_day: dict[str, list] = {}
    for number, sent in times:
        day = per_day.setdefault(datetime.fromtimestamp(sent, tz=timezone.utc).strftime("%Y-%m-%d"), [set(), 0])
        day[0].add(number)
        day[1] += 1
    return {
        "conversations": len(CONVERSATIONS), "user_messages": len(turns),
        "per_day": {day: [len(numbers), count] for day, (numbers, count) in sorted(per_day.items())},
        "intents": dict(Counter(intent for _, intent, _ in turns)),
        "nlu_fallbacks": nlu_fallbacks, "action_fallbacks": 1, "fallbacks": nlu_fallbacks + 1, "confidence_bins": bins,
        "responses": dict(Counter(response for _, _, response in turns if response)),
        "actions": {"action_session_start": len(CONVERSATIONS), "action_default_fallback": 1},
        "lengths": {str(k): v for k, v in Counter(len(c) for c in CONVERSATIONS).items()},
    }  # fmt: skip


# The API as make review uses it, in the bot's Rasa venv: the figures and worst list as JSON.
FIGURES_JSON = """
import dataclasses, json, sys
sys.path.insert(0, "scripts")
import insights
figures = insights.summarize(insights.conversations_from_store(sys.argv[1]))
data = dataclasses.asdict(figures)
data["worst"] = [dataclasses.asdict(t) for t in figures.worst]
open(sys.argv[2], "w").write(json.dumps(data, default=str))
"""


def run_insights(bot: RasaProject, endpoints: Path, env: dict, *args: str) -> rasa_cli.CliResult:
    return rasa_cli.run(bot, "python", "scripts/insights.py", "--endpoints", str(endpoints), *args, env=env,
                        label="insights", timeout=300)  # fmt: skip


@pytest.mark.parametrize(("line", "store_kind"), CASES, ids=[f"{line}-{kind}" for line, kind in CASES])
def test_report_figures_equal_the_conversations_held(line, store_kind, workdir, tmp_path):
    bot = bot_for(store_kind, workdir, line)
    model = rasa_cli.train(bot, workdir / "models")  # one training: every store's bot has the same data
    with stores.fresh_store(bot, tmp_path, redis_db=REDIS_DB, name="insights") as store:
        endpoints, env = stores.local_endpoints(bot, store, lock_db=LOCK_DB)
        with rasa_server(bot, model, endpoints, env=env) as server:
            turns, confidences, times = hold_conversations(server, bot)
        expected = expected_figures(turns, confidences, times)

        out = tmp_path / "figures.json"
        rasa_cli.run(bot, "python", "-c", FIGURES_JSON, str(endpoints), str(out), env=env, label="figures").check()
        figures = json.loads(out.read_text())
        report = tmp_path / "reports" / "insights.html"
        cli = run_insights(bot, endpoints, env, "--out", str(report)).check()

    assert {key: figures[key] for key in expected} == expected, f"{store_kind}: figures differ"
    # Fallbacks first (by the classifier's confidence), then the planted low-confidence paraphrase.
    fallbacks = [message for message, intent, response in turns if intent == "nlu_fallback" or not response]
    fallbacks.sort(key=confidences.get)
    worst = figures["worst"]
    assert [t["text"] for t in worst[: len(fallbacks) + 1]] == [*fallbacks, LOW_CONFIDENCE]
    assert [t["fallback"] for t in worst[: len(fallbacks) + 2]] == [True] * len(fallbacks) + [False] * 2
    assert len(worst) == 11, "12 messages, 'I am great' twice: kept once, as the fallback"
    wug = next(t for t in worst if t["text"] == "wug gnarp trelk")
    responses = smoke_test.load_domain(bot.path)["responses"]
    greeting, sorry = responses["utter_greet"][0]["text"], responses["utter_default"][0]["text"]
    assert wug["context"] == ["user: good morning", f"bot: {greeting}", "user: zqx vlorp gnarf", f"bot: {sorry}"]

    assert "12 user messages" in cli.output and f"report: {report}" in cli.output
    page = report.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 6  # per day, intents, confidence, actions, responses, lengths
    assert SCRIPT not in page and html.escape(SCRIPT, quote=True) in page
    assert "http://" not in page and "https://" not in page


@pytest.mark.parametrize("problem", ["in_memory", "postgres down", "redis down"])
def test_no_store_or_an_unreachable_one_is_one_error(problem, workdir, tmp_path):
    kind = problem.split()[0]
    bot = bot_for(kind, workdir / "errors")
    store = stores.Store(kind=kind, bot=bot, postgres_db="rasa_insights_absent", redis_db=REDIS_DB)
    endpoints, env = stores.local_endpoints(bot, store, lock_db=LOCK_DB)
    if problem.endswith("down"):  # nothing listens on this port
        text = endpoints.read_text(encoding="utf-8")
        endpoints.write_text(text.replace(f"port: {stores.LOCAL_POSTGRES['port']}", f"port: {free_port()}")
                             .replace(f"port: {stores.LOCAL_REDIS['port']}", f"port: {free_port()}"))  # fmt: skip
    result = run_insights(bot, endpoints, env, "--out", str(tmp_path / "r.html"))
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("ERROR: "), result.output
    expected = {"in_memory": "has no tracker_store: Rasa keeps conversations in memory only",
                "postgres down": "cannot reach the tracker store's database",
                "redis down": "cannot read the tracker store (redis)"}  # fmt: skip
    assert expected[problem] in lines[0], lines[0]
    assert not (tmp_path / "r.html").exists()

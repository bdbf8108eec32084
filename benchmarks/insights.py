#!/usr/bin/env python3
"""`make insights` on a big store: time and peak memory for 10k and 100k stored events (a figure, not a test).

    python benchmarks/insights.py [--runs 3] [--events 10000,100000] [--stores sqlite,postgres]

Run with the template's dev venv, like run.py. For each store and size, a default bot is baked with
that tracker store (PostgreSQL: a fresh database on the local server), and conversations are saved
into it through Rasa's own tracker-store class, in the bot's Rasa 3.6 venv: 20 user messages each
(user message, featurization, response, bot message, listen), 3 session-start events first, one
message in ten an NLU fallback, spread over 30 days. Then `scripts/insights.py` runs `--runs` times
as `make insights` runs it (a new process: Python, Rasa's imports, reading every conversation, the
figures, the charts, the HTML): wall time and peak resident memory, medians printed. Each run must
report every stored user message, or the benchmark stops. Target: 100k events under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import machine, timed_run  # run.py also puts tests/ and the bot's scripts/ on sys.path

from harness import stores
from harness.bots import prepare
from harness.venvs import rasa_env

TURNS = 20  # user messages per conversation
EVENTS_PER_CONVERSATION = 3 + 5 * TURNS
# Run in the bot folder with the Rasa venv's Python: ENDPOINTS CONVERSATIONS.
FILL = r"""
import asyncio, sys
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, DefinePrevUserUtteredFeaturization, SessionStarted,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

MESSAGES = [("hello", "greet", "utter_greet"), ("I am great", "mood_happy", "utter_happy"),
            ("very sad", "mood_unhappy", "utter_cheer_up"), ("are you a bot?", "bot_challenge", "utter_iamabot"),
            ("bye", "goodbye", "utter_goodbye")]
endpoints, conversations, turns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
domain = Domain.load("domain.yml")
store = TrackerStore.create(read_endpoint_config(endpoints, "tracker_store"), domain=domain)
start = 1764547200.0  # 2025-12-01 UTC


async def fill():
    for number in range(conversations):
        t = start + (number % 30) * 86400 + number
        events = [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
                  ActionExecuted("action_listen", timestamp=t)]
        for turn in range(turns):
            t += 5
            text, intent, response = MESSAGES[(number + turn) % len(MESSAGES)]
            confidence = 0.5 + ((number * 7 + turn) % 50) / 100
            ranking = [{"name": intent, "confidence": confidence}]
            if (number + turn) % 10 == 0:  # an NLU fallback
                text, response = f"zqx {number} {turn}", "utter_default"
                ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": intent, "confidence": 0.2}]
                intent, confidence = "nlu_fallback", 0.3
            parse = {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking,
                     "entities": [], "text": text}
            events += [UserUttered(text, parse["intent"], [], parse, timestamp=t, input_channel="rest"),
                       DefinePrevUserUtteredFeaturization(False, timestamp=t),
                       ActionExecuted(response, "policy_0_RulePolicy", 1.0, timestamp=t + 1),
                       BotUttered(f"reply to {text}", {}, {"utter_action": response}, timestamp=t + 1),
                       ActionExecuted("action_listen", "policy_0_RulePolicy", 1.0, timestamp=t + 2)]
        await store.save(DialogueStateTracker.from_events(f"bench-{number:06d}", events, domain.slots))


asyncio.run(fill())
"""


def fill(bot, endpoints: Path, env: dict, events: int) -> int:
    """Save conversations totalling about `events` events; return the number of user messages."""
    conversations = max(1, round(events / EVENTS_PER_CONVERSATION))
    timed_run([str(bot.venv / "bin" / "python"), "-c", FILL, str(endpoints), str(conversations), str(TURNS)],
              cwd=bot.path, env=env, log=bot.scratch / "fill.log")  # fmt: skip
    return conversations * TURNS


def measure(store_kind: str, events: int, runs: int, workdir: Path) -> dict:
    bot = prepare({"tracker_store": store_kind, "custom_actions": False}, workdir / f"{store_kind}-{events}")
    store = stores.Store(kind=store_kind, bot=bot)
    if store_kind == "postgres":
        store.postgres_db = stores.create_postgres_db(f"rasa_bench_{uuid.uuid4().hex[:12]}")
    try:
        endpoints, secrets = stores.local_endpoints(bot, store, lock_db=8)  # the lock store: unused here
        (bot.path / "state").mkdir(exist_ok=True)
        env = {**rasa_env(bot.scratch / "env", venv=bot.venv), **secrets}
        messages = fill(bot, endpoints, env, events)
        stored = round(messages / TURNS) * EVENTS_PER_CONVERSATION
        seconds, memory = [], []
        for run in range(runs):
            log = bot.scratch / f"insights-{run}.log"
            argv = [str(bot.venv / "bin" / "python"), "scripts/insights.py", "--endpoints", str(endpoints)]
            wall, peak = timed_run(argv, cwd=bot.path, env=env, log=log)
            found = re.search(r"(\d+) user messages", log.read_text())
            if not found or int(found.group(1)) != messages:
                raise RuntimeError(f"insights read {found and found.group(1)} user messages, not {messages}: {log}")
            seconds.append(wall)
            memory.append(peak)
        return {"store": store_kind, "events": stored, "user_messages": messages, "seconds": seconds,
                "peak_mib": memory, "median_seconds": statistics.median(seconds),
                "median_peak_mib": statistics.median(memory)}  # fmt: skip
    finally:
        if store.postgres_db:
            stores.drop_postgres_db(store.postgres_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", default="10000,100000")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    info = machine()
    print(json.dumps(info))
    results = []
    with tempfile.TemporaryDirectory(prefix="insights-bench-") as tmp:
        for store_kind in args.stores.split(","):
            for events in (int(n) for n in args.events.split(",")):
                result = measure(store_kind, events, args.runs, Path(tmp))
                results.append(result)
                print(f"{store_kind:8} {result['events']:>7} events ({result['user_messages']} user messages): "
                      f"{result['median_seconds']:.1f} s, {result['median_peak_mib']:.0f} MiB peak "
                      f"(median of {args.runs}; runs: {', '.join(f'{s:.1f}' for s in result['seconds'])} s)",
                      flush=True)  # fmt: skip
    print(f"load average at end: {[round(x, 2) for x in os.getloadavg()]}")


if __name__ == "__main__":
    main()

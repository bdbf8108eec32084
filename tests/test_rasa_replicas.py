"""Real Rasa, the Kubernetes way: two `rasa run` replicas share one conversation.

A kubernetes=yes bot is baked; the endpoints.yml of its ConfigMap (as `kubectl kustomize` builds
it) is used with the hosts pointed at 127.0.0.1 (harness.stores.local_endpoints): the tracker store is the
local PostgreSQL or Redis, the lock store the local Redis on its own db index. Two Rasa processes
(two "pods") and one action server run; the walkthrough's sad path alternates between them.

Proven, not assumed (Rasa silently falls back to in-memory stores; see CONTRIBUTING.md):
- every reply is the right one for the conversation so far, whichever replica answers;
- after each turn, BOTH replicas' trackers hold every message so far, and so does the store itself;
- the lock store is the Redis one: Redis' MONITOR sees each replica's request take and release the
  conversation's lock (`lock:<sender>`) on the lock db index, during that request.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

import generate_env
import rasa_http
import smoke_test
from harness import rasa_cli, stores, venvs
from harness.bots import RasaProject, prepare
from harness.kustomize import documents, generated, kustomize
from harness.processes import LOCAL
from harness.rasa_servers import action_server, rasa_server, tracker, user_texts

pytestmark = pytest.mark.rasa

TRACKER_DB = 11  # the Redis tracker store's db index (test_rasa_e2e uses 13)
LOCK_DB = 12  # the lock store's db index: no other test uses it
STORES = ["postgres", "redis"]


class RedisMonitor:
    """Redis' MONITOR on the local server, read in a thread: (unix time, db index, command words)."""

    LINE = re.compile(r"^\+(\d+\.\d+) \[(\d+) [^\]]*\] (.*)$")

    def __init__(self) -> None:
        self.sock = socket.create_connection((LOCAL, int(stores.LOCAL_REDIS["port"])), timeout=10)
        self.sock.sendall(b"MONITOR\r\n")
        self.file = self.sock.makefile("rb")
        assert self.file.readline().strip() == b"+OK", "Redis refused MONITOR"
        self.sock.settimeout(None)
        self.entries: list[tuple[float, int, list[str]]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for raw in self.file:
                found = self.LINE.match(raw.decode(errors="replace").rstrip("\r\n"))
                if found:
                    words = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(3))
                    self.entries.append((float(found.group(1)), int(found.group(2)), words))

    def commands(self, db: int, start: float, end: float) -> list[list[str]]:
        return [words for when, index, words in list(self.entries) if index == db and start <= when <= end]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def configmap_endpoints(bot: RasaProject) -> Path:
    """endpoints.yml as the cluster gets it: the ConfigMap of `kubectl kustomize deploy/kubernetes/base`."""
    base = bot.path / "deploy" / "kubernetes" / "base"
    generate_env.write_env(base)  # the secretGenerator needs base/.env, as in the README
    built = kustomize(base)
    assert built.returncode == 0, built.stderr
    config_map = generated(documents(built.stdout), "ConfigMap", "rasa-config")
    path = bot.scratch / "configmap-endpoints.yml"
    path.write_text(config_map["data"]["endpoints.yml"], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("replica-models")


@pytest.mark.parametrize("store_kind", STORES)
def test_two_replicas_share_one_conversation(store_kind, models_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("JOKE_API_URL", raising=False)
    answers = {"rasa_version": "3.6", "nlu_pipeline": "light", "tracker_store": store_kind, "custom_actions": True,
               "mongo_express": False, "kubernetes": True}  # fmt: skip
    try:
        bot = prepare(answers, tmp_path)
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    model = rasa_cli.train(bot, models_dir)
    source = configmap_endpoints(bot)
    cluster = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert cluster["lock_store"]["type"] == "redis" and cluster["action_endpoint"]["url"].startswith(
        "http://action-server:"
    )

    sender = f"replicas-{uuid.uuid4().hex[:12]}"
    turns = smoke_test.conversations(bot.path)["sad path"]
    domain = smoke_test.load_domain(bot.path)
    jokes = smoke_test.local_jokes(bot.path)
    with contextlib.ExitStack() as stack:
        store = stores.Store(kind=store_kind, bot=bot, redis_db=TRACKER_DB)
        if store_kind == "postgres":
            store.postgres_db = stores.create_postgres_db(f"rasa_replicas_{uuid.uuid4().hex[:12]}")
            stack.callback(stores.drop_postgres_db, store.postgres_db)
        else:
            stack.callback(stores.delete_redis_keys, TRACKER_DB, f"tracker:{sender}")
        stack.callback(stores.delete_redis_keys, LOCK_DB, f"lock:{sender}")
        actions = stack.enter_context(action_server(bot))
        endpoints, env = stores.local_endpoints(
            bot, store, action_url=f"{actions.url}/webhook", source=source, lock_db=LOCK_DB
        )
        local = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
        assert local["lock_store"] == {**cluster["lock_store"], "url": LOCAL, "db": LOCK_DB}

        replicas = [stack.enter_context(rasa_server(bot, model, endpoints, env=env)) for _ in range(2)]
        assert replicas[0].url != replicas[1].url
        monitor = RedisMonitor()
        stack.callback(monitor.close)

        sent: list[str] = []
        for number, turn in enumerate(turns):
            replica = replicas[number % 2]
            start = time.time()
            replies = rasa_http.send(replica.url, sender, turn.message)
            end = time.time()
            sent.append(turn.message)
            where = f"turn {number + 1} ({turn.message!r}) on replica {number % 2}"
            assert smoke_test.check_turn(turn, replies, domain, jokes) == "", f"{where}: {replies}"
            for other in replicas:  # each replica sees what was sent to the other
                assert user_texts(tracker(other, sender)["events"]) == sent, where
            assert store.user_texts(sender) == sent, f"{where}: the {store_kind} store"
            # This replica took and released the conversation's lock in Redis, during this request.
            lock_key = f"lock:{sender}"
            deadline = time.monotonic() + 10
            while True:
                commands = monitor.commands(LOCK_DB, start - 0.5, end + 0.5)
                took = [c for c in commands if c[:2] == ["SET", lock_key]]
                released = [c for c in commands if c[:2] == ["DEL", lock_key]]
                if (took and released) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert took and released, f"{where}: no lock in Redis db {LOCK_DB}; commands seen: {commands}"
        assert "Received request to run 'action_joke'" in actions.log_text()

"""The bots' tracker stores on 127.0.0.1, read back directly (Rasa silently falls back to memory)."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

from harness import mongo, venvs
from harness.bots import RasaProject
from harness.mongo import MongoEmulator
from harness.processes import LOCAL
from harness.rasa_servers import user_texts
from harness.venvs import checked

LOCAL_POSTGRES = {"host": LOCAL, "port": "5432", "user": "root"}  # trust auth (scripts/services.sh)
LOCAL_REDIS = {"host": LOCAL, "port": "6379"}  # no password


@dataclass
class Store:
    """Where one bot's tracker store lives locally, and how to read a conversation back from it."""

    kind: str  # the tracker_store answer
    bot: RasaProject
    postgres_db: str | None = None
    redis_db: int = 0
    mongo: MongoEmulator | None = None

    def secrets(self) -> dict[str, str]:
        """The variables config/endpoints.yml reads (`${POSTGRES_USER}`, ...), for the local servers."""
        if self.kind == "postgres":
            user = LOCAL_POSTGRES["user"]
            return {"POSTGRES_DB": str(self.postgres_db), "POSTGRES_USER": user, "POSTGRES_PASSWORD": ""}
        if self.kind == "redis":
            return {"REDIS_PASSWORD": ""}
        if self.kind == "mongo" and self.mongo:
            return {"MONGO_USER": self.mongo.user, "MONGO_PASSWORD": self.mongo.password}
        return {}

    def config(self) -> dict:
        """The bot's `tracker_store` section of config/endpoints.yml (paths and names come from it)."""
        endpoints = yaml.safe_load((self.bot.path / "config" / "endpoints.yml").read_text(encoding="utf-8")) or {}
        return endpoints.get("tracker_store") or {}

    def user_texts(self, sender: str) -> list[str]:
        """The user messages of `sender` as stored by the store itself (not through Rasa)."""
        reader = getattr(self, f"_read_{self.kind}", None)
        assert reader, f"no reader for tracker store {self.kind!r}"
        return reader(sender)

    def _read_sqlite(self, sender: str) -> list[str]:
        db = self.bot.path / self.config()["db"]  # relative to the folder Rasa runs in
        assert db.is_file(), f"no SQLite file {db}: Rasa did not use the SQL store"
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
        return user_texts([json.loads(data) for (data,) in rows])

    def _read_postgres(self, sender: str) -> list[str]:
        query = "SELECT data FROM events WHERE sender_id = :'sender' ORDER BY id;\n"
        proc = subprocess.run(
            ["psql", "-h", LOCAL_POSTGRES["host"], "-p", LOCAL_POSTGRES["port"], "-U", LOCAL_POSTGRES["user"],
             "-d", str(self.postgres_db), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", f"sender={sender}"],
            input=query, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"psql on {self.postgres_db}: {proc.stderr}"
        return user_texts([json.loads(line) for line in proc.stdout.splitlines() if line.strip()])

    def _read_redis(self, sender: str) -> list[str]:
        proc = subprocess.run(
            ["redis-cli", "-h", LOCAL_REDIS["host"], "-p", LOCAL_REDIS["port"], "-n", str(self.redis_db), "--raw",
             "GET", f"tracker:{sender}"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"redis-cli: {proc.stderr}"
        text = proc.stdout.strip()
        return user_texts(json.loads(text).get("events", [])) if text else []

    def _read_custom(self, sender: str) -> list[str]:
        path = self.bot.path / self.config()["directory"] / f"{quote(sender, safe='')}.json"
        assert path.is_file(), f"no {path}: Rasa did not use the custom JSON-file store"
        return user_texts(json.loads(path.read_text(encoding="utf-8")).get("events", []))

    def _read_mongo(self, sender: str) -> list[str]:
        assert self.mongo, "no Mongo emulator"
        return user_texts(self.mongo.events(self.config(), sender))


# The Redis db index of the bots' lock stores, unless a test asks for its own. Locks are keyed by
# conversation and every test's senders are unique, so tests running at once can share it.
SHARED_LOCK_DB = 15


def local_endpoints(
    bot: RasaProject, store: Store, *, action_url: str | None = None, source: Path | None = None,
    lock_db: int = SHARED_LOCK_DB,
) -> tuple[Path, dict[str, str]]:  # fmt: skip
    """A copy of config/endpoints.yml (or of `source`, e.g. the Kubernetes ConfigMap's) whose hosts
    are the local servers; plus the env it reads.

    Only hosts, ports, the Redis db indexes and the Mongo URL (the emulator's) change; `${VARS}`
    stay and come from the returned env. A Redis lock_store (every postgres, redis and mongo bot
    has one) goes to the local Redis, db index `lock_db` (its password variable is set empty: the
    local Redis has none).
    """
    source = source or bot.path / "config" / "endpoints.yml"
    config = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    if "action_endpoint" in config:
        assert action_url, "this bot calls an action server: pass action_url"
        config["action_endpoint"]["url"] = action_url
    tracker_store = config.get("tracker_store") or {}
    kind = str(tracker_store.get("type", "")).lower()
    if kind == "sql" and tracker_store.get("dialect") == "postgresql":
        tracker_store.update(url=LOCAL, port=int(LOCAL_POSTGRES["port"]))
    elif kind == "redis":
        tracker_store.update(url=LOCAL, port=int(LOCAL_REDIS["port"]), db=store.redis_db)
    elif kind == "mongod":
        assert store.mongo, "this bot uses a MongoDB store: start the emulator"
        tracker_store["url"] = store.mongo.url
    env = store.secrets()
    lock_store = config.get("lock_store") or {}
    if str(lock_store.get("type", "")).lower() == "redis":
        lock_store.update(url=LOCAL, port=int(LOCAL_REDIS["port"]), db=lock_db)
        env.update(dict.fromkeys(re.findall(r"\$\{(\w+)\}", str(lock_store.get("password", ""))), ""))
    path = bot.scratch / "endpoints.local.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path, env


def create_postgres_db(name: str) -> str:
    checked(["createdb", "-h", LOCAL, "-U", LOCAL_POSTGRES["user"], name], f"createdb {name}", timeout=60)
    return name


def drop_postgres_db(name: str) -> None:
    subprocess.run(["dropdb", "-h", LOCAL, "-U", LOCAL_POSTGRES["user"], "--if-exists", name],
                   capture_output=True, timeout=60, check=False)  # fmt: skip


def delete_redis_keys(db: int, *patterns: str) -> None:
    """Delete the keys matching these patterns (e.g. "tracker:e2e-*") in one Redis db index."""
    cli = ["redis-cli", "-h", LOCAL, "-p", LOCAL_REDIS["port"], "-n", str(db)]
    for pattern in patterns:
        keys = subprocess.run([*cli, "--scan", "--pattern", pattern], capture_output=True, text=True, timeout=30,
                              check=False).stdout.split()  # fmt: skip
        if keys:
            subprocess.run([*cli, "DEL", *keys], capture_output=True, timeout=30, check=False)


@contextlib.contextmanager
def fresh_store(bot: RasaProject, workdir: Path, *, redis_db: int, name: str):
    """The bot's tracker store on 127.0.0.1, empty at the start: a new PostgreSQL database
    (rasa_<name>_<random>), db index `redis_db` without trackers, the Mongo emulator, or a file in
    the bot folder; cleaned up afterwards."""
    kind = bot.answers["tracker_store"]
    store = Store(kind=kind, bot=bot, redis_db=redis_db)
    if kind == "postgres":
        store.postgres_db = create_postgres_db(f"rasa_{name}_{uuid.uuid4().hex[:12]}")
        try:
            yield store
        finally:
            drop_postgres_db(store.postgres_db)
    elif kind == "redis":
        delete_redis_keys(redis_db, "tracker:*")
        try:
            yield store
        finally:
            delete_redis_keys(redis_db, "tracker:*")
    elif kind == "mongo":
        try:
            mongo.mongoeco_venv()  # built once; needs Python 3.13
        except venvs.ToolchainUnavailable as exc:
            venvs.unavailable(exc)
        with mongo.mongo_emulator(workdir) as store.mongo:
            print(f"tracker store: the mongoeco wire-protocol EMULATOR at {store.mongo.url}, not a real MongoDB")
            yield store
    else:
        yield store

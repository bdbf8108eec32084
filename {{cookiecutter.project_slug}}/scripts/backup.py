#!/usr/bin/env python3
"""`make backup` and `make restore FILE=...`: the conversations, the model and .env in one archive.

    python scripts/backup.py backup              # writes backups/<name>-<UTC time>.tar.gz, prints its path
    python scripts/backup.py restore FILE [--force]

What holds the conversations is read from `docker compose config`: the `rasa-state` volume
(SQLite or the JSON-file store: files under /app/state), or the postgres, redis or mongo service.
Each is saved the way its makers document while the bot runs: SQLite's online backup API, pg_dump,
Redis DUMP of every key (RESTORE puts them back), mongodump. The archive also holds the newest model
of models/ and .env, so it holds secrets: it is written readable by you only.

Restore stops the rasa service, puts the conversations back in place of what the store holds and
leaves the rest to `make up`. It refuses when the store holds a conversation newer than the backup
(that would be lost) unless --force; a model or .env that exists is never overwritten.
Standard library only: it runs on the host's python3 and drives `docker compose` ($COMPOSE).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
# Run with the Rasa image's Python in a one-off container of the rasa service (/app, its volumes, its
# environment): the image has sqlite3, redis and the tracker data's layout.
FILES_SAVE = r"""
import os, sqlite3, sys, tarfile, tempfile
with tarfile.open(fileobj=sys.stdout.buffer, mode="w|") as tar:
    for folder, _, names in sorted(os.walk("state")):
        for name in sorted(names):
            path = os.path.join(folder, name)
            if name.endswith(".db"):  # SQLite: a consistent copy even while Rasa writes
                with tempfile.NamedTemporaryFile(suffix=".db") as copy:
                    source, target = sqlite3.connect(path), sqlite3.connect(copy.name)
                    source.backup(target)
                    source.close(), target.close()
                    tar.add(copy.name, arcname=path)
            elif not name.endswith(("-journal", "-wal", "-shm")):
                tar.add(path)
"""
FILES_NEWEST = """
import os
print(max((os.path.getmtime(os.path.join(f, n)) for f, _, ns in os.walk("state") for n in ns), default=0))
"""
FILES_LOAD = """
import os, shutil, sys, tarfile
for entry in os.listdir("state"):
    path = os.path.join("state", entry)
    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
    for member in tar:  # only files and folders under state/, as FILES_SAVE wrote them
        parts = member.name.split("/")
        if parts[0] != "state" or ".." in parts or not (member.isfile() or member.isdir()):
            sys.exit(f"refused {member.name!r}: not a file under state/")
        member.mode, member.uid, member.gid = (0o755 if member.isdir() else 0o644), os.getuid(), os.getgid()
        tar.extract(member, ".", set_attrs=False)
"""
REDIS = "import os, redis; r = redis.Redis(host='redis', password=os.environ['REDIS_PASSWORD'])\n"
REDIS_SAVE = (
    REDIS
    + """import base64, json
for key in r.scan_iter(count=500):
    print(json.dumps({"key": base64.b64encode(key).decode(), "ttl": max(r.pttl(key), 0),
                      "value": base64.b64encode(r.dump(key)).decode()}))
"""
)
REDIS_NEWEST = (
    REDIS
    + """import json
newest = 0
for key in r.scan_iter(count=500):
    try:
        events = json.loads(r.get(key)).get("events", [])
    except (TypeError, ValueError, AttributeError, redis.ResponseError):
        continue
    newest = max([newest, *(e.get("timestamp", 0) for e in events if isinstance(e, dict))])
print(newest)
"""
)
REDIS_LOAD = (
    REDIS
    + """import base64, json, sys
r.flushdb()
for line in sys.stdin:
    item = json.loads(line)
    r.restore(base64.b64decode(item["key"]), item["ttl"], base64.b64decode(item["value"]), replace=True)
"""
)
POSTGRES = 'export PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB"; '
POSTGRES_NEWEST = (
    POSTGRES + 'if [ "$(psql -tAc "SELECT to_regclass(\'public.events\') IS NOT NULL")" = t ]; '
    'then psql -tAc "SELECT COALESCE(max(timestamp), 0) FROM events"; else echo 0; fi'
)
# The password goes to mongodump through a file written by the shell's printf: never on a command line.
MONGO = (
    'printf "password: %s\\n" "$MONGO_INITDB_ROOT_PASSWORD" > /tmp/auth.yml && trap "rm -f /tmp/auth.yml" EXIT && '
    '{} --config /tmp/auth.yml -u "$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase admin --archive'
)
MONGO_NEWEST = """
import os, pymongo
client = pymongo.MongoClient("mongo", username=os.environ["MONGO_USER"], password=os.environ["MONGO_PASSWORD"])
events = client.rasa.conversations.find({}, {"events.timestamp": 1})
print(max((e.get("timestamp", 0) for d in events for e in d.get("events", [])), default=0))
"""


# How the messages name each store.
NAMES = {"files": "the rasa-state volume", "postgres": "PostgreSQL", "redis": "Redis", "mongo": "MongoDB"}


class BackupError(Exception):
    """A step failed; the message says which and what to do."""


def compose(*args: str, stdin: bytes | None = None) -> bytes:
    """`docker compose ARGS` in the bot's folder: its standard output, or BackupError."""
    command = [*shlex.split(os.environ.get("COMPOSE") or "docker compose"), *args]
    try:
        done = subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (set COMPOSE to your Compose command)") from None
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError(f"`{shlex.join(command[:4])} ...` failed: {' '.join(error) or done.returncode}")
    return done.stdout


def in_rasa_image(code: str, stdin: bytes | None = None) -> bytes:
    """Run Python code in a one-off container of the rasa service (its volumes, environment, network)."""
    return compose("run", "--rm", "--no-deps", "-T", "--entrypoint", "python", "rasa", "-c", code, stdin=stdin)


def stores() -> list[str]:
    """What holds the conversations: "files" (the rasa-state volume), "postgres", "redis", "mongo"."""
    config = json.loads(compose("config", "--format", "json"))
    held = ["files"] if "rasa-state" in (config.get("volumes") or {}) else []
    return held + [name for name in ("postgres", "redis", "mongo") if name in config.get("services", {})]


def up(store: str) -> None:
    if store != "files":
        compose("up", "-d", "--wait", store)


def save(store: str) -> bytes:
    up(store)
    if store == "files":
        return in_rasa_image(FILES_SAVE)
    if store == "redis":
        return in_rasa_image(REDIS_SAVE)
    if store == "postgres":
        return compose("exec", "-T", "postgres", "sh", "-c", POSTGRES + "pg_dump --format=custom")
    return compose("exec", "-T", "mongo", "sh", "-c", MONGO.format("mongodump --db rasa"))


def newest_event(store: str) -> float:
    """The time of the newest conversation event (or file) the store holds; 0 when it is empty."""
    up(store)
    if store == "files":
        out = in_rasa_image(FILES_NEWEST)
    elif store == "redis":
        out = in_rasa_image(REDIS_NEWEST)
    elif store == "postgres":
        out = compose("exec", "-T", "postgres", "sh", "-c", POSTGRES_NEWEST)
    else:
        out = in_rasa_image(MONGO_NEWEST)
    try:
        return float(out.decode().strip() or 0)
    except ValueError:
        raise BackupError(f"could not read the newest event of {store}: {out[:200]!r}") from None


def load(store: str, data: bytes) -> None:
    up(store)
    if store == "files":
        in_rasa_image(FILES_LOAD, data)
    elif store == "redis":
        in_rasa_image(REDIS_LOAD, data)
    elif store == "postgres":
        restore_dump = 'pg_restore --clean --if-exists --no-owner -d "$PGDATABASE"'
        compose("exec", "-T", "postgres", "sh", "-c", POSTGRES + restore_dump, stdin=data)
    else:
        compose("exec", "-T", "mongo", "sh", "-c", MONGO.format("mongorestore --drop"), stdin=data)


def newest_model() -> Path | None:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def backup(folder: Path) -> Path:
    created = time.time()
    held = stores()
    model = newest_model()
    manifest = {"format": FORMAT, "created": created, "stores": held, "model": model.name if model else None}
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(created))
    path = folder / f"{ROOT.name}-{stamp}.tar.gz"
    partial = path.with_suffix(".partial")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        with tarfile.open(fileobj=out, mode="w:gz") as tar:
            add(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
            for store in held:
                add(tar, f"store/{store}", save(store))
            if model:
                tar.add(model, arcname=f"models/{model.name}")
            if (ROOT / ".env").is_file():
                add(tar, "env", (ROOT / ".env").read_bytes())
    partial.replace(path)
    return path


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the members of a backup, or BackupError saying what is wrong with the file."""
    if not str(path).strip() or path == Path("."):
        raise BackupError("name the backup to restore: make restore FILE=backups/<file>.tar.gz")
    if not path.is_file():
        raise BackupError(f"{path}: no such file. The backups `make backup` wrote are in backups/.")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        manifest = json.loads(members.pop("manifest.json"))
    except (tarfile.TarError, OSError, EOFError, KeyError, ValueError, AttributeError) as error:
        raise BackupError(f"{path} is not a backup of `make backup` ({type(error).__name__}: {error})") from None
    known = isinstance(manifest, dict) and manifest.get("format") == FORMAT
    if not (known and isinstance(manifest.get("stores"), list)):
        raise BackupError(f"{path}: not a backup this script wrote (manifest.json: {str(manifest)[:80]})")
    missing = [s for s in manifest["stores"] if f"store/{s}" not in members]
    if missing:
        raise BackupError(f"{path} is incomplete: {', '.join(missing)} missing")
    return manifest, members


def when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def restore(path: Path, force: bool) -> list[str]:
    """Put a backup back; the lines to print."""
    manifest, members = read_archive(path)
    report = []
    env = ROOT / ".env"
    if "env" in members and not env.exists():  # first: Compose reads it (a new machine has none)
        env.write_bytes(members["env"])
        env.chmod(0o600)
        report.append(".env: restored")
    elif "env" in members and env.read_bytes() != members["env"]:
        report.append(f".env: kept yours (the backup's differs; it is in {path})")
    held = stores()
    if sorted(manifest["stores"]) != sorted(held):
        raise BackupError(
            f"{path} holds conversations of {', '.join(NAMES.get(s, str(s)) for s in manifest['stores']) or 'none'}; "
            f"this bot keeps them in {', '.join(NAMES[s] for s in held) or 'memory'}. Restore it into a bot "
            "with the same tracker_store."
        )
    for store in held:
        newest = newest_event(store)
        if newest > manifest["created"] and not force:
            raise BackupError(
                f"{NAMES[store]} holds conversations newer than this backup (last at {when(newest)}, "
                f"backup of {when(manifest['created'])}): restoring would lose them. Save them first "
                f"(make backup), then: make restore FILE={path} FORCE=1"
            )
    compose("stop", "rasa")  # nothing writes while the store is replaced
    for store in held:
        load(store, members[f"store/{store}"])
        report.append(f"{NAMES[store]}: restored the conversations of {when(manifest['created'])}")
    for name in (n for n in members if n.startswith("models/")):
        model = ROOT / "models" / Path(name).name
        if not model.exists():
            model.parent.mkdir(exist_ok=True)
            model.write_bytes(members[name])
            report.append(f"models/{model.name}: restored")
    return [*report, "Start the bot: make up"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="write backups/<name>-<time>.tar.gz").add_argument(
        "--to", type=Path, default=ROOT / "backups", help="folder (default: backups/)"
    )
    again = commands.add_parser("restore", help="put a backup back")
    again.add_argument("file", type=Path)
    again.add_argument("--force", action="store_true", help="even over newer conversations")
    args = parser.parse_args()
    try:
        if args.command == "backup":
            path = backup(args.to)
            print(f"{path} (it holds .env: keep it as safe as your secrets)")
        else:
            print("\n".join(restore(args.file, args.force)))
    except BackupError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

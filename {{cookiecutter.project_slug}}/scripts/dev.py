#!/usr/bin/env python3
"""`make dev`: one Rasa server that retrains in-process on every save.

Starts `rasa run --enable-api` on 127.0.0.1 (and the action server if there is `actions/`),
trains the current files inside that server when no model is newer than them, then watches
data/, domain and config/config.yml: each save is checked (scripts/check_bot), trained in
the running server (POST /model/train) and loaded (PUT /model). A bad save is reported and the
last good model keeps answering. Ctrl-C stops everything it started.

    python scripts/dev.py [--port 5005] [--actions-port 5055] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from email.message import Message
from pathlib import Path

import bot_files
import check_bot
import yaml
from generate_env import settings
from smoke_test import SmokeError, http_request

ROOT = Path(__file__).resolve().parent.parent
WATCHED = [ROOT / "data", ROOT / "domain.yml", ROOT / "domain", ROOT / "config" / "config.yml"]
LOG = ROOT / ".rasa" / "dev.log"
SUFFIXES = (".yml", ".yaml", ".md", ".py")


def as_yaml(path: Path) -> dict:
    """A data file as YAML; Rasa 2.8's Markdown is converted by Rasa's own readers."""
    if path.suffix != ".md":
        return yaml.safe_load(path.read_text()) or {}
    warnings.simplefilter("ignore", FutureWarning)  # "Markdown is deprecated": the README says so
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.markdown_story_reader import MarkdownStoryReader
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    if "nlu" in path.name:
        return yaml.safe_load(RasaYAMLWriter().dumps(load_data(str(path))))
    steps = MarkdownStoryReader(Domain.load(str(ROOT / "domain.yml"))).read_from_file(str(path))
    return yaml.safe_load(YAMLStoryWriter().dumps(steps))


def training_payload() -> bytes:
    """config + domain + all training data as one YAML document (what POST /model/train reads)."""
    merged: dict = {}
    domain = bot_files.read_domain(ROOT, yaml.safe_load)  # the first file wins, as in Rasa
    data = sorted(p for p in (ROOT / "data").rglob("*") if p.suffix in SUFFIXES[:3])
    for part in [as_yaml(ROOT / "config" / "config.yml"), domain, *map(as_yaml, data)]:
        for key, value in part.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return yaml.safe_dump(merged, allow_unicode=True, sort_keys=False).encode()


def call(url: str, method: str, body: bytes, kind: str = "application/json") -> Message:
    """One request to the Rasa API (smoke_test's client); ValueError when Rasa refuses it."""
    status, answer, headers = http_request(url, body, 3600, method, kind)
    if status >= 300:
        raise ValueError(f"Rasa refused it (HTTP {status}): {answer.decode(errors='replace')[:2000]}")
    return headers


def folders(has_actions: bool) -> list[Path]:
    """The folders to watch. Folders, not files: editors that save by renaming a new file over the
    old one would end a file's watch. Subfolders created later are watched after a restart."""
    trees = [ROOT / "data", ROOT / "domain"] + ([ROOT / "actions"] if has_actions else [])
    subfolders = [path for tree in trees for path in [tree, *tree.rglob("*")] if path.is_dir()]
    return [ROOT, ROOT / "config", *(path for path in subfolders if "__pycache__" not in path.parts)]


def watched(path: Path) -> bool:
    """domain.yml, config/config.yml, and the YAML, Markdown and Python files under data/, domain/, actions/."""
    if path in (ROOT / "domain.yml", ROOT / "config" / "config.yml"):
        return True
    return path.relative_to(ROOT).parts[0] in ("data", "domain", "actions") and path.suffix in SUFFIXES


def has_current_model() -> bool:
    """Is there a model in models/ newer than every file it is trained from?"""
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    newest_input = max((p.stat().st_mtime for w in WATCHED for p in [w, *w.rglob("*")] if p.is_file()), default=0)
    return bool(models) and models[-1].stat().st_mtime > newest_input


def retrain(api: str, token: str) -> str:
    """Check, train in the server, load. Returns a short report, or raises ValueError with why not."""
    problems = check_bot.check_bot(ROOT)
    if problems:
        raise ValueError("\n".join(map(str, problems)))
    start = time.monotonic()
    try:
        headers = call(f"{api}/model/train?token={token}&save_to_default_model_directory=true",
                       "POST", training_payload(), "application/x-yaml")  # fmt: skip
        trained = time.monotonic()
        model = f"models/{headers['filename']}"
        call(f"{api}/model?token={token}", "PUT", json.dumps({"model_file": model}).encode())
    except (OSError, yaml.YAMLError, SmokeError) as error:
        raise ValueError(f"{type(error).__name__}: {error}") from error
    return f"trained in {trained - start:.1f} s, loaded in {time.monotonic() - trained:.1f} s ({model})"


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group (the server and anything it spawned), SIGKILL after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # one line per event, also through a pipe
    sys.path.append(str(ROOT / ".local" / "dev"))  # `make dev-docker` installs it there; the image's packages win
    try:
        from watchfiles import watch
    except ImportError:
        sys.exit("ERROR: watchfiles is missing. Fix: make venv (it is pinned in requirements/).")
    env = dict(os.environ, RASA_HOST=args.host, SANIC_HOST=args.host, RASA_TELEMETRY_ENABLED="false")
    env.update(settings((ROOT / ".env").read_text(encoding="utf-8")) if (ROOT / ".env").is_file() else {})
    token, api = env.get("RASA_AUTH_TOKEN", "change-me"), f"http://127.0.0.1:{args.port}"
    if token == "change-me":
        sys.exit("ERROR: no RASA_AUTH_TOKEN in .env. Fix: make .env")
    # Conversations stay in memory while developing; the action server runs here, not in Docker.
    has_actions = (ROOT / "actions").is_dir()
    endpoints = {"action_endpoint": {"url": f"http://127.0.0.1:{args.actions_port}/webhook"}} if has_actions else {}
    LOG.parent.mkdir(exist_ok=True)
    (ROOT / ".rasa" / "dev-endpoints.yml").write_text(yaml.safe_dump(endpoints))
    log = open(LOG, "ab")  # noqa: SIM115 (open for the whole session)
    argv = {"rasa": ["scripts/rasa_run.py", "run", "--enable-api", "-p", str(args.port), "--endpoints",
                     ".rasa/dev-endpoints.yml", "--credentials", "config/credentials.yml"],
            "actions": ["-m", "rasa_sdk", "-p", str(args.actions_port), "--actions", "actions"]}  # fmt: skip

    def start(name: str) -> subprocess.Popen:  # its own process group, so stop() gets all it spawns
        return subprocess.Popen([sys.executable, *argv[name]], cwd=ROOT, env=env, stdout=log, stderr=log,
                                start_new_session=True)  # fmt: skip

    servers = {name: start(name) for name in argv if name == "rasa" or has_actions}
    try:
        print(f"Starting Rasa (log: {LOG.relative_to(ROOT)}) ...")
        while servers["rasa"].poll() is None:
            try:
                http_request(f"{api}/", timeout=3)
                break
            except SmokeError:
                time.sleep(0.3)
        else:
            sys.exit(f"ERROR: rasa exited {servers['rasa'].returncode}; see {LOG.relative_to(ROOT)}")
        if not has_current_model():
            try:
                print(f"Training the current files: {retrain(api, token)}")
            except ValueError as error:
                print(f"ERROR: the bot does not train yet (fix it and save):\n{error}")
        print(f"Talk to it: POST {api}/webhooks/rest/webhook (make smoke RASA_URL={api}). Watching for saves.")
        for changes in watch(*folders(has_actions), watch_filter=lambda _, path: watched(Path(path)), recursive=False):
            changed = sorted({Path(p).relative_to(ROOT).as_posix() for _, p in changes})
            if actions := [p for p in changed if p.startswith("actions/")]:
                stop(servers["actions"])
                servers["actions"] = start("actions")
                print(f"{', '.join(actions)}: action server restarted")
            if changed := [p for p in changed if p not in actions]:
                try:
                    print(f"{', '.join(changed)}: {retrain(api, token)}")
                except ValueError as error:
                    print(f"ERROR: {', '.join(changed)}: the last good model keeps serving.\n{error}")
    except KeyboardInterrupt:
        print("Stopping.")
    finally:
        for process in servers.values():
            stop(process)
    return 0


if __name__ == "__main__":
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or `kill`: stop cleanly, even if started in the background
        signal.signal(sig, signal.default_int_handler)
    sys.exit(main())

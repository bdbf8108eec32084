#!/usr/bin/env python3
"""`make dev`: one Rasa server that retrains in-process on every save.

Starts `rasa run --enable-api` on 127.0.0.1 (and the action server if there is `actions/`),
trains the current files inside that server when no model is newer than them, then watches what
RETRAIN and RESTART name: a save of a training file is checked (scripts/check_bot), trained
in the running server (POST /model/train) and loaded (PUT /model); a save in actions/ restarts
the action server. A bad save is reported and the last good model keeps answering; the checker's
warnings are printed and the save trains. Ctrl-C stops everything it started. On Rasa 3.x, a
pipeline with DIET, TED or ResponseSelector fine-tunes the last model when a save keeps its labels
(scripts/finetune.py), else trains from scratch; each line says which and why. A save of
config/config.yml, or --from-scratch, always trains from scratch.

    python scripts/dev.py [--port 5005] [--actions-port 5055] [--host 127.0.0.1]
                          [--epoch-fraction 0.2 | --from-scratch]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bot_files
import check_bot
import finetune
import process_group
import rasa_http
import yaml
from generate_env import settings

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / ".rasa" / "dev.log"


@dataclass(frozen=True)
class Watched:
    """Files that make dev watches: some files by name, and files with some suffixes in some folders."""

    files: tuple[str, ...]
    folders: tuple[str, ...]
    suffixes: tuple[str, ...]
    effect: str  # what a save of one of them does

    def covers(self, relative: str) -> bool:
        """Is this path (relative to the bot, with /) one of them? Deleted files too."""
        parts = relative.split("/")
        return relative in self.files or (parts[0] in self.folders and relative.endswith(self.suffixes))

    def paths(self) -> list[Path]:
        """The files that exist now, sorted."""
        found = [ROOT / name for name in self.files] + [p for f in self.folders for p in (ROOT / f).rglob("*")]
        return sorted(p for p in found if p.is_file() and self.covers(p.relative_to(ROOT).as_posix()))

    def __str__(self) -> str:
        """e.g. "data/, domain/ (.yml .md), domain.yml: retrain the model"."""
        folders = f"{', '.join(f'{f}/' for f in self.folders)} ({' '.join(self.suffixes)})"
        return f"{', '.join([folders, *self.files])}: {self.effect}"


# The one definition of what is watched: the watcher, has_current_model, the messages and the
# bot's README follow it (tests/test_dev_script.py holds the README to it).
RETRAIN = Watched(
    ("domain.yml", "config/config.yml"), ("data", "domain"), (".yml", ".yaml", ".md"), "retrain the model"
)
RESTART = Watched((), ("actions",), (".py",), "restart the action server")


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


def training_parts() -> tuple[dict, dict, list[dict]]:
    """(config, domain, data files) as Rasa reads them."""
    domain = bot_files.read_domain(ROOT, yaml.safe_load)  # the first file wins, as in Rasa
    data = [as_yaml(path) for path in RETRAIN.paths() if path.relative_to(ROOT).parts[0] == "data"]
    return as_yaml(ROOT / "config" / "config.yml"), domain, data


def training_payload(config: dict, domain: dict, data: list[dict]) -> bytes:
    """config + domain + all training data as one YAML document (what POST /model/train reads)."""
    merged: dict = {}
    for part in [config, domain, *data]:
        for key, value in part.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return yaml.safe_dump(merged, allow_unicode=True, sort_keys=False).encode()


def folders(watched: list[Watched]) -> list[Path]:
    """The folders to watch. Folders, not files: editors that save by renaming a new file over the
    old one would end a file's watch. Subfolders created later are watched after a restart."""
    named = {(ROOT / name).parent for w in watched for name in w.files}
    trees = [ROOT / folder for w in watched for folder in w.folders]
    subfolders = [path for tree in trees for path in [tree, *tree.rglob("*")] if path.is_dir()]
    return sorted(named | {path for path in subfolders if "__pycache__" not in path.parts})


def has_current_model() -> bool:
    """Is there a model in models/ newer than every file it is trained from?"""
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    newest_input = max((p.stat().st_mtime for p in RETRAIN.paths()), default=0)
    return bool(models) and models[-1].stat().st_mtime > newest_input


def newest_model() -> finetune.Served:
    """The model `rasa run` loads at start when it is newer than the files: those are its inputs."""
    if not has_current_model():
        return finetune.Served()
    newest = max((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    served = finetune.Served(f"models/{newest.name}")
    try:
        served.labels = finetune.labels(*training_parts())
    except (OSError, yaml.YAMLError, ValueError):
        pass  # the first good save trains from scratch
    return served


def retrain(api: str, token: str, served: finetune.Served, saved: list[str] = ()) -> str:
    """Check, train in the server (fine-tune when the labels allow), load; `served` follows.
    Returns a short report, or raises ValueError with why not."""
    problems = check_bot.check_bot(ROOT)
    if check_bot.errors(problems):
        raise ValueError("\n".join(map(str, problems)))
    advice = "".join(f"\n{problem}" for problem in problems)  # warnings: `make check` passes them, so does this
    start = time.monotonic()
    try:
        parts = training_parts()
        labels = finetune.labels(*parts)
        tunes = served.epoch_fraction and finetune.fine_tunable(parts[0])
        why = finetune.why_from_scratch(served, labels, saved) if tunes else ""
        model, done, why = finetune.train(api, token, training_payload(*parts), served, why)
        trained = time.monotonic()
        rasa_http.load(api, token, model)
    except (OSError, yaml.YAMLError, rasa_http.RasaHTTPError) as error:
        raise ValueError(f"{type(error).__name__}: {error}") from error
    served.follow(model, labels, tuned=done == "fine-tuned")
    return f"{done} in {trained - start:.1f} s{why}, loaded in {time.monotonic() - trained:.1f} s ({model}){advice}"


def reload_on_saves(
    watch, api: str, token: str, served: finetune.Served, restart_actions: Callable[[], None] | None
) -> None:
    """Retrain on each save of a training file, restart_actions() on each save in actions/."""
    watched = [RETRAIN, RESTART] if restart_actions else [RETRAIN]
    print(f"Watching for saves: {'; '.join(map(str, watched))}.")

    def covered(_, path: str) -> bool:
        return any(w.covers(Path(path).relative_to(ROOT).as_posix()) for w in watched)

    for changes in watch(*folders(watched), watch_filter=covered, recursive=False):
        changed = sorted({Path(p).relative_to(ROOT).as_posix() for _, p in changes})
        if restart_actions and (actions := [p for p in changed if RESTART.covers(p)]):
            restart_actions()
            print(f"{', '.join(actions)}: action server restarted")
        if training := [p for p in changed if RETRAIN.covers(p)]:
            try:
                print(f"{', '.join(training)}: {retrain(api, token, served, training)}")
            except ValueError as error:
                print(f"ERROR: {', '.join(training)}: the last good model keeps serving.\n{error}")


def epoch_fraction(text: str) -> float:
    """argparse type: a number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0 and at most 1")
    return value


def rasa_major() -> int:
    try:
        return int(importlib.metadata.version("rasa").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--epoch-fraction", type=epoch_fraction, default=0.2,
                        help="fine-tune for this share of the config's epochs (default: %(default)s)")  # fmt: skip
    parser.add_argument("--from-scratch", action="store_true", help="never fine-tune: every save trains from scratch")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # one line per event, also through a pipe
    sys.path.append(str(ROOT / ".local" / "dev"))  # `make dev-docker` installs it there; the image's packages win
    try:
        from watchfiles import watch
    except ImportError:
        sys.exit("ERROR: watchfiles is missing. Fix: make venv (it is pinned in requirements/).")
    env = dict(os.environ, RASA_HOST=args.host, SANIC_HOST=args.host, RASA_TELEMETRY_ENABLED="false")
    fraction = 0.0 if args.from_scratch or rasa_major() < 3 else args.epoch_fraction  # 2.x: as it always did
    if fraction:
        env["RASA_DEV_FINETUNE"] = "1"  # rasa_run.py: POST /model/train may fine-tune
    env.update(settings((ROOT / ".env").read_text(encoding="utf-8")) if (ROOT / ".env").is_file() else {})
    token, api = env.get("RASA_AUTH_TOKEN", "change-me"), f"http://127.0.0.1:{args.port}"
    if token == "change-me":
        sys.exit("ERROR: no RASA_AUTH_TOKEN in .env. Fix: make .env")
    # Conversations stay in memory while developing; the action server runs here, not in Docker.
    has_actions = (ROOT / "actions").is_dir()
    endpoints = {"action_endpoint": {"url": f"http://127.0.0.1:{args.actions_port}/webhook"}} if has_actions else {}
    LOG.parent.mkdir(exist_ok=True)
    (ROOT / ".rasa" / "dev-endpoints.yml").write_text(yaml.safe_dump(endpoints))
    log = open(LOG, "ab")
    argv = {"rasa": ["scripts/rasa_run.py", "run", "--enable-api", "-p", str(args.port), "--endpoints",
                     ".rasa/dev-endpoints.yml", "--credentials", "config/credentials.yml"],
            "actions": ["-m", "rasa_sdk", "-p", str(args.actions_port), "--actions", "actions"]}  # fmt: skip

    def start(name: str) -> subprocess.Popen:  # its own process group: stop() gets all it spawns
        return process_group.start([sys.executable, *argv[name]], cwd=ROOT, env=env, output=log)

    servers = {name: start(name) for name in argv if name == "rasa" or has_actions}

    def restart_actions() -> None:
        process_group.stop(servers["actions"])
        servers["actions"] = start("actions")

    try:
        print(f"Starting Rasa (log: {LOG.relative_to(ROOT)}) ...")
        try:
            rasa_http.wait_until_up(api, math.inf, alive=lambda: servers["rasa"].poll() is None)
        except rasa_http.RasaHTTPError:
            sys.exit(f"ERROR: rasa exited {servers['rasa'].poll()}; see {LOG.relative_to(ROOT)}")
        served = newest_model()
        served.epoch_fraction = fraction
        if not served.model:
            try:
                print(f"Training the current files: {retrain(api, token, served)}")
            except ValueError as error:
                print(f"ERROR: the bot does not train yet (fix it and save):\n{error}")
        print(f"Talk to it: POST {api}/webhooks/rest/webhook (make smoke RASA_URL={api}).")
        reload_on_saves(watch, api, token, served, restart_actions if has_actions else None)
    except KeyboardInterrupt:
        print("Stopping.")
    finally:
        process_group.stop(*servers.values())
    return 0


if __name__ == "__main__":
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or `kill`: stop cleanly, even if started in the background
        signal.signal(sig, signal.default_int_handler)
    sys.exit(main())

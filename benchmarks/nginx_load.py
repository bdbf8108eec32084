"""Load through the `web` service's nginx, on the Docker sandbox: `python benchmarks/run.py load`.

Per setup (a baked bot and its number of Rasa replicas), `make train` once and `make up
REPLICAS=n`, then per number of concurrent users (`--users`), `--runs` runs of `--conversations`
conversations: each user holds one conversation after the other, every turn of the bot's own sad
path story over REST through nginx (http://127.0.0.1:8080/webhooks/rest/webhook), and every reply
is checked as the smoke test checks it. Figures per run: requests/s, p50/p95/p99 latency, errors
(no answer, an HTTP error or a wrong reply), events lost (user messages the tracker store does not
hold afterwards, read back through each conversation's tracker on Rasa's API), and the Rasa
containers' memory (`docker stats`) at the end.

All the load comes from this machine, one client address: the bot's per-client limits
(web/nginx.conf: 10 requests/s, 20 connections) would answer most of it with 429. The benchmark's
bake drops those two lines, and says so; real users come from many addresses. The load generator
shares the machine's 2 cores with Rasa, nginx and the database.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shlex
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import rasa_http
import smoke_test
from harness.bots import bake
from harness.processes import http_json

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "scripts" / "docker-sandbox"
WEB_URL = "http://127.0.0.1:8080"  # the web service's nginx
API_URL = "http://127.0.0.1:5005"  # one Rasa replica's API (they share the store)
SETUPS = {"sqlite-1": ("sqlite", 1), "postgres-1": ("postgres", 1), "postgres-2": ("postgres", 2)}
LIMITS = re.compile(r"^\s*limit_(req|conn) (zone=per_client|connections_per_client)\b.*$", re.MULTILINE)


def docker_env() -> dict:
    """The environment that points docker at the sandbox, which must be up."""
    printed = subprocess.run(["bash", str(SANDBOX), "env"], capture_output=True, text=True, check=False)
    if printed.returncode != 0:
        raise SystemExit(
            "ERROR: the Docker sandbox is not running: DOCKER_SANDBOX_RASA_LINES=3.6 bash scripts/docker-sandbox up"
        )
    env = dict(os.environ)
    for line in printed.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            key, _, value = words[1].partition("=")
            env[key] = value
    return env


def run(bot: Path, env: dict, *argv: str, timeout: float = 1800) -> str:
    done = subprocess.run(argv, cwd=bot, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        output = done.stdout[-2000:] + done.stderr[-2000:]
        raise SystemExit(f"ERROR: `{' '.join(argv)}` exited {done.returncode}:\n{output}")
    return done.stdout


def load_bot(work: Path, store: str, env: dict) -> Path:
    """Bake the default bot with this store, drop the per-client limits (see above), train it."""
    bot = bake({"project_name": f"load {store}", "tracker_store": store}, work / store)
    conf = bot / "web" / "nginx.conf"
    text, count = LIMITS.subn("", conf.read_text(encoding="utf-8"))
    if count != 2:
        raise SystemExit(f"ERROR: expected the 2 per-client limit lines in {conf}, found {count}")
    conf.write_text(text, encoding="utf-8")
    run(bot, env, "make", ".env")
    run(bot, env, "make", "train")
    return bot


def conversation(turns, domain, jokes) -> list[tuple[float, str, str]]:
    """One conversation through nginx: (seconds, problem or "", sender) per turn."""
    sender, results = f"load-{uuid.uuid4().hex[:12]}", []
    for turn in turns:
        start = time.perf_counter()
        try:
            replies = rasa_http.send(WEB_URL, sender, turn.message, timeout=60)
            problem = smoke_test.check_turn(turn, replies, domain, jokes)
        except rasa_http.RasaHTTPError as error:
            problem = str(error)
        results.append((time.perf_counter() - start, problem, sender))
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def events_lost(token: str, senders: set[str], turns_each: int) -> int:
    lost = 0
    for sender in senders:
        status, body = http_json(f"{API_URL}/conversations/{sender}/tracker?token={token}", timeout=60)
        held = sum(e["event"] == "user" for e in body["events"]) if status == 200 and isinstance(body, dict) else 0
        lost += turns_each - held
    return lost


def rasa_memory_mib(bot: Path, env: dict) -> float:
    stats = run(bot, env, "docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}")
    total = 0.0
    for name, usage in (line.split(" ", 1) for line in stats.splitlines() if " " in line):
        if re.search(r"-rasa-\d+$", name):
            number, unit = re.match(r"([\d.]+)\s*([KMG]i?B)", usage).groups()
            total += float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "kB": 1 / 1024, "MB": 1, "GB": 1024}[unit]
    return round(total)


def one_run(bot: Path, env: dict, token: str, users: int, conversations: int) -> dict:
    turns = smoke_test.conversations(bot)["sad path"]
    domain, jokes = smoke_test.load_domain(bot), smoke_test.local_jokes(bot)
    lock, results = threading.Lock(), []

    def user(count: int) -> None:
        for _ in range(count):
            done = conversation(turns, domain, jokes)
            with lock:
                results.extend(done)

    shares = [conversations // users + (i < conversations % users) for i in range(users)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(users) as pool:
        list(pool.map(user, shares))
    elapsed = time.perf_counter() - start
    latencies = [seconds for seconds, _, _ in results]
    errors = [problem for _, problem, _ in results if problem]
    return {
        "requests": len(results),
        "requests_per_s": round(len(results) / elapsed, 1),
        "p50_s": round(percentile(latencies, 0.50), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "p99_s": round(percentile(latencies, 0.99), 3),
        "errors": len(errors),
        "first_error": errors[0][:300] if errors else "",
        "events_lost": events_lost(token, {sender for _, _, sender in results}, len(turns)),
        "rasa_memory_mib": rasa_memory_mib(bot, env),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def load(args, save) -> dict:
    """Each finished run is saved at once: an interrupted benchmark keeps its runs."""
    env = docker_env()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    users = [int(n) for n in args.users.split(",")]
    figures: dict = {"conversations": args.conversations, "runs_per_point": args.runs, "setups": {}}
    bots: dict[str, Path] = {}
    try:
        for name in args.setups.split(","):
            store, replicas = SETUPS[name]
            if store not in bots:
                bots[store] = load_bot(work, store, env)
            bot = bots[store]
            run(bot, env, "make", "up", f"REPLICAS={replicas}", timeout=900)
            rasa_http.wait_until_up(API_URL, 120)
            settings = (bot / ".env").read_text(encoding="utf-8").splitlines()
            token = dict(line.split("=", 1) for line in settings if "=" in line)["RASA_AUTH_TOKEN"]
            points = figures["setups"][name] = {}
            for n in users:
                points[str(n)] = []
                for _ in range(args.runs):
                    points[str(n)].append(one_run(bot, env, token, n, args.conversations))
                    print(f"{name} {n} users: {points[str(n)][-1]}", flush=True)
                    save(figures)
            run(bot, env, "docker", "compose", "down", "-v", timeout=600)
    finally:
        for bot in bots.values():
            subprocess.run(["docker", "compose", "down", "-v"], cwd=bot, env=env, capture_output=True, check=False)
    return figures


def load_table(result: dict) -> str:
    """Medians per setup and number of users."""
    rows = []
    for name, points in result["setups"].items():
        for users, runs in points.items():
            numbers = [key for key, value in runs[0].items() if isinstance(value, float | int)]
            med = {key: statistics.median(r[key] for r in runs) for key in numbers}
            loads = [r["load_avg"][0] for r in runs]  # 1-minute load average at the end of each run
            rows.append(
                f"| {name} | {users} | {med['requests_per_s']:g} | {med['p50_s']:g} / {med['p95_s']:g} / "
                f"{med['p99_s']:g} | {sum(r['errors'] for r in runs)} | {sum(r['events_lost'] for r in runs)} | "
                f"{med['rasa_memory_mib']:g} | {min(loads):g}–{max(loads):g} |"
            )
    head = ["setup (store-replicas)", "users", "requests/s", "p50 / p95 / p99 (s)", "errors (all runs)",
            "events lost (all runs)", "Rasa memory (MiB)", "load average"]  # fmt: skip
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *rows])

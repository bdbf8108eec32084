#!/usr/bin/env python3
"""Benchmarks of the template: figures, never asserted (nothing here is a test).

    python benchmarks/run.py scaffold [--runs 3] [--dev-pipelines light,diet]   rasa init vs the template
    python benchmarks/run.py nlu [--language en] [--pipelines light,diet,spacy,rasa-default]
    python benchmarks/run.py finetune [--runs 3]   DIET: make dev's edit -> answer, fine-tuned vs from scratch
    python benchmarks/run.py load [--users 10,50,200]   REST through nginx, 1 and 2 Rasa replicas (Docker sandbox)
    python benchmarks/run.py report       # README tables from the latest files in benchmarks/results/

Run with the template's dev venv (scripts/run_tests.sh builds it; it has cookiecutter and psutil).
The pinned Rasa venvs come from tests/harness/venvs.py (built once, cached). Each run writes a dated
JSON file to benchmarks/results/; `report` rewrites the marked sections of benchmarks/README.md and
of the top-level README.md from them, so the two cannot disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT / "{{cookiecutter.project_slug}}" / "scripts")]

from nginx_load import SETUPS, load, load_table  # noqa: E402

import process_group  # noqa: E402
import rasa_http  # noqa: E402
from harness.bots import UNSEEN_GREETING, RasaProject, bake, prepare  # noqa: E402
from harness.processes import LOCAL, free_port  # noqa: E402
from harness.rasa_servers import action_server  # noqa: E402
from harness.stores import Store, local_endpoints  # noqa: E402
from harness.venvs import ToolchainError, rasa_venv  # noqa: E402

TEMPLATE_HELLO = "Hi, how is it going?"  # the template's utter_greet
RASA_INIT_HELLO = "Hey! How are you?"  # rasa init's utter_greet
WAIT = 900.0  # seconds before a step that never happens is an error
REJECTED = {"nlu_fallback", "out_of_scope"}  # both are answered with utter_default


# --- measuring ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "system": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def timed_run(argv: list[str], cwd: Path, env: dict, log: Path) -> tuple[float, float]:
    """Run to the end; (wall seconds, peak RSS MiB of the process and its waited children). Fails loudly."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def answer(url: str, message: str, expected: str, process: subprocess.Popen, peak: list[float] | None = None) -> float:
    """Poll every 0.1 s until `message` gets `expected`; the perf_counter time of that answer."""
    deadline = time.perf_counter() + WAIT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited {process.returncode} before answering {message!r}")
        if peak is not None:
            peak.append(tree_rss_mib(process.pid))
        try:
            if expected in rasa_http.send(url, "bench", message, timeout=10):
                return time.perf_counter()
        except rasa_http.RasaHTTPError:  # not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer {message!r} with {expected!r} within {WAIT} s")


def latency(url: str, requests: int, expected: str) -> dict:
    """N sequential "hello"s, each from a new sender (a new conversation)."""
    times, wrong = [], 0
    for i in range(requests):
        start = time.perf_counter()
        wrong += expected not in rasa_http.send(url, f"load-{i}", "hello")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "requests": requests,
        "wrong": wrong,
        "p50_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "rps": round(requests / sum(times) * 1000, 1),
    }


def start(argv: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """argv in a process group of its own (the bot's scripts/process_group.py), its output in log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return process_group.start(argv, cwd=cwd, env=env, output=out)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the process group we started, SIGKILL it after 30 s. `make dev` stops the servers it
    started in groups of their own (dev.py, on SIGINT)."""
    left = process_group.stop(process, sig=sig, timeout=30)
    if left:
        raise RuntimeError(f"the process group of {left} outlived SIGKILL")


# --- rasa init vs the template (issue figures: scaffold, serving, make dev) --------------------------


def rasa_init(work: Path, venv: Path, requests: int) -> dict:
    """`rasa init --no-prompt` (scaffold + training), then `rasa run` until "hello" is answered."""
    bot = RasaProject(path=work / "project", venv=venv, scratch=work / "scratch", answers={})
    bot.path.mkdir(parents=True)
    clock = time.perf_counter()
    init_s, _ = timed_run(
        [str(venv / "bin" / "rasa"), "init", "--no-prompt", "--init-dir", str(bot.path)],
        bot.path,
        bot.run_env("init"),
        bot.scratch / "init.log",
    )
    port = free_port()
    argv = [str(venv / "bin" / "rasa"), "run", "-i", LOCAL, "-p", str(port), "--enable-api"]
    server, run_start = start(argv, bot.path, bot.run_env("run"), bot.scratch / "run.log"), time.perf_counter()
    try:
        peak: list[float] = []
        answered = answer(f"http://{LOCAL}:{port}", "hello", RASA_INIT_HELLO, server, peak)
        figures = {
            "scaffold_s": init_s,
            "run_to_answer_s": answered - run_start,
            "to_answer_s": answered - clock,
            "serving": latency(f"http://{LOCAL}:{port}", requests, RASA_INIT_HELLO),
        }
        figures["server_rss_mib"] = max(peak + [tree_rss_mib(server.pid)])
    finally:
        stop(server)
    figures["model_mb"] = sum(p.stat().st_size for p in (bot.path / "models").glob("*.tar.gz")) / 1e6
    return figures


def template_classic(work: Path, requests: int) -> dict:
    """cookiecutter, `rasa train`, action server + `rasa run` (as the README's local steps) until "hello"."""
    clock = time.perf_counter()
    bot = prepare({}, work)
    bake_s = time.perf_counter() - clock
    train_s, train_mib = timed_run(
        [str(bot.venv / "bin" / "rasa"), "train", "--config", "config/config.yml", "--out", "models"],
        bot.path,
        bot.run_env("train"),
        bot.scratch / "train.log",
    )
    (bot.path / "state").mkdir(exist_ok=True)
    with action_server(bot) as actions:
        endpoints, env = local_endpoints(bot, Store(kind="sqlite", bot=bot), action_url=actions.url + "/webhook")
        port = free_port()
        argv = [
            str(bot.venv / "bin" / "rasa"),
            "run",
            "-i",
            LOCAL,
            "-p",
            str(port),
            "--enable-api",
            "--endpoints",
            str(endpoints),
            "--credentials",
            "config/credentials.yml",
        ]
        server, run_start = start(argv, bot.path, bot.run_env("run", env), bot.scratch / "run.log"), time.perf_counter()
        try:
            peak: list[float] = []
            answered = answer(f"http://{LOCAL}:{port}", "hello", TEMPLATE_HELLO, server, peak)
            serving = latency(f"http://{LOCAL}:{port}", requests, TEMPLATE_HELLO)
            server_mib = max(peak + [tree_rss_mib(server.pid)])
        finally:
            stop(server)
    model_mb = sum(p.stat().st_size for p in (bot.path / "models").glob("*.tar.gz")) / 1e6
    return {
        "bake_s": bake_s,
        "train_s": train_s,
        "train_rss_mib": train_mib,
        "model_mb": model_mb,
        "run_to_answer_s": answered - run_start,
        "to_answer_s": answered - clock,
        "serving": serving,
        "server_rss_mib": server_mib,
    }


def make_dev(work: Path, pipeline: str) -> dict:
    """cookiecutter -> `make dev` -> first "hello"; then one NLU example added -> its new answer served."""
    clock = time.perf_counter()
    bot = prepare({"nlu_pipeline": pipeline}, work)
    port, actions_port = free_port(), free_port()
    dev = start(bot.make_dev(port, actions_port), bot.path, bot.run_env("dev"), bot.scratch / "dev.log")
    url, peak = f"http://{LOCAL}:{port}", []
    try:
        first = answer(url, "hello", TEMPLATE_HELLO, dev, peak)
        if rasa_http.send(url, "bench", UNSEEN_GREETING) == [TEMPLATE_HELLO]:
            raise RuntimeError(f"{UNSEEN_GREETING!r} is already a greeting: the edit would prove nothing")
        nlu = bot.path / "data" / "nlu.yml"
        text = nlu.read_text()
        edited = time.perf_counter()
        nlu.write_text(text.replace("      - hello\n", f"      - hello\n      - {UNSEEN_GREETING}\n", 1))
        served = answer(url, UNSEEN_GREETING, TEMPLATE_HELLO, dev, peak)
    finally:
        stop(dev, signal.SIGINT)  # what Ctrl-C does
    lines = [line for line in (bot.scratch / "dev.log").read_text().splitlines() if ": trained in" in line]
    return {
        "to_answer_s": first - clock,
        "edit_to_answer_s": served - edited,
        "dev_rss_mib": max(peak),
        "dev_output": lines,
    }


# Greetings of words the bake's DIET model knows (a fine-tune keeps its vocabulary); those it already
# answers as greetings are skipped (DIET differs from one training to the next).
KNOWN_WORDS_GREETINGS = ["call me friend", "good day to you bot", "hey lights", "good tonight", "hello capital",
                         "hi mount everest", "hi cook", "good news today"]  # fmt: skip


def dev_edits(work: Path, pipeline: str, dev_args: str, runs: int) -> list[dict]:
    """A bake in `make dev DEV_ARGS=dev_args`; `runs` saves, each adding one known-words greeting
    to data/nlu.yml: the time from the write to make dev's line, and to the new answer."""
    bot = prepare({"nlu_pipeline": pipeline, "custom_actions": False}, work)
    port = free_port()
    log = bot.scratch / "dev.log"
    dev = start(bot.make_dev(port, free_port(), dev_args), bot.path, bot.run_env("dev"), log)
    url, figures = f"http://{LOCAL}:{port}", []
    try:
        answer(url, "hello", TEMPLATE_HELLO, dev)
        candidates = iter(KNOWN_WORDS_GREETINGS)
        while len(figures) < runs:
            text = next(candidates)
            if rasa_http.send(url, "bench", text) == [TEMPLATE_HELLO]:
                continue
            nlu = bot.path / "data" / "nlu.yml"
            before = log.read_text().count("data/nlu.yml: ")
            edited = time.perf_counter()
            nlu.write_text(nlu.read_text().replace("      - hello\n", f"      - hello\n      - {text}\n", 1))
            while log.read_text().count("data/nlu.yml: ") == before:
                if dev.poll() is not None or time.perf_counter() - edited > WAIT:
                    raise RuntimeError(f"make dev printed no line for the edit:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            printed = time.perf_counter()
            line = [x for x in log.read_text().splitlines() if x.startswith("data/nlu.yml: ")][-1]
            learned = rasa_http.send(url, "bench", text) == [TEMPLATE_HELLO]
            figures.append({"example": text, "line": line, "edit_to_line_s": printed - edited,
                            "edit_to_answer_s": time.perf_counter() - edited, "learned": learned})  # fmt: skip
            print(f"{dev_args or 'default'}: {json.dumps(figures[-1])}", flush=True)
    finally:
        stop(dev, signal.SIGINT)
    return figures


def finetune(args) -> dict:
    """make dev as it is (DIET: fine-tunes) vs --from-scratch (as before), one session each."""
    work = Path(tempfile.mkdtemp(prefix="bench-finetune-"))
    modes = {"make_dev": "", "from_scratch": "--from-scratch"}
    result = {"pipeline": args.pipeline}
    result |= {mode: dev_edits(work / mode, args.pipeline, modes[mode], args.runs) for mode in args.modes.split(",")}
    shutil.rmtree(work, ignore_errors=True)
    return result


def scaffold(args, save) -> dict:
    """Each finished run is saved at once (save(figures)): an interrupted benchmark keeps its runs."""
    work = Path(tempfile.mkdtemp(prefix="bench-scaffold-"))
    venv = rasa_venv(bake({}, work / "probe"))
    runs = []
    for n in range(1, args.runs + 1):
        run = {
            "rasa_init": rasa_init(work / f"{n}-init", venv, args.requests),
            "template": template_classic(work / f"{n}-template", args.requests),
            "make_dev": {p: make_dev(work / f"{n}-dev-{p}", p) for p in args.dev_pipelines.split(",")},
        }
        print(f"run {n}: {json.dumps(run)}", flush=True)
        runs.append(run)
        save({"runs": runs, "requests": args.requests})
    shutil.rmtree(work, ignore_errors=True)
    return {"runs": runs, "requests": args.requests}


# --- NLU accuracy on held-out paraphrases -------------------------------------------------------------


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def paraphrases(language: str, nlu_file: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """([(text, intent)], [out-of-scope text]) from paraphrases/<language>.yml; none may be a training example."""
    data = yaml.safe_load((HERE / "paraphrases" / f"{language}.yml").read_text(encoding="utf-8"))
    in_scope = [(text, intent) for intent, texts in data["in_scope"].items() for text in texts]
    training = {
        normalise(line.strip()[2:])
        for block in yaml.safe_load(nlu_file.read_text())["nlu"]
        for line in block.get("examples", "").splitlines()
        if line.strip().startswith("- ")
    }
    leaked = [t for t in [t for t, _ in in_scope] + data["out_of_scope"] if normalise(t) in training]
    if leaked:
        raise SystemExit(f"ERROR: paraphrases that are training examples of {nlu_file}: {leaked}")
    return in_scope, list(data["out_of_scope"])


def cross_validation(bot: RasaProject, config: str, env: dict, folds: int = 5) -> dict:
    """`rasa test nlu --cross-validation` on the training data: mean and spread of the test folds."""
    log = bot.scratch / "cross-validation.log"
    timed_run(
        [str(bot.venv / "bin" / "rasa"), "test", "nlu", "--nlu", "data/nlu.yml", "--config", config,
         "--cross-validation", "--folds", str(folds), "--out", str(bot.scratch / "cv"), "--no-plot"],
        bot.path, env, log,
    )  # fmt: skip
    found = dict(re.findall(r"test (Accuracy|F1-score): ([\d.]+ \([\d.]+\))", log.read_text()))
    if set(found) != {"Accuracy", "F1-score"}:
        raise RuntimeError(f"no test accuracy or F1 in {log}:\n{log.read_text()[-3000:]}")
    (accuracy, spread), (f1, _) = (found[k].replace("(", "").replace(")", "").split() for k in ("Accuracy", "F1-score"))
    return {"folds": folds, "accuracy": float(accuracy), "accuracy_std": float(spread), "f1": float(f1)}


ENTITY_LINES = ("  - name: CRFEntityExtractor\n", "  - name: EntitySynonymMapper\n")  # light's entity part


def nlu(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-nlu-"))
    rows = {}
    for name in args.pipelines.split(","):
        answers = {"nlu_pipeline": "light" if name in ("rasa-default", "light-no-entities") else name}
        if args.language != "en":
            answers["language"] = args.language
        bot = prepare(answers, work / name)
        config = "config/config.yml"
        if name == "rasa-default":  # what `rasa init` writes (its empty pipeline means Rasa's default_config.yml)
            config = str(next(bot.venv.glob("lib/python3*/site-packages/rasa/cli/initial_project/config.yml")))
        if name == "light-no-entities":  # light as it was before it learned entities
            text = (bot.path / config).read_text(encoding="utf-8")
            if any(text.count(line) != 1 for line in ENTITY_LINES):
                raise SystemExit(f"ERROR: light's config.yml no longer has exactly one of each of {ENTITY_LINES}")
            for line in ENTITY_LINES:
                text = text.replace(line, "")
            (bot.path / config).write_text(text, encoding="utf-8")
        in_scope, out_of_scope = paraphrases(args.language, bot.path / "data" / "nlu.yml")
        env = bot.run_env("train", {"RASA_CACHE_DIRECTORY": str(bot.scratch / "cache")})  # a real, uncached training
        train_s, train_mib = timed_run(
            [
                str(bot.venv / "bin" / "rasa"),
                "train",
                "nlu",
                "--config",
                config,
                "--nlu",
                "data/nlu.yml",
                "--out",
                "models",
                "--fixed-model-name",
                "nlu",
            ],
            bot.path,
            env,
            bot.scratch / "train.log",
        )
        texts = [t for t, _ in in_scope] + out_of_scope
        (bot.scratch / "texts.json").write_text(json.dumps(texts))
        timed_run(
            [
                str(bot.venv / "bin" / "python"),
                str(HERE / "parse.py"),
                "models/nlu.tar.gz",
                str(bot.scratch / "texts.json"),
                str(bot.scratch / "parsed.json"),
            ],
            bot.path,
            bot.run_env("parse"),
            bot.scratch / "parse.log",
        )
        got = dict(zip(texts, json.loads((bot.scratch / "parsed.json").read_text())))
        rows[name] = {
            "train_s": train_s,
            "train_rss_mib": train_mib,
            "model_kb": (bot.path / "models" / "nlu.tar.gz").stat().st_size / 1024,
            "in_scope_accuracy": sum(got[t] == i for t, i in in_scope) / len(in_scope),
            "out_of_scope_caught": sum(got[t] in REJECTED for t in out_of_scope) / len(out_of_scope),
            "false_rejects": sum(got[t] in REJECTED for t, _ in in_scope),
            "mistakes": [f"{t!r}: want {i}, got {got[t]}" for t, i in in_scope if got[t] != i]
            + [f"{t!r} (out of scope): got {got[t]}" for t in out_of_scope if got[t] not in REJECTED],
            "note": "small stand-in spaCy model, not the image's en_core_web_md" if name == "spacy" else "",
        }
        if name in args.cross_validation.split(","):
            rows[name]["cross_validation"] = cross_validation(bot, config, env)
        print(f"{name}: {rows[name]['in_scope_accuracy']:.1%} in scope, train {train_s:.1f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return {"language": args.language, "in_scope": len(in_scope), "out_of_scope": len(out_of_scope), "pipelines": rows}


# --- report: README tables from the latest result files ---------------------------------------------


def latest(kind: str) -> dict | None:
    files = sorted(RESULTS.glob(f"*-{kind}.json"))
    return json.loads(files[-1].read_text()) | {"file": files[-1].name} if files else None


def med(runs: list[dict], key: str, sub: str = "") -> float:
    return statistics.median(run[key][sub] if sub else run[key] for run in runs)


def size(kb: float) -> str:
    return f"{kb:.0f} KB" if kb < 1024 else f"{kb / 1024:.1f} MB"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def scaffold_table(result: dict) -> str:
    runs, m = result["runs"], result["machine"]
    init, tmpl = [r["rasa_init"] for r in runs], [r["template"] for r in runs]
    dev = {p: [r["make_dev"][p] for r in runs] for p in runs[0]["make_dev"]}
    # Side by side in each run, so the ratio is taken per run (same load), then the median.
    light = statistics.median(i["to_answer_s"] / d["to_answer_s"] for i, d in zip(init, dev.get("light", [])))

    def per_pipeline(key: str, unit: str) -> str:
        return " / ".join(f"{med(v, key):.{0 if unit == 'MiB' else 1}f} {unit} ({p})" for p, v in dev.items())

    def serving(runs: list[dict]) -> str:
        p50, p95, rps = (med(runs, "serving", key) for key in ("p50_ms", "p95_ms", "rps"))
        return f"{p50:.1f} / {p95:.1f} ms, {rps:.0f}"

    rows = [
        ["scaffold / bake", f"{med(init, 'scaffold_s'):.1f} s (with its training)", f"{med(tmpl, 'bake_s'):.2f} s"],
        [
            "`rasa train`",
            "(inside `rasa init`)",
            f"{med(tmpl, 'train_s'):.1f} s, {med(tmpl, 'train_rss_mib'):.0f} MiB peak",
        ],
        ["model", size(med(init, "model_mb") * 1000), size(med(tmpl, "model_mb") * 1000)],
        [
            '`rasa run` → first correct "hello"',
            f"{med(init, 'run_to_answer_s'):.1f} s",
            f"{med(tmpl, 'run_to_answer_s'):.1f} s",
        ],
        [
            "scaffold → first answer",
            f"{med(init, 'to_answer_s'):.1f} s",
            f"{med(tmpl, 'to_answer_s'):.1f} s (train, then run)",
        ],
        [
            "cookiecutter → first answer, `make dev` (target ≤ 20 s, ≥ 5× faster)",
            "",
            per_pipeline("to_answer_s", "s") + f"; light {light:.1f}× faster (per-run ratio)",
        ],
        [
            "edit one NLU example → new answer, `make dev` (target ≤ 3 s, light)",
            "",
            per_pipeline("edit_to_answer_s", "s"),
        ],
        ["memory of `make dev` (all its processes)", "", per_pipeline("dev_rss_mib", "MiB")],
        [f"{result['requests']} sequential requests: p50 / p95, req/s", serving(init), serving(tmpl)],
        ["server memory", f"{med(init, 'server_rss_mib'):.0f} MiB", f"{med(tmpl, 'server_rss_mib'):.0f} MiB"],
    ]
    source = (
        f"`benchmarks/results/{result['file']}`: median of {len(runs)} run(s) on {m['cpus']} CPUs "
        f"({m['cpu']}), {m['ram_gib']} GiB, load average {m['load_avg_at_start'][0]} at start, "
        f"{m['load_avg_at_end'][0]} at end (2 cores: above 2, other jobs slowed every figure)."
    )
    return table(["", "`rasa init`", "this template (default bake)"], rows) + "\n\n" + source


def finetune_table(results: list[dict]) -> str:
    """make dev's edit -> answer per pipeline and mode: the median of each mode's edits, per result file."""
    labels = {"make_dev": "`make dev`", "fine_tuned": "`make dev`", "from_scratch": "`--from-scratch`"}
    rows = []
    for result in results:
        m = result["machine"]
        for mode, edits in ((mode, result.get(mode)) for mode in labels):
            if not edits:
                continue
            answered = [e["edit_to_answer_s"] for e in edits]
            rows.append([
                f"{result.get('pipeline', 'diet')}, {labels[mode]}", f"{statistics.median(answered):.1f} s",
                ", ".join(f"{x:.1f}" for x in answered), f"{sum(e['learned'] for e in edits)} of {len(edits)}",
                f"{m['load_avg_at_start'][0]}–{m['load_avg_at_end'][0]}", f"`{result['file']}`",
            ])  # fmt: skip
    headers = ["pipeline, `make dev`", "edit one example → new answer (median)", "each edit (s)",
               "new example answered", "load average", "result file"]  # fmt: skip
    return table(headers, rows)


def nlu_table(result: dict) -> str:
    rows = [
        [
            n,
            f"{r['train_s']:.1f} s",
            f"{r['in_scope_accuracy']:.1%}",
            f"{r['out_of_scope_caught']:.0%}",
            str(r["false_rejects"]),
            size(r["model_kb"]),
            f"{r['train_rss_mib']:.0f} MiB",
            r["note"],
        ]
        for n, r in result["pipelines"].items()
    ]
    headers = [
        "pipeline",
        "`rasa train nlu`",
        "in-scope accuracy",
        "out-of-scope caught",
        "false rejects",
        "model",
        "train peak",
        "",
    ]
    return (
        f"Language `{result['language']}`: {result['in_scope']} held-out paraphrases and "
        f"{result['out_of_scope']} out-of-scope messages (`benchmarks/results/{result['file']}`; train times at load "
        f"average {result['machine']['load_avg_at_start'][0]}–{result['machine']['load_avg_at_end'][0]} on "
        f"{result['machine']['cpus']} CPUs; accuracy does not depend on load).\n\n" + table(headers, rows)
    )


def languages_table(results: list[dict]) -> str:
    """One row per language: the default pipeline against the others on the same held-out set."""

    spacy_models = json.loads((ROOT / "cookiecutter.json").read_text())["_pins"]["spacy_models"]

    def scores(result: dict, name: str) -> str:
        row = result["pipelines"].get(name)
        if row:
            return f"{row['in_scope_accuracy']:.1%} / {row['out_of_scope_caught']:.0%}"
        return "no spaCy image" if name == "spacy" and result["language"] not in spacy_models else "not measured"

    def cv(result: dict) -> str:
        row = result["pipelines"].get("light", {}).get("cross_validation")
        return f"{row['accuracy']:.3f} ± {row['accuracy_std']:.3f} ({row['f1']:.3f})" if row else "not measured"

    names = ["light", "diet", "spacy", "rasa-default"]
    rows = [[f"`{r['language']}`", *(scores(r, n) for n in names), cv(r), f"`{r['file']}`"] for r in results]
    headers = ["language", *(f"{n}: in scope / out of scope caught" for n in names)]
    return table([*headers, "light, 5-fold CV on the training data: accuracy (F1)", "result file"], rows)


def entities_table(results: list[dict]) -> str:
    """light with its entity extractor (as shipped) and without, per language, side by side per run."""
    rows = []
    for r in results:
        cells = [f"`{r['language']}`"]
        for name in ("light", "light-no-entities"):
            row = r["pipelines"].get(name)
            cells.append(f"{row['train_s']:.1f} s, {row['in_scope_accuracy']:.1%} / {row['out_of_scope_caught']:.0%}"
                         if row else "not measured")  # fmt: skip
        rows.append([*cells, f"`{r['file']}`"])
    headers = ["language", "light (CRFEntityExtractor): train, in scope / out of scope caught",
               "light without it: train, in scope / out of scope caught", "result file"]  # fmt: skip
    return table(headers, rows)


def tables() -> tuple[str, str]:
    """(the benchmarks README section, the top README's section)."""
    scaffold_result = latest("scaffold")
    measured = {p.stem.rsplit("-", 1)[1] for p in RESULTS.glob("*-nlu-*.json")}
    languages = [code for code in json.loads((ROOT / "cookiecutter.json").read_text())["language"] if code in measured]
    nlu_results = [latest(f"nlu-{lang}") for lang in languages]
    long = [scaffold_table(scaffold_result)] if scaffold_result else []
    finetunes = [json.loads(p.read_text()) | {"file": p.name} for p in sorted(RESULTS.glob("*-finetune.json"))[-3:]]
    if finetunes:
        long.append(finetune_table(finetunes))
    load_result = latest("load")
    if load_result:
        long.append(f"Load through nginx (`load`, {load_result['file']}):\n\n{load_table(load_result)}")
    entity_results = [r for r in (latest(f"entities-{lang}") for lang in languages) if r]
    if entity_results:
        intro = "light with and without its entity extractor (`nlu --pipelines light,light-no-entities`):"
        long.append(f"{intro}\n\n{entities_table(entity_results)}")
    if nlu_results:
        intro = "Per language, on its held-out set (`paraphrases/<language>.yml`):"
        long.append(f"{intro}\n\n{languages_table(nlu_results)}")
    short = long[:]
    long += [nlu_table(r) for r in nlu_results]
    return "\n\n".join(long), "\n\n".join(short)


def rewrite(path: Path, marker: str, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    begin, end = f"<!-- {marker}:begin (benchmarks/run.py report) -->", f"<!-- {marker}:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"ERROR: {path} has no {begin} ... {end} section to rewrite")
    head, rest = text.split(begin, 1)
    path.write_text(f"{head}{begin}\n{body}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scaffold", help="rasa init vs the template: scaffold, train, serve, make dev")
    p.add_argument("--runs", type=int, default=3, help="runs; the report shows medians (default: %(default)s)")
    p.add_argument("--requests", type=int, default=200, help="sequential requests per server (default: %(default)s)")
    p.add_argument("--dev-pipelines", default="light,diet", help="pipelines for make dev (default: %(default)s)")
    p = sub.add_parser("nlu", help="NLU accuracy per pipeline on held-out paraphrases")
    p.add_argument("--language", default="en", help="paraphrases/<language>.yml (default: %(default)s)")
    p.add_argument("--pipelines", default="light,diet,spacy,rasa-default",
                   help="(default: %(default)s; light-no-entities: light without its entity extractor)")  # fmt: skip
    p.add_argument("--cross-validation", default="light", help="pipelines also 5-fold cross-validated on the "
                   "training data, comma-separated or empty (default: %(default)s)")  # fmt: skip
    p = sub.add_parser("finetune", help="DIET make dev: edit -> answer, fine-tuned vs from scratch")
    p.add_argument("--runs", type=int, default=3, help="edits per mode (default: %(default)s)")
    p.add_argument("--modes", default="make_dev,from_scratch", help="(default: %(default)s)")
    p.add_argument("--pipeline", default="diet", help="(default: %(default)s)")
    p = sub.add_parser("load", help="REST through nginx: 10/50/200 users, SQLite and PostgreSQL, 1 and 2 replicas")
    p.add_argument("--setups", default=",".join(SETUPS), help="(default: %(default)s)")
    p.add_argument("--users", default="10,50,200", help="concurrent users (default: %(default)s)")
    p.add_argument("--conversations", type=int, default=200, help="per run (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="runs per point, medians shown (default: %(default)s)")
    sub.add_parser("report", help="rewrite the README tables from benchmarks/results/")
    args = parser.parse_args()
    if args.command == "report":
        section, short = tables()
        rewrite(HERE / "README.md", "results", section)
        rewrite(ROOT / "README.md", "benchmarks", short)
        return 0
    if args.command == "nlu" and not (HERE / "paraphrases" / f"{args.language}.yml").is_file():
        parser.error(f"no benchmarks/paraphrases/{args.language}.yml")
    began, info = datetime.now(timezone.utc), machine()
    kind = args.command if args.command in ("scaffold", "finetune", "load") else f"nlu-{args.language}"
    if args.command == "nlu" and "light-no-entities" in args.pipelines.split(","):
        kind = f"entities-{args.language}"  # its own table: light with and without its entity extractor
    out = RESULTS / f"{began:%Y-%m-%dT%H%MZ}-{kind}.json"

    def save(figures: dict) -> None:
        info["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        RESULTS.mkdir(exist_ok=True)
        out.write_text(json.dumps({"date": began.isoformat(timespec="seconds"), "machine": info, **figures}, indent=1))
        print(f"wrote {out.relative_to(ROOT)}; `python benchmarks/run.py report` puts it into the READMEs")

    try:
        work = {
            "scaffold": lambda: scaffold(args, save),
            "finetune": lambda: finetune(args),
            "nlu": lambda: nlu(args),
            "load": lambda: load(args, save),
        }
        save(work[args.command]())
    except ToolchainError as error:
        raise SystemExit(f"ERROR: the pinned Rasa venv is not available: {error}") from error
    return 0


if __name__ == "__main__":
    sys.exit(main())

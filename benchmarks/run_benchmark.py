#!/usr/bin/env python3
"""Rasa's own scaffold (`rasa init --no-prompt`) vs this template's default bake, on this machine.

Prints tables (it measures; it asserts only that each step really worked):

1. per project: scaffold/bake time, `rasa train` time (fresh training cache), model size, train
   peak RSS, time from starting `rasa run` to the first correct answer to "hello", REST latency
   p50/p95 and req/s for N sequential requests and for C concurrent clients, the Rasa server's
   peak RSS;
2. the headline: cookiecutter -> trained -> first correct answer, wall time, default flavour,
   with the Rasa venv already built (bytecode warm and cold, see common.bytecode_env);
3. per pipeline flavour, the paraphrase figures of nlu_accuracy.py.

Every server listens on 127.0.0.1 (free ports); every request loop is bounded in count and time.

    /root/.cache/cookiecutter-rasa/dev-venv/bin/python benchmarks/run_benchmark.py
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nlu_accuracy  # noqa: E402
from common import (  # noqa: E402
    bake,
    bytecode_env,
    human_size,
    machine_summary,
    markdown_table,
    rasa_venv,
    run_timed,
    tail,
    work_dir,
)
from serving import LoadResult, MemorySampler, load_test, post_message  # noqa: E402

import rasa_harness as harness  # noqa: E402  (tests/, put on sys.path by common)

TEMPLATE_HELLO = "Hi, how is it going?"  # the template's utter_greet
RASA_INIT_HELLO = "Hey! How are you?"  # rasa init's utter_greet
FIRST_ANSWER_BUDGET = 300.0  # seconds
LOAD_BUDGET = 300.0  # seconds per load loop


@dataclass
class ProjectFigures:
    name: str
    scaffold_what: str
    scaffold_s: float
    train_s: float = float("nan")
    train_peak_mib: float = float("nan")
    model_bytes: int = 0
    first_answer_s: float = float("nan")
    sequential: dict = field(default_factory=dict)
    concurrent: dict = field(default_factory=dict)
    server_peak_mib: float = float("nan")
    notes: list[str] = field(default_factory=list)


def load_figures(result: LoadResult) -> dict:
    return {
        "clients": result.clients,
        "requests": result.requests,
        "answered": len(result.latencies_ms),
        "errors": result.errors,
        "wrong": result.wrong,
        "p50_ms": result.p50,
        "p95_ms": result.p95,
        "rps": result.rps,
        "wall_s": result.wall_s,
    }


# --------------------------------------------------------------------------------------------
# Steps


def train(bot: harness.Bot, label: str) -> tuple[Path, float, float]:
    """`rasa train` (NLU + dialogue) with a fresh training cache; (model, seconds, peak RSS MiB)."""
    runs = bot.scratch / "train" / label
    shutil.rmtree(runs, ignore_errors=True)
    env = bot.run_env(f"train-{label}", {"RASA_CACHE_DIRECTORY": str(runs / "rasa-cache")})
    config = "config/config.yml" if (bot.path / "config" / "config.yml").is_file() else "config.yml"
    name = f"bench-{label}"
    cmd = [str(bot.venv / "bin" / "rasa"), "train", "--config", config, "--domain", "domain.yml", "--data", "data",
           "--out", str(runs / "models"), "--fixed-model-name", name]  # fmt: skip
    timed = run_timed(cmd, cwd=bot.path, env=env, log=runs / "train.log")
    model = runs / "models" / f"{name}.tar.gz"
    if timed.returncode != 0 or not model.is_file():
        raise RuntimeError(
            f"rasa train for {label} exited {timed.returncode}, model {model} "
            f"{'exists' if model.is_file() else 'missing'}:\n{tail(timed.log)}"
        )
    return model, timed.seconds, timed.peak_rss_mib


def rasa_run_argv(bot: harness.Bot, model: Path, endpoints: Path, credentials: str, port: int, token: str):
    """The template's Compose command (run --enable-api --auth-token ...), on 127.0.0.1."""
    return [str(bot.venv / "bin" / "rasa"), "run", "--enable-api", "--auth-token", token, "-i", harness.LOCAL,
            "-p", str(port), "--model", str(model), "--endpoints", str(endpoints),
            "--credentials", credentials]  # fmt: skip


def serve_and_measure(
    bot: harness.Bot,
    model: Path,
    endpoints: Path,
    credentials: str,
    expected: str,
    figures: ProjectFigures,
    *,
    requests: int,
    clients: int,
    env: dict | None = None,
) -> None:
    """Start `rasa run`, time the first correct "hello", then the load loops; fill ``figures``."""
    port, token = harness.free_port(), secrets.token_hex(16)
    argv = rasa_run_argv(bot, model, endpoints, credentials, port, token)
    first: dict[str, float] = {}
    started = time.perf_counter()

    def ready(server: harness.Server) -> bool:
        # Poll every 0.1 s (serve() itself sleeps 0.5 s between calls).
        for attempt in range(5):
            try:
                if any(expected in r for r in post_message(port, f"first-{attempt}", "hello", timeout=5)):
                    first["s"] = time.perf_counter() - started
                    return True
            except OSError:
                pass
            if server.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    log = bot.scratch / "logs" / f"rasa-run-{figures.name}.log"
    with harness.serve(
        "rasa",
        argv,
        cwd=bot.path,
        env=bot.run_env("rasa-run", env),
        log=log,
        url=f"http://{harness.LOCAL}:{port}",
        ready=ready,
        timeout=FIRST_ANSWER_BUDGET,
    ) as server:
        figures.first_answer_s = first["s"]
        with MemorySampler(server.process.pid) as memory:
            seq = load_test(port, requests=requests, clients=1, expected=expected, label="seq", budget=LOAD_BUDGET)
            con = load_test(
                port, requests=requests, clients=clients, expected=expected, label="con", budget=LOAD_BUDGET
            )
        figures.server_peak_mib = memory.peak_mib
    figures.sequential, figures.concurrent = load_figures(seq), load_figures(con)
    for what, result in (("sequential", seq), (f"{clients} clients", con)):
        if result.errors or result.wrong or len(result.latencies_ms) != requests:
            figures.notes.append(
                f"{what}: {len(result.latencies_ms)}/{requests} answered, "
                f"{result.errors} errors, {result.wrong} wrong replies"
            )


def rasa_init_project(root: Path, venv: Path, extra_env: dict, args) -> ProjectFigures:
    project = root / "rasa-init" / "project"
    shutil.rmtree(project.parent, ignore_errors=True)
    project.mkdir(parents=True)
    bot = harness.Bot(path=project, venv=venv, scratch=root / "rasa-init" / "scratch", answers={}, env=dict(extra_env))
    env = bot.run_env("init", {"RASA_CACHE_DIRECTORY": str(bot.scratch / "init-cache")})
    cmd = [str(venv / "bin" / "rasa"), "init", "--no-prompt", "--init-dir", str(project)]
    timed = run_timed(cmd, cwd=project, env=env, log=bot.scratch / "init.log")
    models = sorted((project / "models").glob("*.tar.gz"))
    if timed.returncode != 0 or not models:
        raise RuntimeError(f"rasa init exited {timed.returncode}, models {models}:\n{tail(timed.log)}")
    figures = ProjectFigures("rasa init", "rasa init --no-prompt (scaffold + its own training)", timed.seconds)
    written = yaml.safe_load((project / "config.yml").read_text())
    shipped = yaml.safe_load(nlu_accuracy.rasa_init_config(venv).read_text())
    empty = not any(d.get(k) for d in (written, shipped) for k in ("pipeline", "policies"))
    figures.notes.append(
        "config.yml: pipeline and policies left empty, so Rasa trains its default_config.yml (DIET, TED, ...), "
        "like the rasa-default row of the NLU table"
        if empty
        else "config.yml: NOT the empty pipeline/policies of rasa/cli/initial_project/config.yml"
    )
    figures.notes.append("tracker store: in memory (rasa init's endpoints.yml has none); no action server")

    model, figures.train_s, figures.train_peak_mib = train(bot, "rasa-init")
    figures.model_bytes = model.stat().st_size
    serve_and_measure(
        bot,
        model,
        project / "endpoints.yml",
        "credentials.yml",
        RASA_INIT_HELLO,
        figures,
        requests=args.requests,
        clients=args.clients,
    )
    return figures


def template_project(root: Path, extra_env: dict, args) -> ProjectFigures:
    out = root / "template"
    shutil.rmtree(out, ignore_errors=True)
    path, bake_s = bake(out)  # the defaults, as `cookiecutter --no-input`
    bot = harness.Bot(path=path, venv=rasa_venv(path), scratch=out / "scratch", answers={}, env=dict(extra_env))
    answers = json.loads((path / ".cookiecutter.json").read_text())["cookiecutter"]
    bot.answers = answers
    figures = ProjectFigures("template default", "cookiecutter --no-input (render + post-gen bot check)", bake_s)
    figures.notes.append(
        f"answers: nlu_pipeline={answers['nlu_pipeline']}, tracker_store={answers['tracker_store']}, "
        f"custom_actions={answers['custom_actions']} (action server running, local endpoints)"
    )
    model, figures.train_s, figures.train_peak_mib = train(bot, "template")
    figures.model_bytes = model.stat().st_size
    (path / "state").mkdir(exist_ok=True)  # the SQLite store's folder (a Docker volume in Compose)
    store = harness.Store(kind=answers["tracker_store"], bot=bot)
    with harness.action_server(bot) as actions:
        endpoints, store_env = harness.local_endpoints(bot, store, action_url=actions.url + "/webhook")
        serve_and_measure(
            bot,
            model,
            endpoints,
            "config/credentials.yml",
            TEMPLATE_HELLO,
            figures,
            requests=args.requests,
            clients=args.clients,
            env=store_env,
        )
    db = path / "state" / "tracker.db"
    if answers["tracker_store"] == "sqlite":
        size = human_size(db.stat().st_size) if db.is_file() else "-"
        figures.notes.append(f"SQLite store written: {db.is_file()} ({size})")
    return figures


@dataclass
class Headline:
    bytecode: str
    bake_s: float
    venv_s: float
    train_s: float
    first_answer_s: float  # from starting rasa run
    total_s: float  # from before cookiecutter to the first correct answer


def headline(root: Path, bytecode: str, log=print) -> Headline:
    """cookiecutter -> rasa_venv (warm) -> rasa train -> rasa run (+ action server) -> "hello"."""
    out = root / f"headline-{bytecode}"
    shutil.rmtree(out, ignore_errors=True)
    probe_bot, _ = bake(out / "probe")  # only to find the venv and warm its bytecode before the clock starts
    venv = rasa_venv(probe_bot)
    extra = bytecode_env(venv, bytecode, log=log)

    start = time.perf_counter()
    path, bake_s = bake(out / "bot")
    t = time.perf_counter()
    venv = rasa_venv(path)
    venv_s = time.perf_counter() - t
    bot = harness.Bot(path=path, venv=venv, scratch=out / "scratch", answers={}, env=dict(extra))
    answers = json.loads((path / ".cookiecutter.json").read_text())["cookiecutter"]
    model, train_s, _ = train(bot, "headline")
    (path / "state").mkdir(exist_ok=True)
    store = harness.Store(kind=answers["tracker_store"], bot=bot)

    # As `docker compose up`: the action server and Rasa start together; nobody waits for the former.
    action_port = harness.free_port()
    action_argv = [str(venv / "bin" / "rasa"), "run", "actions", "-p", str(action_port), "--actions", "actions"]
    action_env = bot.run_env("actions", {"SANIC_HOST": harness.LOCAL, "JOKE_API_URL": ""})
    with harness.serve(
        "action server",
        action_argv,
        cwd=path,
        env=action_env,
        log=out / "actions.log",
        url=f"http://{harness.LOCAL}:{action_port}",
        ready=lambda s: True,
        timeout=10,
    ):
        endpoints, store_env = harness.local_endpoints(
            bot, store, action_url=f"http://{harness.LOCAL}:{action_port}/webhook"
        )
        port, token = harness.free_port(), secrets.token_hex(16)
        argv = rasa_run_argv(bot, model, endpoints, "config/credentials.yml", port, token)
        run_start = time.perf_counter()
        done: dict[str, float] = {}

        def ready(server: harness.Server) -> bool:
            for attempt in range(5):
                try:
                    if any(TEMPLATE_HELLO in r for r in post_message(port, f"h-{attempt}", "hello", timeout=5)):
                        done["t"] = time.perf_counter()
                        return True
                except OSError:
                    pass
                time.sleep(0.1)
            return False

        with harness.serve(
            "rasa",
            argv,
            cwd=path,
            env=bot.run_env("rasa-run", store_env),
            log=out / "rasa.log",
            url=f"http://{harness.LOCAL}:{port}",
            ready=ready,
            timeout=FIRST_ANSWER_BUDGET,
        ):
            pass
    return Headline(bytecode, bake_s, venv_s, train_s, done["t"] - run_start, done["t"] - start)


# --------------------------------------------------------------------------------------------
# Report


def fmt(value: float, spec: str = ".1f", unit: str = "") -> str:
    if value != value:  # NaN
        return "-"
    return f"{format(value, spec)}{unit}"


def projects_table(projects: list[ProjectFigures], clients: int) -> str:
    rows = [
        ["scaffold / bake", *(f"{fmt(p.scaffold_s, '.2f', ' s')}" for p in projects)],
        ["  what that is", *(p.scaffold_what for p in projects)],
        ["rasa train (fresh cache)", *(fmt(p.train_s, ".1f", " s") for p in projects)],
        ["train peak RSS", *(fmt(p.train_peak_mib, ".0f", " MiB") for p in projects)],
        ["model size", *(human_size(p.model_bytes) for p in projects)],
        ['rasa run -> first correct "hello"', *(fmt(p.first_answer_s, ".1f", " s") for p in projects)],
    ]
    for key, label in (("sequential", "sequential"), ("concurrent", f"{clients} clients")):
        n = projects[0].__dict__[key].get("requests", 0)
        rows.append(
            [
                f"{label} ({n} req): p50 / p95",
                *(
                    f"{fmt(p.__dict__[key]['p50_ms'], '.1f')} / {fmt(p.__dict__[key]['p95_ms'], '.1f')} ms"
                    for p in projects
                ),
            ]
        )
        rows.append([f"{label}: throughput", *(fmt(p.__dict__[key]["rps"], ".0f", " req/s") for p in projects)])
    rows.append(["rasa server peak RSS", *(fmt(p.server_peak_mib, ".0f", " MiB") for p in projects)])
    return markdown_table(["", *(p.name for p in projects)], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per load loop (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="threads of the concurrent loop (default: %(default)s)")
    parser.add_argument(
        "--bytecode",
        choices=["warm", "cold"],
        default="warm",
        help="bytecode state of the Rasa venv for all but the headline (see common.bytecode_env)",
    )
    parser.add_argument("--nlu-repeats", type=int, default=1, help="trainings per pipeline in the NLU table")
    parser.add_argument("--skip-nlu", action="store_true", help="leave out the NLU table (saves ~4 min)")
    parser.add_argument(
        "--skip-projects",
        action="store_true",
        help="leave out rasa init vs template (saves ~5 min): headline (and NLU) only",
    )
    parser.add_argument(
        "--headline-repeats", type=int, default=1, help="headline runs per bytecode state (default: %(default)s)"
    )
    parser.add_argument("--work-dir", help="where everything goes (default: a new folder in $TMPDIR)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not (1 <= args.requests <= 10_000 and 1 <= args.clients <= 32 and 1 <= args.headline_repeats <= 10):
        parser.error("--requests must be 1..10000, --clients 1..32, --headline-repeats 1..10")

    root = work_dir(args.work_dir, "rasa-benchmark-")
    began = time.perf_counter()
    print(f"machine: {machine_summary()}\nwork dir: {root}\n", flush=True)

    # The venv of a default bake (the same for every flavour of one Rasa line), warmed once.
    probe, _ = bake(root / "probe")
    venv = rasa_venv(probe)
    extra = bytecode_env(venv, args.bytecode)
    print(f"rasa venv: {venv} (bytecode {args.bytecode})", flush=True)

    projects = []
    steps = (
        ()
        if args.skip_projects
        else (lambda: rasa_init_project(root, venv, extra, args), lambda: template_project(root, extra, args))
    )
    for step in steps:
        figures = step()
        print(f"{figures.name}: train {figures.train_s:.1f} s, first answer {figures.first_answer_s:.1f} s", flush=True)
        projects.append(figures)

    headlines = []
    for repeat in range(args.headline_repeats):
        for mode in ("warm", "cold"):
            result = headline(root / f"h{repeat + 1}", mode)
            print(f"headline ({mode} bytecode): {result.total_s:.1f} s", flush=True)
            headlines.append(result)

    if projects:
        print(f"\n## Rasa scaffold vs template default ({machine_summary()})\n")
        print(f'Rasa venv bytecode: {args.bytecode}. Each request is a new conversation (sender) saying "hello".\n')
        print(projects_table(projects, args.clients))
        for p in projects:
            for note in p.notes:
                print(f"- {p.name}: {note}")

    print("\n## Headline: cookiecutter -> first correct answer (default flavour, Rasa venv already built)\n")
    rows = [
        [
            h.bytecode,
            fmt(h.bake_s, ".2f", " s"),
            fmt(h.venv_s, ".2f", " s"),
            fmt(h.train_s, ".1f", " s"),
            fmt(h.first_answer_s, ".1f", " s"),
            fmt(h.total_s, ".1f", " s"),
            "yes" if h.total_s <= 20 else "NO",
        ]
        for h in headlines
    ]
    print(
        markdown_table(["bytecode", "bake", "venv lookup", "rasa train", "rasa run -> hello", "total", "<= 20 s"], rows)
    )
    print(
        "warm: Rasa's modules precompiled outside the venv (PYTHONPYCACHEPREFIX); cold: the uv-built venv "
        "has no .pyc and rasa_env() forbids writing them, so every command compiles ~5,500 modules."
    )

    evaluation = None
    if not args.skip_nlu:
        print("\nNLU per pipeline flavour (nlu_accuracy.py) ...", flush=True)
        evaluation = nlu_accuracy.evaluate(
            ["light", "diet", "spacy", "rasa-default"],
            args.nlu_repeats,
            root / "nlu",
            bytecode=args.bytecode,
            log=lambda m: print(f"  {m}", flush=True),
        )
        print(f"\n## NLU per pipeline flavour (paraphrases, {args.nlu_repeats} training(s) each)\n")
        headers, rows = nlu_accuracy.summary_rows(evaluation)
        print(markdown_table(headers, rows))
        for name, note in evaluation["notes"].items():
            print(f"- {name}: {note}")
    print(f"\n(total {time.perf_counter() - began:.0f} s; load avg now {machine_summary().rsplit('load avg ', 1)[1]})")

    if args.json:
        data = {
            "machine": machine_summary(),
            "projects": [asdict(p) for p in projects],
            "headline": [asdict(h) for h in headlines],
            "nlu": nlu_accuracy.to_json(evaluation) if evaluation else None,
        }
        Path(args.json).write_text(json.dumps(data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the benchmark scripts (run with the dev venv's Python >= 3.11).

Nothing here is a test: the scripts measure and print. Every Rasa process gets its own HOME,
TMPDIR and training cache under a work folder (tests/toolchain.py:rasa_env), and servers bind
127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TESTS_DIR = ROOT / "tests"
BOT_TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
PARAPHRASES = BENCH_DIR / "paraphrases" / "en.yml"  # one file per language: paraphrases/<code>.yml
PARSE_SCRIPT = BENCH_DIR / "parse_messages.py"
SPACY_PROBE = BENCH_DIR / "spacy_probe.py"

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from toolchain import rasa_env, rasa_venv  # noqa: E402

__all__ = [
    "Timed",
    "bake",
    "bytecode_env",
    "machine_summary",
    "markdown_table",
    "rasa_env",
    "rasa_venv",
    "run_timed",
    "work_dir",
]


def work_dir(requested: str | None, prefix: str) -> Path:
    """The folder for bots, models and logs: ``requested`` or a new one under $TMPDIR."""
    if requested:
        path = Path(requested).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix=prefix))


def bake(output_dir: Path, **answers) -> tuple[Path, float]:
    """Render the template with cookiecutter's Python API (no prompts, post-gen checker included).

    Returns the bot folder and the wall time of the call. cookiecutter's replay files go to a
    private config under ``output_dir``, not to ~/.cookiecutter_replay.
    """
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / ".cookiecutter-config.yml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(output_dir / '.cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(output_dir / '.replay'))}\n"
    )
    start = time.perf_counter()
    path = cookiecutter(
        str(ROOT),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        config_file=str(config),
    )
    return Path(path), time.perf_counter() - start


@dataclass
class Timed:
    """A finished child process: exit code, wall seconds and peak RSS (MiB, itself + waited children)."""

    returncode: int
    seconds: float
    peak_rss_mib: float
    log: Path


def run_timed(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float = 1800) -> Timed:
    """Run ``cmd`` with output to ``log``; measure wall time and the child's peak RSS (os.wait4)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
    return Timed(proc.returncode, seconds, usage.ru_maxrss / 1024, log)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def machine_summary() -> str:
    mem_kib = 0
    try:
        match = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE)
        mem_kib = int(match.group(1)) if match else 0
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
        f"{mem_kib / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}, load avg {load}"
    )


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def human_size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} GB"


def self_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_pycache(venv: Path) -> Path:
    return Path(tempfile.gettempdir()) / "cookiecutter-rasa-bench" / "pycache" / Path(venv).name


def bytecode_env(
    venv: Path, mode: str, *, extra_paths: list[Path] = (), pycache: Path | None = None, log=print
) -> dict[str, str]:
    """Environment additions for the bytecode state of the Rasa venv's Python code.

    The pinned venv is built by uv without .pyc files, and rasa_env() sets
    PYTHONDONTWRITEBYTECODE=1, so by default every Rasa command compiles ~5,500 modules from source
    (~8 s on 2 cores). ``warm``: compile the venv once into a separate tree (PYTHONPYCACHEPREFIX,
    the venv itself is not modified) and let the commands use it, as a venv installed by pip, or
    used once without PYTHONDONTWRITEBYTECODE, would be. ``cold``: no bytecode at all, neither
    read nor written (overrides the PYTHONPYCACHEPREFIX that rasa_harness.Bot.run_env sets).
    """
    if mode == "cold":
        # Empty PYTHONPYCACHEPREFIX counts as unset (rasa_harness.Bot.run_env sets one).
        return {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": ""}
    if mode != "warm":
        raise ValueError(f"bytecode mode must be warm or cold, not {mode!r}")
    prefix = pycache or default_pycache(venv)
    targets = sorted((Path(venv) / "lib").glob("python3*/site-packages")) + [Path(p) for p in extra_paths]
    for target in targets:
        stamp = prefix / ".compiled" / hashlib.sha256(str(target).encode()).hexdigest()[:16]
        if stamp.is_file():
            continue
        log(f"compiling {target} into {prefix} (once, ~30 s) ...")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [str(Path(venv) / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(target)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=1800,
        )
        stamp.write_text(str(target) + "\n")
    # An empty PYTHONDONTWRITEBYTECODE counts as unset: new modules are cached too.
    return {"PYTHONPYCACHEPREFIX": str(prefix), "PYTHONDONTWRITEBYTECODE": ""}


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

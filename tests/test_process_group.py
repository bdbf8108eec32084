"""The bot's scripts/process_group.py (what `make dev`, the benchmarks and the harness stop servers
with), on real processes: a child that ignores SIGTERM is killed, grandchildren die with the group,
several groups take one timeout. A few seconds in all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import process_group

# Ignores SIGTERM, starts a grandchild that ignores it too, prints both ids, then waits.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"])
print(os.getpid(), grandchild.pid, flush=True)
time.sleep(600)
"""
# Exits on SIGTERM at once, leaving a grandchild that ignores it behind (in the same group).
LEAVES_A_GRANDCHILD = STUBBORN.replace("signal.signal(signal.SIGTERM, signal.SIG_IGN)\ngrandchild", "grandchild", 1)


def running(pid: int) -> bool:
    """Is the process there and not a zombie?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in "ZX"


def start(code: str, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """(the child, its grandchild's id), once both run."""
    log = tmp_path / f"{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        child = process_group.start([sys.executable, "-c", code], cwd=tmp_path, env=dict(os.environ), output=out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        words = log.read_text().split()  # "up" (the grandchild) and the two ids, in either order
        ids = [int(word) for word in words if word.isdigit()]
        if "up" in words and len(ids) == 2:
            grandchild = ids[1]
            assert os.getpgid(grandchild) == child.pid, "the grandchild is not in the child's group"
            return child, grandchild
        time.sleep(0.05)
    raise AssertionError(f"the test processes did not start: {log.read_text()!r}")


def test_a_child_that_ignores_sigterm_is_killed_with_its_grandchild(tmp_path):
    child, grandchild = start(STUBBORN, tmp_path)
    began = time.monotonic()
    assert process_group.stop(child, timeout=1) == []
    assert time.monotonic() - began >= 1, "SIGKILL came before the timeout"
    assert child.returncode == -signal.SIGKILL
    assert not running(grandchild)


def test_grandchildren_die_with_the_group_when_the_child_exits_first(tmp_path):
    child, grandchild = start(LEAVES_A_GRANDCHILD, tmp_path)
    assert process_group.stop(child, timeout=1) == []
    assert child.returncode == -signal.SIGTERM
    assert not running(grandchild), "the grandchild outlived its group's stop"


def test_groups_are_stopped_at_once_not_one_after_the_other(tmp_path):
    children = [start(STUBBORN, tmp_path)[0] for _ in range(3)]
    began = time.monotonic()
    assert process_group.stop(*children, timeout=1) == []
    assert time.monotonic() - began < 2.5, "three groups took three timeouts"
    assert all(child.returncode == -signal.SIGKILL for child in children)


def test_a_quick_exit_needs_no_sigkill_and_a_second_stop_is_harmless(tmp_path):
    with open(tmp_path / "log", "wb") as out:
        child = process_group.start([sys.executable, "-c", "import time; time.sleep(600)"], cwd=tmp_path,
                                    env=dict(os.environ), output=out)  # fmt: skip
    began = time.monotonic()
    assert process_group.stop(child, timeout=10) == []
    assert child.returncode == -signal.SIGTERM and time.monotonic() - began < 5
    assert process_group.stop(child, timeout=10) == []

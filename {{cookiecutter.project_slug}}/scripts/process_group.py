"""Start a server in a process group of its own; stop the whole group, whatever it spawned.

start() makes the child the leader of a new session, so its process group holds the child and
everything it starts (Rasa's and Sanic's helpers). stop() signals those groups (SIGTERM), waits,
then SIGKILLs what is left. Standard library only: the bot's scripts run on a bare python3.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

TIMEOUT = 10.0  # seconds between the first signal and SIGKILL
PROC = Path("/proc")


def start(argv: list[str], *, cwd: Path, env: dict, output: IO[bytes]) -> subprocess.Popen:
    """argv in a new session (its own process group), stdout and stderr into `output`."""
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:  # nobody left in it
        pass


def _has_live_members(group: int) -> bool:
    """Is a process of the group still running? Zombies (exited, not yet reaped by their new
    parent, which may take seconds) do not count on Linux, where /proc tells them apart."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    if not PROC.is_dir():
        return True
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]  # after "pid (name)"
        except (OSError, ValueError):  # exited meanwhile
            continue
        if pgrp == str(group) and state not in "ZX":
            return True
    return False


def _group_gone(process: subprocess.Popen) -> bool:
    """Has every member of the process's group exited? Reaps the leader, and the members that are
    our children (as PID 1 of a container this process inherits the orphans)."""
    if process.poll() is None:
        return False
    try:
        while os.waitpid(-process.pid, os.WNOHANG)[0]:
            pass
    except ChildProcessError:  # none of them is our child
        pass
    return not _has_live_members(process.pid)


def _wait(processes: list[subprocess.Popen], timeout: float) -> list[subprocess.Popen]:
    """The processes whose group still has members after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = [process for process in processes if not _group_gone(process)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def stop(*processes: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = TIMEOUT) -> list[int]:
    """Send `sig` to the groups of processes that start() started, SIGKILL each group still there
    after `timeout` seconds. All groups at once, so n servers take one timeout, not n. Returns the
    leaders' ids of the groups that outlived SIGKILL too (normally none)."""
    for process in processes:
        _signal_group(process.pid, sig)
    left = _wait(list(processes), timeout)
    for process in left:
        _signal_group(process.pid, signal.SIGKILL)
    return [process.pid for process in _wait(left, timeout)]

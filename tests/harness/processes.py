"""Local servers for the tests: free ports, start, wait until ready, stop the whole process group.

Starting and stopping is the bot's own scripts/process_group.py (what `make dev` uses), and HTTP is
its scripts/rasa_http.py. psutil only looks: which addresses a server's processes listen on.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

import process_group
import rasa_http

LOCAL = "127.0.0.1"
STOP_TIMEOUT = 20  # seconds between SIGTERM and SIGKILL


def tail(text: str, lines: int = 60) -> str:
    """The last lines of a text (the one helper for logs and command output)."""
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


def http_json(url: str, timeout: float = 10) -> tuple[int, object]:
    """GET url; (status, parsed JSON or text). No HTTP answer gives status 0 and the reason."""
    try:
        status, body, _ = rasa_http.request(url, timeout=timeout)
    except rasa_http.RasaHTTPError as error:
        return 0, str(error)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


@dataclass
class Service:
    """A server process the tests started, its URL and its log."""

    name: str
    url: str
    log: Path
    process: subprocess.Popen
    token: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""

    def listening_hosts(self, port: int) -> set[str]:
        """The addresses the process tree listens on at ``port``."""
        hosts = set()
        leader = psutil.Process(self.process.pid)
        for process in [leader, *leader.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                for conn in process.net_connections(kind="tcp"):
                    if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                        hosts.add(conn.laddr.ip)
        return hosts


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the process group serve() started, SIGKILL it after ``timeout``; nothing may be left."""
    left = process_group.stop(process, timeout=timeout)
    assert not left, f"the process group of {left} outlived SIGKILL"


@contextlib.contextmanager
def serve(name: str, argv: list[str], *, cwd: Path, env: dict, log: Path, url: str,
          ready: Callable[[Service], bool], timeout: float) -> Iterator[Service]:  # fmt: skip
    """Start argv, wait until ready(service) is true, yield the Service, always stop its tree.

    On any failure (start or inside the with-block) the log's tail is printed, so pytest shows it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = process_group.start(argv, cwd=cwd, env=env, output=out)
    service = Service(name=name, url=url, log=log, process=process)
    start = time.monotonic()
    try:
        while not ready(service):
            if process.poll() is not None:
                raise AssertionError(f"{name} exited {process.returncode} before answering on {url}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{name} did not answer on {url} within {timeout} s")
            time.sleep(0.5)
        print(f"{name} ready on {url} in {time.monotonic() - start:.1f} s")
        yield service
    except BaseException:
        print(f"----- {name} log ({log}), last lines -----\n{tail(service.log_text() or '(no log)', 80)}\n"
              f"----- end of {name} log -----")  # fmt: skip
        raise
    finally:
        stop(process)

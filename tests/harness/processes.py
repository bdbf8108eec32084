"""Local servers for the tests: free ports, start, wait until ready, stop the whole process tree."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

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
class Service:
    """A server process the tests started, its URL and its log."""

    name: str
    url: str
    log: Path
    process: psutil.Popen
    token: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""

    def listening_hosts(self, port: int) -> set[str]:
        """The addresses the process tree listens on at ``port``."""
        hosts = set()
        for process in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                for conn in process.net_connections(kind="tcp"):
                    if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                        hosts.add(conn.laddr.ip)
        return hosts


def stop_tree(process: psutil.Process, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM a process and every descendant, SIGKILL what is left after ``timeout``; reap them."""
    with contextlib.suppress(psutil.NoSuchProcess):
        family = [process, *process.children(recursive=True)]
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.terminate()
        _, alive = psutil.wait_procs(family, timeout=timeout)
        for member in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        _, alive = psutil.wait_procs(alive, timeout=timeout)
        assert not alive, f"processes left after SIGKILL: {alive}"


@contextlib.contextmanager
def serve(name: str, argv: list[str], *, cwd: Path, env: dict, log: Path, url: str,
          ready: Callable[[Service], bool], timeout: float) -> Iterator[Service]:  # fmt: skip
    """Start argv, wait until ready(service) is true, yield the Service, always stop its tree.

    On any failure (start or inside the with-block) the log's tail is printed, so pytest shows it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = psutil.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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
        stop_tree(process)

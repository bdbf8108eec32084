"""REST client, bounded load loops and /proc memory sampling for run_benchmark.py (stdlib only).

Every request goes to 127.0.0.1; every loop has a fixed request count and a time budget.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def post_message(port: int, sender: str, text: str, timeout: float = 10.0) -> list[str]:
    """POST to Rasa's REST channel on 127.0.0.1; returns the bot's reply texts."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return [m.get("text", "") for m in json.loads(response.read() or b"[]")]


def wait_first_answer(port: int, expected: str, *, started: float, budget: float, alive=lambda: True) -> float:
    """Poll "hello" every 0.1 s until a reply contains ``expected``; seconds since ``started``.

    Raises TimeoutError after ``budget`` seconds (from ``started``) or RuntimeError when
    ``alive()`` turns false (the server died).
    """
    attempt = 0
    while time.perf_counter() - started < budget:
        if not alive():
            raise RuntimeError("the server exited before answering")
        attempt += 1
        try:
            if any(expected in reply for reply in post_message(port, f"first-{attempt}", "hello", timeout=5)):
                return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"no {expected!r} within {budget} s")


@dataclass
class LoadResult:
    clients: int
    requests: int
    errors: int
    wrong: int
    wall_s: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        if len(self.latencies_ms) < 2:
            return self.p50
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[94]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else float("nan")


def load_test(
    port: int, *, requests: int, clients: int, expected: str, label: str, budget: float = 300.0
) -> LoadResult:
    """``requests`` POSTs of "hello" split over ``clients`` threads; each request is a new sender
    (a new conversation), so the tracker store is written every time. Stops at ``budget`` s.
    """
    latencies: list[float] = []
    counts = {"errors": 0, "wrong": 0}
    lock = threading.Lock()
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    deadline = time.perf_counter() + budget

    def client(index: int) -> None:
        for n in range(per_client[index]):
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            try:
                replies = post_message(port, f"{label}-{index}-{n}", "hello")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                with lock:
                    counts["errors"] += 1
                continue
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if not any(expected in r for r in replies):
                    counts["wrong"] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(budget + 30)
    wall = time.perf_counter() - start
    return LoadResult(clients, requests, counts["errors"], counts["wrong"], wall, latencies)


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc/*/task/*/children."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                pass
    return tree


class MemorySampler:
    """Peak RSS of a process tree: the kernel's VmHWM of each process, plus a 0.2 s sample of
    the summed VmRSS of the tree (for servers that fork). Values in MiB."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_tree_kib = 0
        self.hwm_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sample()
        self._stop.set()
        self._thread.join(5)

    def sample(self) -> None:
        total = 0
        for pid in process_tree(self.pid):
            total += _status_kib(pid, "VmRSS")
            hwm = _status_kib(pid, "VmHWM")
            if hwm:
                self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), hwm)
        self.peak_tree_kib = max(self.peak_tree_kib, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    @property
    def peak_mib(self) -> float:
        """max(kernel high-water mark of the main process, sampled peak of the whole tree)."""
        return max(self.hwm_kib.get(self.pid, 0), self.peak_tree_kib) / 1024

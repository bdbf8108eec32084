"""The suite's split over pytest-xdist workers holds: a slow module's tests share one worker (they
share trained bots and a browser, and some follow on from the one before), and the Docker tier's
modules share one, handed out first (it is the longest). A pytest or pytest-xdist upgrade that
silently breaks `--dist loadgroup` fails here in seconds, not as an order-dependent browser failure
half an hour into CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent

RECORDER = """
import json, os, pytest
{mark}

@pytest.mark.parametrize("n", range({count}))
def test_step(n):
    with open(os.environ["RECORD"], "a") as out:
        out.write(json.dumps([__name__, n, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
"""


def run_on_two_workers(folder: Path) -> list[list]:
    """Runs the test modules in `folder` as run_tests.sh does; returns what they recorded."""
    record = folder / "record.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "harness.worker_groups",
         "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder", str(folder)],
        cwd=folder, env={"PYTHONPATH": str(TESTS), "RECORD": str(record), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]


def test_each_slow_module_and_the_docker_tier_run_on_one_worker(tmp_path):
    runner = (TESTS.parent / "scripts" / "run_tests.sh").read_text(encoding="utf-8")
    assert "--dist loadgroup --no-loadscope-reorder" in runner, "the suite's runner uses these options too"
    marks = {"test_rasa_a": "pytestmark = pytest.mark.rasa", "test_rasa_b": "pytestmark = pytest.mark.browser",
             "test_docker_a": "pytestmark = pytest.mark.docker", "test_docker_b": "pytestmark = pytest.mark.docker",
             "test_fast_a": "", "test_fast_b": ""}  # fmt: skip
    for name, mark in marks.items():
        count = 2 if name.startswith("test_docker") else 6  # the Docker tier goes first though it has fewer tests
        (tmp_path / f"{name}.py").write_text(RECORDER.format(mark=mark, count=count), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n rasa\n docker\n browser\n", encoding="utf-8")
    runs = run_on_two_workers(tmp_path)
    assert len(runs) == 28
    workers: dict[str, set[str]] = {}
    order: dict[str, list[int]] = {}
    for module, n, worker in runs:
        group = "docker" if module.startswith("test_docker") else module
        workers.setdefault(group, set()).add(worker)
        order.setdefault(module, []).append(n)
    for group in ("test_rasa_a", "test_rasa_b", "docker"):
        assert len(workers[group]) == 1, f"{group} ran on {sorted(workers[group])}: --dist loadgroup is not grouping"
    for module in ("test_rasa_a", "test_rasa_b", "test_docker_a", "test_docker_b"):
        assert order[module] == sorted(order[module]), f"{module} ran out of order: {order[module]}"
    first = {}
    for module, _, worker in runs:
        first.setdefault(worker, module)
    assert any(module.startswith("test_docker") for module in first.values()), f"the Docker tier starts first: {first}"


COMBINATIONS = """
import json, os, pytest

@pytest.fixture(params=[{{"rasa_version": line, "n": n}} for line in ("3.6", "2.8") for n in range(3)])
def combination(request):
    return request.param

@pytest.mark.parametrize("check", range({checks}))
def test_check(combination, check):
    with open(os.environ["RECORD"], "a") as out:
        row = [combination["rasa_version"], combination["n"], os.environ["PYTEST_XDIST_WORKER"]]
        out.write(json.dumps(row) + "\\n")
"""


def test_a_fast_modules_tests_of_one_combination_share_a_worker(tmp_path):
    """A combination's checks share the worker that computed its `docker compose config` (or
    kustomize, or ruff) run, instead of each worker computing it again."""
    (tmp_path / "test_fast_combinations.py").write_text(COMBINATIONS.format(checks=4), encoding="utf-8")
    workers: dict[tuple, set[str]] = {}
    for line, n, worker in run_on_two_workers(tmp_path):
        workers.setdefault((line, n), set()).add(worker)
    assert len(workers) == 6 and all(len(names) == 1 for names in workers.values()), workers

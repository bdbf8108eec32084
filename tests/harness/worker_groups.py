"""Which tests share a pytest-xdist worker (scripts/run_tests.sh runs `-n 2 --dist loadgroup`).

The Docker tier has one engine, so it is one group; each slow module keeps its trained bots and
servers (module and session fixtures) on one worker, and its tests run in file order there. A fast
module's tests of one answer combination share a worker too: they share that combination's
`docker compose config`, `kubectl kustomize` or ruff run (a module-level cache per worker), which
would otherwise run once on each worker. Other fast tests spread freely. The groups are handed out
in collection order (run_tests.sh passes `--no-loadscope-reorder`), which this plugin sets: the
Docker tier first (the longest: a cold sandbox, then builds and trainings in containers), then the
slow modules with most tests, then the fast tests, which fill in on whichever worker is free.

pytest-xdist 3.8 marks a group by rewriting the test's node ID; pytest 9.1 and later ignore that
rewrite and `loadgroup` silently stops grouping (pytest-dev/pytest-xdist#1386). requirements-dev.txt
therefore pins pytest 9.0.x, and tests/test_worker_groups.py fails if the groups stop holding.
"""

from __future__ import annotations

import pytest

SLOW_TIERS = ("docker", "rasa", "browser")


def group_of(item: pytest.Item) -> str | None:
    tier = next((name for name in SLOW_TIERS if item.get_closest_marker(name)), None)
    if tier == "docker":
        return "docker-engine"
    if tier is not None:
        return item.module.__name__
    combination = next((value for value in _params(item) if isinstance(value, dict) and "rasa_version" in value), None)
    if combination is None:
        return None
    return f"{item.module.__name__}::" + "-".join(f"{key}={value}" for key, value in combination.items())


def _params(item: pytest.Item) -> list:
    callspec = getattr(item, "callspec", None)
    return list(callspec.params.values()) if callspec else []


def start_order(group: str | None, sizes: dict[str, int]) -> tuple[int, int]:
    if group == "docker-engine":
        return (0, 0)
    if group is None or "::" in group:  # fast tests, grouped by combination or not
        return (2, 0)
    return (1, -sizes[group])


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Marks the groups before every other implementation (pytest-xdist reads them), and sorts the
    items after all of them (pytest reorders by fixture scope). The sort is stable: file order stays
    within a group."""
    groups = {id(item): group_of(item) for item in items}  # not the item: its hash follows the node ID xdist edits
    for item in items:
        if groups[id(item)] is not None:
            item.add_marker(pytest.mark.xdist_group(groups[id(item)]))
    result = yield
    sizes: dict[str, int] = {}
    for group in groups.values():
        if group is not None:
            sizes[group] = sizes.get(group, 0) + 1
    items.sort(key=lambda item: start_order(groups[id(item)], sizes))
    return result

"""Which tests share a pytest-xdist worker (scripts/run_tests.sh runs `-n 2 --dist loadgroup`).

The Docker tier has one engine, so it is one group; each slow module keeps its trained bots and
servers (module and session fixtures) on one worker, and its tests run in file order there. Fast tests
spread freely. xdist hands out the groups with most tests first, so the long tiers start at once.

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
    return item.module.__name__ if tier is not None else None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        group = group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

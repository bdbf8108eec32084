"""Bad answers are rejected before anything is written, each with a message saying what to answer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from combinations import TEMPLATE_DIR, combo_id, invalid_combinations

INVALID = invalid_combinations()


def run_cookiecutter(tmp_path, *answers: str) -> subprocess.CompletedProcess:
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE_DIR)]
    return subprocess.run([*cookiecutter, *answers], capture_output=True, text=True, timeout=60)


def assert_rejected(tmp_path, result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert written_files(tmp_path) == [], "a rejected bake must leave nothing behind"


def written_files(folder) -> list:
    # A slug with "/" makes cookiecutter itself create the parent folders before any hook runs;
    # they stay empty. Files are what matters.
    return [path for path in folder.rglob("*") if not path.is_dir()]


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Mood Bot", "is not usable as a folder and Docker project name"),
        ("mood-bot", "is not usable as a folder and Docker project name"),
        ("3bots", "starting with a letter"),
        ("my/bot", "is not usable"),
        ("x" * 64, "1-63"),
        ("class", "is a Python keyword: answer e.g. 'class_bot'"),
    ],
)
def test_bad_slug_is_rejected(tmp_path, slug, message):
    assert_rejected(tmp_path, run_cookiecutter(tmp_path, f"project_slug={slug}"), message)


def test_empty_slug_is_rejected(tmp_path):
    # cookiecutter refuses before the hooks run (the project folder would be the output folder).
    result = run_cookiecutter(tmp_path, "project_slug=")
    assert result.returncode != 0
    assert "already exists" in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_empty_project_name_is_rejected(tmp_path):
    assert_rejected(tmp_path, run_cookiecutter(tmp_path, "project_name= ", "project_slug=bot"), "project_name is empty")


def test_every_unsupported_combination_is_listed():
    reasons = {(a["tracker_store"], a["mongo_express"], a["kubernetes"]) for a in INVALID}
    without_mongo = ("sqlite", "in_memory", "postgres", "redis", "custom")
    not_shared = ("sqlite", "in_memory", "custom")
    assert reasons == {(store, True, k8s) for store in without_mongo for k8s in (False, True)} | {
        (store, express, True) for store in not_shared for express in (False, True)
    }


@pytest.mark.parametrize("answers", INVALID, ids=[combo_id(a) for a in INVALID])
def test_unsupported_combination_is_rejected(cookies, answers):
    result = cookies.bake(extra_context=answers, template=str(TEMPLATE_DIR))
    assert result.exit_code == -1
    assert "Hook script failed" in str(result.exception)
    assert result.project_path is None


def test_unsupported_combination_message_says_what_to_answer(tmp_path):
    result = run_cookiecutter(tmp_path, "tracker_store=redis", "mongo_express=yes")
    assert_rejected(tmp_path, result, "mongo_express=yes needs tracker_store=mongo (you chose 'redis')")
    assert "answer mongo_express=no, or tracker_store=mongo" in result.stderr


@pytest.mark.parametrize("store", ["sqlite", "in_memory", "custom"])
def test_kubernetes_needs_a_shared_tracker_store(tmp_path, store):
    result = run_cookiecutter(tmp_path, f"tracker_store={store}", "kubernetes=yes")
    assert_rejected(tmp_path, result, f"tracker_store={store!r} keeps conversations inside one pod")
    assert "answer tracker_store=postgres | redis | mongo, or kubernetes=no" in result.stderr


def test_choice_outside_the_list_is_rejected(tmp_path):
    result = run_cookiecutter(tmp_path, "tracker_store=cassandra")
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []

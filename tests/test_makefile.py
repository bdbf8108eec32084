"""The rendered Makefile gives the walkthrough's steps as one command each, and they parse."""

from __future__ import annotations

import subprocess
import sys

import pytest

WALKTHROUGH_STEPS = ["train", "up", "down", "logs", "shell", "smoke", "check", "test"]


def make(bot, *args: str) -> subprocess.CompletedProcess:
    # The scripts need PyYAML: use this interpreter, as a bot's own .venv would be used.
    command = ["make", f"PYTHON={sys.executable}", *args]
    return subprocess.run(command, cwd=bot.path, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("custom_actions", [True, False], ids=["actions", "no_actions"])
def test_help_lists_every_step(bake_once, custom_actions):
    listed = make(bake_once(custom_actions=custom_actions), "help").stdout
    for step in WALKTHROUGH_STEPS:
        assert f"make {step} " in listed, step
    assert ("make test-actions" in listed) == custom_actions


@pytest.mark.parametrize("custom_actions", [True, False], ids=["actions", "no_actions"])
def test_every_step_parses(bake_once, custom_actions):
    bot = bake_once(custom_actions=custom_actions)
    dry_run = make(bot, "-n", *WALKTHROUGH_STEPS)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "docker compose up -d --build --wait" in dry_run.stdout
    assert "scripts/smoke_test.py --url http://localhost:5005" in dry_run.stdout


def test_check_passes(bake_once):
    result = make(bake_once(), "check")
    assert result.returncode == 0, result.stderr
    assert "bot check passed" in result.stdout


def test_env_is_written_once_with_fresh_secrets(bake):
    bot = bake(tracker_store="postgres")
    old = bot.text(".env")
    (bot.path / ".env").unlink()
    assert make(bot, ".env").returncode == 0
    new = bot.text(".env")
    assert new != old and "=change-me" not in new and "POSTGRES_PASSWORD=" in new
    again = make(bot, ".env")
    assert again.returncode == 0 and bot.text(".env") == new, "an existing .env is never overwritten"


def test_check_fails_on_a_broken_bot(bake):
    bot = bake()
    stories = bot.path / "data" / "stories.yml"
    stories.write_text(stories.read_text().replace("utter_happy", "utter_hapy"))
    result = make(bot, "check")
    assert result.returncode != 0
    assert "'utter_hapy', which has no response" in result.stderr


def test_dev_steps_parse(bake_once):
    dry_run = make(bake_once(), "-n", "dev", "dev-docker")
    assert dry_run.returncode == 0, dry_run.stderr
    assert "/bin/python scripts/dev.py" in dry_run.stdout
    assert "python scripts/dev.py --host 0.0.0.0" in dry_run.stdout


@pytest.mark.parametrize("store", ["postgres", "redis", "mongo"])
def test_replicas_scale_rasa_with_a_port_each(bake_once, store):
    """`make up REPLICAS=3` scales the rasa service, each replica on its own local port."""
    bot = bake_once(tracker_store=store)
    for target in ("up", "up-prod"):
        dry_run = make(bot, "-n", target, "REPLICAS=3")
        assert dry_run.returncode == 0, dry_run.stderr
        assert "RASA_PORTS=5005-$((5004 + 3)) docker compose" in dry_run.stdout, dry_run.stdout
        assert "--wait --scale rasa=3" in dry_run.stdout, dry_run.stdout
    assert "RASA_PORTS=5005 docker compose" in make(bot, "-n", "up").stdout


@pytest.mark.parametrize("store", ["sqlite", "in_memory", "custom"])
def test_replicas_are_refused_without_a_shared_store(bake_once, store):
    """Replicas of a store that one process holds would lose or split conversations: refused before Docker."""
    bot = bake_once(tracker_store=store)
    for target in ("up", "up-prod"):  # -o .env: the shared bake keeps no .env
        refused = make(bot, "-o", ".env", target, "REPLICAS=2", "COMPOSE=false")
        assert refused.returncode != 0
        assert "REPLICAS=2: " in refused.stderr and "tracker_store=postgres, redis or mongo" in refused.stderr
        assert "Traceback" not in refused.stderr and "mkdir" not in refused.stdout, refused.stdout


@pytest.mark.parametrize("replicas", ["0", "two", "-1", "100", "2;id"])
def test_a_bad_number_of_replicas_is_refused(bake_once, replicas):
    bot = bake_once(tracker_store="postgres")
    refused = make(bot, "-o", ".env", "up", f"REPLICAS={replicas}", "COMPOSE=false")
    assert refused.returncode != 0 and "give a number of Rasa replicas, 1 to 99" in refused.stderr, refused


def test_insights_runs_the_script_in_the_rasa_image_with_the_options_given(bake_once):
    """make insights: on the Compose network as the rasa service (its hostnames and secrets), as the
    host's user (reports/ stays the user's), SINCE/UNTIL/EVENTS passed on only when given."""
    bot = bake_once()
    plain = make(bot, "-n", "insights")
    assert plain.returncode == 0, plain.stderr
    commands = " ".join(plain.stdout.replace("\\\n", " ").split("\n"))  # continued lines joined
    assert "docker compose run --rm --no-deps --user " in commands and "--entrypoint python rasa" in commands
    assert " ".join(commands.split()).endswith("scripts/insights.py")
    given = " ".join(
        make(bot, "-n", "insights", "SINCE=2026-12-01", "UNTIL=2026-12-07", "EVENTS=events.jsonl").stdout.split()
    )
    assert 'scripts/insights.py --since "2026-12-01" --until "2026-12-07" --events "events.jsonl"' in given
    assert "make insights " in make(bot, "help").stdout

"""The `channels` answer as rasa_template/answers.py reads it: normalised, refused with a reason,
and the values the files are rendered from (no bake: see test_channels.py for rendered bots)."""

from __future__ import annotations

import pytest

from harness.combinations import COOKIECUTTER_JSON
from rasa_template.answers import CHANNELS, errors, with_derived

DEFAULTS = {key: value[0] if isinstance(value, list) else value for key, value in COOKIECUTTER_JSON.items()
            if not key.startswith("_")}  # fmt: skip
DEFAULTS["project_slug"] = "mood_bot"


@pytest.mark.parametrize(
    ("answer", "names"),
    [
        ("", []),
        ("  ", []),
        ("Telegram", ["telegram"]),
        (" SLACK , twilio ", ["slack", "twilio"]),
        ("telegram,,mattermost,", ["telegram", "mattermost"]),
        (",".join(CHANNELS), list(CHANNELS)),
    ],
)
def test_channels_are_normalised_once(answer, names):
    derived = with_derived({**DEFAULTS, "channels": answer})
    assert errors({**DEFAULTS, "channels": answer}) == []
    assert derived["channel_list"] == names
    assert derived["channels"] == ", ".join(names)  # what .cookiecutter.json keeps
    assert with_derived(derived)["channel_list"] == names  # replaying the kept answer gives the same


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("telegram, teams", ["channels: 'teams' is not a channel"]),
        ("x, y, x", ["channels: 'x' is not a channel", "channels: 'y' is not a channel", "channels: x given"]),
        ("slack, SLACK ,twilio,twilio", ["channels: slack, twilio given more than once"]),
        ("socketio", ["channels: 'socketio' is not a channel"]),
        ("telegram\nslack", ["channels: 'telegram\\nslack' is not a channel"]),
    ],
)
def test_bad_channels_get_one_error_each(answer, expected):
    problems = errors({**DEFAULTS, "channels": answer})
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start) and problem.endswith("."), problem
        assert " | ".join(CHANNELS) in problem


def test_every_channel_reads_only_environment_variables():
    """Every credentials value is `${VAR}` (or a URL built on one): no secret in a rendered file."""
    for name, keys in CHANNELS.items():
        for key, value in keys.items():
            assert value.startswith("${"), (name, key, value)


def test_channel_env_lists_each_variable_once_with_what_env_starts_with():
    env = with_derived({**DEFAULTS, "channels": "telegram, twilio, mattermost"})["channel_env"]
    assert list(env).count("BOT_PUBLIC_URL") == 1
    assert env["TELEGRAM_SECRET_TOKEN"] == "change-me"  # the bot chooses it: a random secret
    assert env["TELEGRAM_ACCESS_TOKEN"] == ""  # Telegram issues it: the user pastes it
    assert env["TELEGRAM_API_URL"] == "https://api.telegram.org"

"""`make dev`'s one definition of what it watches (scripts/dev.py: RETRAIN, RESTART), and the bot
README that describes it. No Rasa needed; test_dev_loop.py runs the loop itself."""

from __future__ import annotations

import re

import pytest

import dev


@pytest.mark.parametrize(
    ("path", "retrains", "restarts"),
    [
        ("data/nlu.yml", True, False),
        ("data/stories.md", True, False),
        ("data/more/faq.yaml", True, False),
        ("domain.yml", True, False),
        ("domain/chitchat.yml", True, False),
        ("config/config.yml", True, False),
        ("actions/actions.py", False, True),
        ("actions/sub/helpers.py", False, True),
        ("data/notes.txt", False, False),
        ("config/endpoints.yml", False, False),  # read when Rasa starts, not trained from
        ("actions/__pycache__/actions.cpython-310.pyc", False, False),
        ("actions/jokes.txt", False, False),  # read on every call: no restart needed
        ("tests/test_stories.yml", False, False),
        ("mydata/nlu.yml", False, False),
    ],
)
def test_what_retrains_and_what_restarts_the_action_server(path, retrains, restarts):
    assert (dev.RETRAIN.covers(path), dev.RESTART.covers(path)) == (retrains, restarts)


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


@pytest.mark.parametrize("custom_actions", [True, False])
def test_the_readme_names_exactly_what_dev_py_watches(bake_once, custom_actions):
    readme = bake_once(custom_actions=custom_actions).text("README.md")
    section = readme.split("## Edit and try it at once: `make dev`", 1)[1].split("\n## ", 1)[0]
    sentence = re.search(r"then watches the training files: (.+?)\.(?:\s|$)", section, re.DOTALL)
    assert sentence, section
    retrain = dev.RETRAIN
    assert backticked(sentence.group(1)) == {*retrain.files, *(f"{f}/" for f in retrain.folders), *retrain.suffixes}
    restart = re.search(r"Saving a (.+?) restarts the action server\.", section, re.DOTALL)
    if custom_actions:
        assert restart, section
        assert backticked(restart.group(1)) == {*dev.RESTART.files, *(f"{f}/" for f in dev.RESTART.folders),
                                               *dev.RESTART.suffixes}  # fmt: skip
    else:
        assert not restart and "action server" not in section, section

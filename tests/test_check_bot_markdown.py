"""The checker reads Rasa's Markdown training data (the 2.x walkthrough format) with the same rules.

A baked bot's YAML data is rewritten as data/nlu.md + data/stories.md (+ a Markdown end-to-end
test story); it must still pass, and the same mistakes must yield the same problems.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from check_bot import check_bot

WALKTHROUGH_STORIES = """## happy_path
* greet
  - utter_greet
* mood_happy
  - utter_happy
* goodbye
  - utter_goodbye

## sad_path
* greet
  - utter_greet
* mood_unhappy
  - utter_cheer_up
* goodbye
  - utter_goodbye
"""


def as_markdown_nlu(nlu: list[dict]) -> str:
    sections = []
    for item in nlu:
        lines = [f"- {line.strip()[2:]}" for line in item["examples"].splitlines() if line.strip()]
        sections.append(f"## intent:{item['intent']}\n" + "\n".join(lines))
    return "\n\n".join(sections) + "\n\n## synonym:happy\n- glad\n\n## regex:greet\n- hey[^\\s]*\n"


@pytest.fixture
def markdown_bot(bake) -> Path:
    bot = bake(custom_actions=False, tracker_store="sqlite").path
    nlu = yaml.safe_load((bot / "data" / "nlu.yml").read_text())["nlu"]
    (bot / "data" / "nlu.md").write_text(as_markdown_nlu(nlu))
    (bot / "data" / "stories.md").write_text(WALKTHROUGH_STORIES)
    (bot / "tests" / "test_stories.md").write_text(
        '## e2e\n* greet: hello\n  - utter_greet\n* mood_happy{"mood": "good"}: amazing\n  - utter_happy\n'
        "* goodbye OR greet\n  - slot{\"x\": 1}\n  - utter_goodbye\n"
    )
    for name in ("nlu.yml", "stories.yml"):
        (bot / "data" / name).unlink()
    return bot


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_markdown_bot_passes(markdown_bot):
    assert check_bot(markdown_bot) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("data/stories.md", "* mood_happy\n", "* mood_great\n", "uses intent 'mood_great', which domain.yml does not"),
        ("data/stories.md", "  - utter_happy\n", "  - utter_hapy\n", "'utter_hapy', which has no response"),
        ("data/stories.md", "  - utter_happy\n", "  - action_dance\n", "uses action 'action_dance', which domain"),
        ("tests/test_stories.md", "* greet: hello", "* greeting: hello", "uses intent 'greeting'"),
        ("data/nlu.md", "## intent:goodbye\n- bye\n", "## intent:farewell\n- bye\n", "intent 'farewell'"),
    ],
    ids=["undeclared-intent", "utter-without-response", "undeclared-action", "e2e-test-story", "nlu-intent"],
)
def test_markdown_mistakes_are_reported(markdown_bot, file, old, new, expected):
    edit(markdown_bot / file, old, new)
    problems = check_bot(markdown_bot)
    assert any(expected in problem.what and problem.file == file for problem in problems), problems


def test_too_few_markdown_examples(markdown_bot):
    nlu = markdown_bot / "data" / "nlu.md"
    text = nlu.read_text()
    start = text.index("## intent:bot_challenge")
    end = text.index("##", start + 2)
    nlu.write_text(text[:start] + "## intent:bot_challenge\n- are you a bot?\n\n" + text[end:])
    problems = check_bot(markdown_bot)
    assert [p.what for p in problems] == ["intent 'bot_challenge' has 1 NLU example(s); at least 4 are needed"]

"""The checker reads Rasa's Markdown training data (the 2.x walkthrough format) with the same rules.

A bot baked with rasa_version=2.8 has data/nlu.md, data/stories.md and tests/test_stories.md; here
its stories become the walkthrough's own block, its test stories use every Markdown story form, and
its NLU data gets synonym/regex sections and comments. It must still pass, and the same mistakes
must yield the same problems as in YAML.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
# Comments are ignored, as Rasa ignores them (the second one would otherwise be a bad intent).
NLU_EXTRAS = (
    "\n## synonym:happy\n- glad\n\n## regex:greet\n- hey[^\\s]*\n"
    "<!-- a comment:\n## intent:not_declared\n- ignored\n-->\n"
)


@pytest.fixture
def markdown_bot(bake) -> Path:
    bot = bake(rasa_version="2.8", custom_actions=False, tracker_store="sqlite").path
    (bot / "data" / "stories.md").write_text(WALKTHROUGH_STORIES)
    (bot / "tests" / "test_stories.md").write_text(
        '## e2e\n* greet: hello\n  - utter_greet\n* mood_happy{"mood": "good"}: amazing\n  - utter_happy\n'
        '* goodbye OR greet\n  - slot{"x": 1}\n  - utter_goodbye\n'
    )
    with (bot / "data" / "nlu.md").open("a") as nlu:
        nlu.write(NLU_EXTRAS)
    return bot


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_markdown_bot_passes(markdown_bot):
    assert check_bot(markdown_bot) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "rule", "name"),
    [
        ("data/stories.md", "* mood_happy\n", "* mood_great\n", "D101", "mood_great"),
        ("data/stories.md", "  - utter_happy\n", "  - utter_hapy\n", "D108", "utter_hapy"),
        ("data/stories.md", "  - utter_happy\n", "  - action_dance\n", "D109", "action_dance"),
        ("tests/test_stories.md", "* greet: hello", "* greeting: hello", "D101", "greeting"),
        ("data/nlu.md", "## intent:goodbye\n- bye\n", "## intent:farewell\n- bye\n", "D104", "farewell"),
    ],
    ids=["undeclared-intent", "utter-without-response", "undeclared-action", "e2e-test-story", "nlu-intent"],
)
def test_markdown_mistakes_are_reported(markdown_bot, file, old, new, rule, name):
    edit(markdown_bot / file, old, new)
    line = next(i for i, text in enumerate((markdown_bot / file).read_text().splitlines(), 1) if name in text)
    problems = [p for p in check_bot(markdown_bot) if p.rule == rule]
    assert [(p.file, p.line) for p in problems if f"'{name}'" in p.what] == [(file, line)], problems


@pytest.mark.parametrize(
    ("rasa", "file", "expected"),
    [
        ("3.6.21", "data/nlu.md", "rasa data convert nlu -f yaml --data data/nlu.md --out data"),
        ("3.6.21", "tests/test_stories.md", "rasa data convert core -f yaml --data tests/test_stories.md --out tests"),
    ],
)
def test_markdown_with_rasa_3_is_reported(markdown_bot, rasa, file, expected):
    edit(markdown_bot / "requirements.txt", "rasa==2.8.34", f"rasa=={rasa}")
    problems = [p for p in check_bot(markdown_bot) if p.file == file]
    assert [p.rule for p in problems] == ["D120"]
    assert [p.what for p in problems] == [
        f"is Markdown training data, which Rasa {rasa} ignores (Markdown was removed in 3.0)"
    ]
    assert expected in problems[0].fix


def test_format_version_of_the_other_line_is_reported(markdown_bot):
    edit(markdown_bot / "data" / "rules.yml", 'version: "2.0"', 'version: "3.1"')
    line = (markdown_bot / "data" / "rules.yml").read_text().splitlines().index('version: "3.1"') + 1
    assert [(p.rule, p.file, p.line, p.what) for p in check_bot(markdown_bot)] == [
        ("D121", "data/rules.yml", line, 'declares version: "3.1", but requirements.txt pins rasa==2.8.34')
    ]


def test_too_few_markdown_examples(markdown_bot):
    nlu = markdown_bot / "data" / "nlu.md"
    text = nlu.read_text()
    start = text.index("## intent:bot_challenge")
    end = text.index("##", start + 2)
    nlu.write_text(text[:start] + "## intent:bot_challenge\n- are you a bot?\n\n" + text[end:])
    problems = check_bot(markdown_bot)
    assert [(p.rule, p.level, p.line, p.what) for p in problems] == [
        (
            "D102",
            "warning",
            text[:start].count("\n") + 1,
            "intent 'bot_challenge' has only 1 NLU example(s); 4+ generalise better",
        )
    ]


def test_a_readme_in_data_is_not_training_data(markdown_bot):
    (markdown_bot / "data" / "README.md").write_text("# Data\n\n## How to add an intent\n\n* write examples\n- more\n")
    assert check_bot(markdown_bot) == []


@pytest.mark.parametrize("regex_extractor", [False, True])
def test_markdown_entities_need_an_extractor(markdown_bot, regex_extractor):
    """Rasa 2.8's light pipeline learns annotated entities (CRFEntityExtractor); without it, P107
    names the Markdown file. RegexEntityExtractor covers an entity with a `## lookup:` of its name."""
    edit(markdown_bot / "data" / "nlu.md", "- am I talking to a human?", "- am I talking to a [human](being)?")
    edit(markdown_bot / "domain.yml", "intents:", "entities:\n  - being\n\nintents:")
    assert check_bot(markdown_bot) == []
    config = markdown_bot / "config" / "config.yml"
    edit(config, "  - name: CRFEntityExtractor\n", "  - name: RegexEntityExtractor\n" if regex_extractor else "")
    with (markdown_bot / "data" / "nlu.md").open("a") as nlu:
        nlu.write("\n## lookup:being\n- human\n")
    problems = [(p.rule, p.file) for p in check_bot(markdown_bot)]
    assert problems == ([] if regex_extractor else [("P107", "data/nlu.md")])

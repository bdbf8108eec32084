"""scripts/bot_files.py: where the domain is, how its files merge, NLU examples, Rasa 2.x Markdown.

The merge follows Rasa 3.6's Domain.from_directory: the first file that names an entry wins. The
`rasa` test asks the pinned Rasa itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

import bot_files
import smoke_test
from harness import venvs

BASE = """version: "3.1"
intents:
  - greet
  - goodbye
responses:
  utter_greet:
  - text: "Hello from the first file"
slots:
  mood:
    type: text
    mappings:
    - type: from_text
"""
MORE = """version: "3.1"
intents:
  - greet
  - bot_challenge
responses:
  utter_greet:
  - text: "Hello from the second file"
  utter_iamabot:
  - text: "I am a bot."
slots:
  mood:
    type: bool
    mappings:
    - type: from_text
session_config:
  session_expiration_time: 1
"""


def domain_folder(root: Path) -> Path:
    """domain/base.yml and domain/x/more.yml: os.walk and sorted paths both read base.yml first."""
    (root / "domain" / "x").mkdir(parents=True)
    (root / "domain" / "base.yml").write_text(BASE)
    (root / "domain" / "x" / "more.yml").write_text(MORE)
    return root


def test_domain_paths_prefer_domain_yml_then_the_folder(tmp_path):
    assert bot_files.domain_paths(tmp_path) == ("domain.yml", [])
    domain_folder(tmp_path)
    (tmp_path / "domain" / "x" / "notes.txt").write_text("not YAML")
    assert bot_files.domain_paths(tmp_path) == (
        "domain/",
        [tmp_path / "domain" / "base.yml", tmp_path / "domain" / "x" / "more.yml"],
    )
    (tmp_path / "domain.yml").write_text("intents: [greet]\n")
    assert bot_files.domain_paths(tmp_path) == ("domain.yml", [tmp_path / "domain.yml"])


def test_merge_keeps_the_first_file_s_entries(tmp_path):
    domain = bot_files.read_domain(domain_folder(tmp_path), yaml.safe_load)
    assert domain["intents"] == ["greet", "goodbye", "bot_challenge"]
    assert domain["responses"]["utter_greet"] == [{"text": "Hello from the first file"}]
    assert domain["responses"]["utter_iamabot"] == [{"text": "I am a bot."}]
    assert domain["slots"]["mood"]["type"] == "text"
    assert "session_config" not in domain  # only the first file's other keys, as Rasa does


def test_merge_of_named_entries_with_settings():
    first = {"intents": [{"greet": {"use_entities": []}}, "goodbye"]}
    second = {"intents": ["greet", {"affirm": {"use_entities": True}}]}
    assert bot_files.merge_domain([first, second])["intents"] == [
        {"greet": {"use_entities": []}},
        "goodbye",
        {"affirm": {"use_entities": True}},
    ]


@pytest.mark.rasa
def test_merge_agrees_with_rasa_3_6(bake_once, tmp_path):
    """Rasa's own Domain.from_directory on the same folder picks the same response, slot and intents."""
    venv = venvs.rasa_venv(bake_once(rasa_version="3.6").path)
    script = (
        "import json, sys\n"
        "from rasa.shared.core.domain import Domain\n"
        "d = Domain.from_directory(sys.argv[1]).as_dict()\n"
        "print(json.dumps({'greet': d['responses']['utter_greet'], 'mood': d['slots']['mood']['type'],"
        " 'intents': sorted(next(iter(i)) if isinstance(i, dict) else i for i in d['intents'])}))\n"
    )
    folder = domain_folder(tmp_path) / "domain"
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env=venvs.rasa_env(tmp_path, venv=venv),
    )
    assert result.returncode == 0, result.stderr
    rasa = json.loads(result.stdout.strip().splitlines()[-1])
    ours = bot_files.read_domain(tmp_path, yaml.safe_load)
    assert rasa["greet"][0]["text"] == ours["responses"]["utter_greet"][0]["text"] == "Hello from the first file"
    assert rasa["mood"] == ours["slots"]["mood"]["type"] == "text"
    builtin = {"restart", "back", "out_of_scope", "session_start", "nlu_fallback"}
    assert set(rasa["intents"]) - builtin == {bot_files.entry_name(i) for i in ours["intents"]}


@pytest.mark.parametrize(
    ("value", "examples"),
    [
        ("- hi\n- hello there\n  - indented\nnot an example\n-no space\n", ["hi", "hello there", "indented"]),
        ([{"text": "hi", "metadata": {"x": 1}}, "hello"], ["hi", "hello"]),
        (None, []),
    ],
)
def test_split_examples(value, examples):
    assert bot_files.split_examples(value) == examples


MARKDOWN = """<!-- a comment
that spans lines -->
## intent:greet
- hi
- [Berlin](city) please

## synonym:happy
- glad

## happy path
* greet
  - utter_greet
* mood_happy{"mood": "good"}: amazing
  - slot{"mood": "good"}
  - utter_happy
* goodbye OR greet
  - utter_goodbye
"""


def test_markdown_keeps_lines_examples_and_turns():
    data = bot_files.read_markdown(MARKDOWN)
    assert data.kind == "nlu"
    assert data.examples == {"greet": ["hi", "[Berlin](city) please"]}
    assert data.intent_lines == {"greet": 3}
    (story,) = data.stories
    assert (story.name, story.line) == ("happy path", 10)
    assert story.intents == [("greet", 11), ("mood_happy", 13), ("goodbye", 16), ("greet", 16)]
    assert story.actions == [("utter_greet", 12), ("utter_happy", 15), ("utter_goodbye", 17)]
    assert story.turns[1] == ('"good"}: amazing', ["utter_happy"])


def test_markdown_comment_hides_its_sections():
    data = bot_files.read_markdown("<!--\n## intent:hidden\n- no\n-->\n## intent:shown\n- yes\n")
    assert data.examples == {"shown": ["yes"]} and data.intent_lines == {"shown": 5}


def test_smoke_test_reads_markdown_test_stories_through_bot_files(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_stories.md").write_text(
        "## e2e\n* greet: hello\n  - utter_greet\n* goodbye: bye\n  - utter_goodbye\n"
    )
    stories = smoke_test.conversations(tmp_path)
    assert stories["e2e"] == [
        smoke_test.Turn("hello", ("utter_greet",)),
        smoke_test.Turn("bye", ("utter_goodbye",)),
    ]


def test_smoke_test_reads_a_domain_folder(tmp_path):
    domain = smoke_test.load_domain(domain_folder(tmp_path))
    assert domain["responses"]["utter_greet"] == [{"text": "Hello from the first file"}]

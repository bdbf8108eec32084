"""The two Rasa lines: 3.6 renders YAML, 2.8 renders the walkthrough's Markdown from the same data.

The template holds one copy of the training data (YAML). For 2.8 the post-gen hook writes it as
Markdown with scripts/markdown_data.py; these tests prove the Markdown is the walkthrough's format,
says exactly what the YAML says (read back by the bot checker, one data model for both), and that
each line's files carry that line's format versions, pipeline and images.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from check_bot import FORMAT_VERSIONS, load_bot
from harness.combinations import PINS, TEMPLATE_DIR
from rasa_template import markdown_data

LINES = list(PINS["rasa_lines"])
DEFAULT = {"nlu_pipeline": "light", "tracker_store": "sqlite", "custom_actions": True}

# The walkthrough's data/stories.md and data/nlu.md blocks (docs/rasa-docker-walkthrough.rst),
# with the bot's story names and the custom action the walkthrough adds to the sad path.
WALKTHROUGH_HAPPY_PATH = """## happy path
* greet
  - utter_greet
* mood_happy
  - utter_happy
* goodbye
  - utter_goodbye
"""
WALKTHROUGH_SAD_PATH = """## sad path
* greet
  - utter_greet
* mood_unhappy
  - utter_cheer_up
  - action_joke
* goodbye
  - utter_goodbye
"""
WALKTHROUGH_GREET = """## intent:greet
- hey
- hello
- hi
"""


@pytest.fixture(scope="module", params=[True, False], ids=["actions", "no_actions"])
def both_lines(request, bake_once):
    answers = {**DEFAULT, "custom_actions": request.param}
    return {line: bake_once(**answers, rasa_version=line) for line in LINES}


def test_2_8_renders_the_walkthroughs_markdown(bake_once):
    bot = bake_once(**DEFAULT, rasa_version="2.8")
    stories = bot.text("data/stories.md")
    assert WALKTHROUGH_HAPPY_PATH in stories and WALKTHROUGH_SAD_PATH in stories
    assert WALKTHROUGH_GREET in bot.text("data/nlu.md")
    assert "* greet: hello\n  - utter_greet\n" in bot.text("tests/test_stories.md")  # end-to-end form
    assert "## intent:" not in stories and "* " not in bot.text("data/nlu.md")


def test_both_lines_hold_the_same_bot(both_lines):
    """Intents, examples, stories and test stories read back from YAML (3.6) and Markdown (2.8) agree."""
    models = {line: load_bot(bot.path) for line, bot in both_lines.items()}
    yaml_bot, markdown_bot = models["3.6"], models["2.8"]
    assert markdown_bot.examples == yaml_bot.examples and sum(map(len, yaml_bot.examples.values())) > 50
    strip = [(s.name, s.intents, s.actions) for s in yaml_bot.stories]
    assert [(s.name, s.intents, s.actions) for s in markdown_bot.stories] == strip
    assert sorted(markdown_bot.markdown_files) == ["data/nlu.md", "data/stories.md", "tests/test_stories.md"]
    assert not yaml_bot.markdown_files
    domain_2_8 = both_lines["2.8"].text("domain.yml").replace('"2.0"', '"3.1"').replace("rasa/2.x/", "rasa/3.x/")
    assert domain_2_8 == both_lines["3.6"].text("domain.yml")  # only the format version and docs differ


@pytest.mark.parametrize("line", LINES)
def test_format_versions_and_docs_follow_the_line(bake_once, line):
    bot = bake_once(**DEFAULT, rasa_version=line)
    pins = PINS["rasa_lines"][line]
    versions = {bot.yaml(f).get("version") for f in ("domain.yml", "data/rules.yml")}
    assert versions == {pins["schema_version"]}
    docs = set(re.findall(r"rasa\.com/docs/rasa/([^/\s]+)/", bot.text("domain.yml") + bot.text("config/endpoints.yml")))
    assert docs == {pins["docs"]}
    config = bot.yaml("config/config.yml")
    assert ("recipe" in config) == (line != "2.8")  # recipes and assistant_id came with Rasa 3


def test_checker_knows_each_lines_format_version():
    assert {line.split(".")[0]: pins["schema_version"] for line, pins in PINS["rasa_lines"].items()} == FORMAT_VERSIONS


def test_2_8_pipeline_says_why_light_uses_diet(bake_once):
    bot = bake_once(**DEFAULT, rasa_version="2.8")
    assert "# Rasa 2.8 has no LogisticRegressionClassifier (added in 3.5)" in bot.text("config/config.yml")
    (diet,) = [c for c in bot.yaml("config/config.yml")["pipeline"] if c["name"] == "DIETClassifier"]
    assert diet["number_of_transformer_layers"] == 0 and diet["hidden_layers_sizes"] == {"text": [], "label": []}
    assert "LogisticRegressionClassifier" not in {c["name"] for c in bot.yaml("config/config.yml")["pipeline"]}


def test_2_8_spacy_is_the_walkthroughs_pipeline(bake_once):
    config = bake_once(**{**DEFAULT, "nlu_pipeline": "spacy"}, rasa_version="2.8").yaml("config/config.yml")
    names = [c["name"] for c in config["pipeline"]]
    assert names[:4] == ["SpacyNLP", "SpacyTokenizer", "SpacyFeaturizer", "SklearnIntentClassifier"]


def test_2_8_readme_shows_the_migration(bake_once):
    readme = bake_once(**DEFAULT, rasa_version="2.8").text("README.md")
    for command in ("rasa data convert nlu -f yaml", "rasa data convert core -f yaml", "rasa_version=3.6"):
        assert command in readme, command
    assert "rasa data convert" not in bake_once(**DEFAULT, rasa_version="3.6").text("README.md")


# --- the writer itself: what Markdown cannot say is an error, never dropped silently -----------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"stories": [{"story": "s", "steps": [{"slot_was_set": [{"x": 1}]}]}]}, "cannot hold"),
        ({"stories": [{"story": "s", "steps": [{"or": [{"intent": "a"}, {"intent": "b"}]}]}]}, "cannot hold"),
        ({"stories": [{"story": "s", "steps": [{"checkpoint": "c"}]}]}, "cannot hold"),
        ({"rules": [{"rule": "r", "steps": [{"intent": "a"}]}]}, "rules have no Markdown form"),
    ],
    ids=["slot", "or", "checkpoint", "rules"],
)
def test_unsupported_story_steps_are_refused(content, message):
    with pytest.raises(markdown_data.MarkdownError, match=message):
        markdown_data.stories_markdown(content)


def test_nlu_sections_keep_their_kind():
    content = yaml.safe_load(
        "nlu:\n- synonym: happy\n  examples: |\n    - glad\n- regex: zip\n  examples: |\n    - \\d{5}\n"
        "- lookup: city\n  examples: |\n    - Berlin\n"
    )
    expected = "## synonym:happy\n- glad\n\n## regex:zip\n- \\d{5}\n\n## lookup:city\n- Berlin"
    assert markdown_data.nlu_markdown(content) == expected
    with pytest.raises(markdown_data.MarkdownError):
        markdown_data.nlu_markdown({"nlu": [{"examples": "- x"}]})


def test_smoke_test_reads_the_domain_without_pyyaml(bake_once):
    """`make smoke` may run inside a Rasa image without PyYAML (the official 2.8 one): smoke_test.py
    then reads domain.yml with ruamel.yaml, which every Rasa image has, to the same result."""
    bot = bake_once(**DEFAULT, rasa_version="2.8")
    script = (
        "import json, sys; sys.modules['yaml'] = None; sys.path.insert(0, 'scripts'); import smoke_test; "
        "print(json.dumps(smoke_test.load_domain(smoke_test.BOT_DIR)))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=bot.path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == bot.yaml("domain.yml")


def test_data_markdown_cannot_hold_is_a_clear_error_for_2_8(tmp_path):
    """A fork whose stories use slots still renders for 3.6; for 2.8 the hook says why it cannot."""
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE_DIR, template, ignore=shutil.ignore_patterns(".git", "__pycache__", ".ruff_cache"))
    stories = template / "{{cookiecutter.project_slug}}" / "data" / "stories.yml"
    stories.write_text(
        stories.read_text().replace(
            "- action: utter_happy", "- slot_was_set:\n          - x: 1\n      - action: utter_happy", 1
        )
    )
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path / "out"), str(template)]
    result = subprocess.run([*cookiecutter, "rasa_version=2.8"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ERROR: the training data cannot be written as Rasa 2.x Markdown: story 'happy path'" in result.stderr
    assert "Traceback" not in result.stderr.split("ERROR:")[0]
    assert not (tmp_path / "out" / "mood_bot").exists()

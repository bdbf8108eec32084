"""The checker as a package: rule IDs and --list-rules, --disable, [tool.check_bot] in the bot's
pyproject.toml, line numbers, each file read once, YAML value types, and a house rule that is one
file (the bot README's own example)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

import pytest
from test_check_bot import ACTIONS_AND_DB, EXTRA_ACTION, KUBERNETES, change_yaml, replace

import check_bot
import check_bot.readers
from check_bot import RULES, SettingsError, main
from check_bot import check_bot as run_checker
from check_bot.settings import from_text, from_tomllib

UNDECLARED_INTENT = replace("data/stories.yml", "- intent: mood_happy", "- intent: mood_great")


@pytest.fixture
def bot(bake_once, tmp_path) -> Path:
    """A copy of a baked bot with custom actions and PostgreSQL, free to break."""
    copy = tmp_path / "bot"
    shutil.copytree(bake_once(**ACTIONS_AND_DB).path, copy)
    return copy


def line_with(path: Path, text: str) -> int:
    (number,) = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return number


def test_every_rule_has_an_id_a_level_and_one_line(capsys):
    assert main(["--list-rules"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(RULES) >= 55
    for line, known in zip(listed, sorted(RULES.values(), key=lambda r: r.id)):
        assert re.fullmatch(r"[A-Z]\d{3}  (error  |warning)  \S.*", line), line
        assert line.startswith(known.id) and "\n" not in known.description
    families = {r.id[0] for r in RULES.values()}
    assert families == {"A", "C", "D", "F", "K", "P", "S", "T", "W", "X"}


def test_disable_on_the_command_line(bot, capsys):
    UNDECLARED_INTENT(bot)
    assert main([str(bot)]) == 1
    assert "D101" in capsys.readouterr().err
    assert main([str(bot), "--disable", "D102,D101"]) == 0
    assert main([str(bot), "--disable", "D999"]) == 2
    assert "unknown rule ID(s) to disable: D999" in capsys.readouterr().err


def test_disable_in_the_bot_s_pyproject(bot):
    UNDECLARED_INTENT(bot)
    pyproject = bot / "pyproject.toml"
    assert [p.rule for p in run_checker(bot)] == ["D101"]
    disable_line = "\ndisable = []\n"
    assert pyproject.read_text().count(disable_line) == 1, "the bot's pyproject.toml has the section, empty"
    pyproject.write_text(pyproject.read_text().replace(disable_line, '\ndisable = [\n  "D101",  # on purpose\n]\n'))
    assert run_checker(bot) == []
    assert [p.rule for p in run_checker(bot, disable=[])] == ["D101"]  # an explicit list wins


@pytest.mark.parametrize(
    "text",
    [
        '[tool.check_bot]\ndisable = ["D101", "H101"]\n',
        '[tool.ruff]\nline-length = 120\n\n[tool.check_bot]  # ours\ndisable = [\n  "D101",\n  "H101",  # why\n]\n',
        "[tool.check_bot]\ndisable = ['D101', 'H101']\n[tool.other]\ndisable = [\"X001\"]\n",
    ],
)
def test_the_minimal_pyproject_reader_agrees_with_tomllib(text):
    assert from_text(text) == from_tomllib(text) == ["D101", "H101"]


def test_the_bot_s_own_pyproject_disables_nothing(bake_once):
    text = (bake_once(**ACTIONS_AND_DB).path / "pyproject.toml").read_text()
    assert "[tool.check_bot]" in text
    assert from_text(text) == from_tomllib(text) == []


def test_no_section_means_nothing_disabled():
    assert from_text("[tool.ruff]\nline-length = 120\n") == from_tomllib("[tool.ruff]\nline-length = 120\n") == []


def test_a_disable_that_is_not_a_list_is_refused(bot):
    (bot / "pyproject.toml").write_text('[tool.check_bot]\ndisable = "D101"\n')
    with pytest.raises(SettingsError):
        run_checker(bot)
    with pytest.raises(SettingsError):
        from_text('[tool.check_bot]\ndisable = "D101"\n')


def test_problems_carry_the_line_yaml_gives(bot, capsys):
    UNDECLARED_INTENT(bot)
    (problem,) = run_checker(bot)
    assert problem.line == line_with(bot / "data" / "stories.yml", "- intent: mood_great")
    assert main([str(bot)]) == 1
    assert f"data/stories.yml:{problem.line}: D101 'happy path' uses intent 'mood_great'" in capsys.readouterr().err


def test_an_unlisted_action_class_names_its_line(bot):
    actions = bot / "actions" / "actions.py"
    actions.write_text(actions.read_text() + EXTRA_ACTION)
    (problem,) = run_checker(bot)
    assert (problem.rule, problem.file, problem.line) == (
        "A103",
        "actions/actions.py",
        line_with(actions, "ActionDance"),
    )


def test_a_line_is_within_its_file(bot):
    """Every problem of a badly broken bot points at a line its file has."""
    (bot / "data" / "stories.yml").write_text(
        'version: "3.1"\nstories:\n- story: s\n  steps:\n  - intent: nope\n  - action: utter_nope\n'
        "  - active_loop: no_form\n  - slot_was_set:\n    - no_slot: 1\n"
    )
    problems = run_checker(bot)
    assert {p.rule for p in problems} >= {"D101", "D108", "D118", "D119"}
    for problem in problems:
        assert problem.line is None or 1 <= problem.line <= len((bot / problem.file).read_text().splitlines())
    assert [p.line for p in problems if p.rule in ("D101", "D108", "D118", "D119")] == [5, 6, 7, 8]


def test_repeated_problems_are_all_reported(bot):
    """Two stories with the same mistake are two problems (no de-duplication at the end of a run)."""
    stories = bot / "data" / "stories.yml"
    stories.write_text(stories.read_text().replace("- intent: mood_unhappy", "- intent: mood_great"))
    UNDECLARED_INTENT(bot)
    found = [p for p in run_checker(bot) if p.rule == "D101"]
    assert len(found) == len(re.findall("- intent: mood_great", stories.read_text())) >= 2


def test_each_file_is_read_once(bake_once, monkeypatch):
    bot = bake_once(**KUBERNETES, web_chat=True).path
    opened: Counter = Counter()
    real = check_bot.readers.read_bytes

    def counting(path: Path) -> bytes:
        opened[Path(path).relative_to(bot).as_posix()] += 1
        return real(path)

    monkeypatch.setattr(check_bot.readers, "read_bytes", counting)
    assert run_checker(bot) == []
    assert {"rasa.Dockerfile", "requirements.txt", "domain.yml", "docker-compose.yml"} <= set(opened)
    assert "deploy/kubernetes/base/config/endpoints.yml" in opened
    assert [file for file, count in opened.items() if count > 1] == []


def test_kubernetes_yaml_errors_are_reported_not_swallowed(bake_once, tmp_path):
    bot = tmp_path / "bot"
    shutil.copytree(bake_once(**KUBERNETES).path, bot)
    (bot / "deploy/kubernetes/base/config/endpoints.yml").write_text("tracker_store: [unclosed\n")
    problems = run_checker(bot)
    assert ("F002", "deploy/kubernetes/base/config/endpoints.yml") in {(p.rule, p.file) for p in problems}


# -- T101: values Rasa and Compose read as text ---------------------------------------------------
TEXT_VALUES = {
    "compose-name-null": ("docker-compose.yml", "\nname: null\n", "'name' must be a text, not null"),
    "config-assistant-id-true": ("config/config.yml", "\nassistant_id: true\n", "'assistant_id' must be a text"),
    "config-recipe-number": ("config/config.yml", "\nrecipe: 3.1\n", "'recipe' must be a text, not a number"),
    "endpoint-type-off": ("config/endpoints.yml", "\nnlg:\n  type: off\n", "'nlg.type' must be"),
}


@pytest.mark.parametrize(("relative", "addition", "what"), TEXT_VALUES.values(), ids=TEXT_VALUES.keys())
def test_yaml_keywords_where_text_belongs(bot, relative, addition, what):
    path = bot / relative
    text = path.read_text()
    text = re.sub(r"^(name|assistant_id|recipe):.*\n", "", text, flags=re.M)  # the template's own value
    path.write_text(text + addition)
    (problem,) = run_checker(bot)
    assert (problem.rule, problem.file, problem.level) == ("T101", relative, "error"), problem
    assert what in problem.what
    assert problem.line == len(path.read_text().splitlines()), "the line of the value's key"


def test_image_and_environment_values_must_be_text(bot):
    def change(compose: dict) -> None:
        server = compose["services"]["action_server"]
        server["image"] = None
        server["environment"] = {"DEBUG": True, "PORT": 5055, "FROM_THE_SHELL": None, "NAME": "x"}

    change_yaml("docker-compose.yml", change)(bot)
    found = sorted(p.what.split("'")[1] for p in run_checker(bot))
    assert found == ["services.action_server.environment.DEBUG", "services.action_server.image"]


def test_an_intent_named_by_a_yaml_keyword(bot):
    UNDECLARED_INTENT(bot)
    stories = bot / "data" / "stories.yml"
    stories.write_text(stories.read_text().replace("- intent: mood_great", "- intent: yes"))
    rules = {p.rule for p in run_checker(bot)}
    assert "T101" in rules


# -- P107: which pipelines extract an annotated entity -----------------------------------------
ANNOTATED = replace("data/nlu.yml", "      - am I talking to a human?", "      - am I talking to a [human](being)?")
LOOKUP = "\n  - lookup: being\n    examples: |\n      - human\n      - robot\n"


def pipeline_without_crf(*extra: dict) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "CRFEntityExtractor"] + list(extra)

    return change


@pytest.mark.parametrize(
    ("extra", "lookup", "reported"),
    [
        ((), False, True),
        (({"name": "RegexEntityExtractor"},), True, False),  # a lookup table named like the entity
        (({"name": "RegexEntityExtractor"},), False, True),  # but none is
        (({"name": "DIETClassifier", "entity_recognition": False},), False, True),
        (({"name": "DIETClassifier"},), False, False),
        (({"name": "DucklingEntityExtractor", "dimensions": ["being"]},), False, False),
        (({"name": "addons.extractor.MyExtractor"},), False, False),  # a custom component may extract it
    ],
    ids=["none", "regex-with-lookup", "regex-without", "diet-off", "diet", "duckling-dimension", "custom"],
)
def test_what_extracts_an_annotated_entity(bot, extra, lookup, reported):
    ANNOTATED(bot)
    change_yaml("domain.yml", lambda domain: domain.update(entities=["being"]))(bot)
    change_yaml("config/config.yml", pipeline_without_crf(*extra))(bot)
    if lookup:
        with (bot / "data" / "nlu.yml").open("a") as nlu:
            nlu.write(LOOKUP)
    problems = [p for p in run_checker(bot) if p.rule == "P107"]
    assert len(problems) == reported, problems
    if extra and extra[0].get("entity_recognition") is False:
        assert problems[0].fix.startswith("remove 'entity_recognition: false' under DIETClassifier")


# -- a house rule is one file: the bot README's example ---------------------------------------
def readme_house_rule(bot: Path) -> str:
    readme = (bot / "README.md").read_text()
    section = readme.split("### A house rule is one file", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run_script(bot: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-B", "scripts/check_bot", *args], cwd=bot, capture_output=True, text=True, timeout=60
    )


def test_the_readme_s_house_rule_fires_and_can_be_disabled(bot):
    (bot / "scripts" / "check_bot" / "rules" / "house.py").write_text(readme_house_rule(bot))
    assert run_script(bot).returncode == 0, "the baked bot keeps its replies short"
    assert "H101  error    a response text is longer than 280 characters" in run_script(bot, "--list-rules").stdout

    domain = bot / "domain.yml"
    text = domain.read_text()
    first_text = re.search(r"^(\s+- text: )(.*)$", text, re.M)
    domain.write_text(text.replace(first_text.group(0), first_text.group(1) + '"' + "la " * 100 + '"', 1))
    result = run_script(bot)
    assert result.returncode == 1
    line = line_with(domain, "la la la")
    assert re.search(r"^domain\.yml:\d+: H101 'utter_\w+' has a text of 300 characters$", result.stderr, re.M)
    assert f"domain.yml:{line - 1}: H101" in result.stderr, "the line of the response's name"

    assert run_script(bot, "--disable", "H101").returncode == 0
    pyproject = bot / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("\ndisable = []\n", '\ndisable = ["H101"]\n'))
    assert run_script(bot).returncode == 0

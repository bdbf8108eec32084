"""Generated answers, hostile and careless ones included, fed through a replay file (the path that
skips cookiecutter's own checks): each bake is either refused with `ERROR:` lines that name the
valid answers, leaving nothing behind, or renders a bot whose YAML parses, whose Python compiles and
that passes the checker. Never a traceback from the template's code."""

from __future__ import annotations

import json
from keyword import iskeyword

import yaml
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from check_bot import check_bot, errors
from harness.combinations import CHOICES, COOKIECUTTER_JSON, TEMPLATE_DIR
from rasa_template.answers import CHANNELS, NO, YES
from rasa_template.jinja import AnswerError

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
WRONG_TYPES = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.lists(st.integers(), max_size=2))
SPELLINGS = st.sampled_from(YES + NO).flatmap(lambda word: st.sampled_from([word, word.upper(), f" {word.title()} "]))


def valid(key: str):
    """Answers the template accepts: every choice, every yes/no spelling, any text, slugs that fit."""
    if key in CHOICES and not isinstance(COOKIECUTTER_JSON[key], bool):
        return st.sampled_from(CHOICES[key])
    if key in CHOICES:
        return st.one_of(st.booleans(), SPELLINGS)
    if key == "channels":  # mostly none: a channel adds files to check, not kinds of answer
        return st.one_of(st.just(""), st.lists(st.sampled_from(list(CHANNELS)), unique=True, max_size=3).map(",".join))
    if key == "project_slug":
        return st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True).filter(lambda slug: not iskeyword(slug))
    return ANY_TEXT.filter(str.strip)


def hostile(key: str):
    """Answers it must refuse (or, for free text, survive): wrong types, near-misses, junk."""
    near_misses = st.sampled_from(CHOICES.get(key, ["x"])).map(lambda value: f"{str(value).upper()} ")
    slugs = st.text("ab_\n/-.A9 ", max_size=300)
    return st.one_of(ANY_TEXT, WRONG_TYPES, near_misses, slugs)


KEYS = [key for key in COOKIECUTTER_JSON if not key.startswith("_")]
ANSWERS = st.tuples(
    st.fixed_dictionaries({key: valid(key) for key in KEYS}),
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(KEYS).flatmap(hostile), max_size=2),
).map(lambda pair: {**pair[0], **pair[1]})


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(answers=ANSWERS)
def test_any_answers_are_refused_clearly_or_make_a_valid_bot(tmp_path_factory, answers):
    folder = tmp_path_factory.mktemp("bake")
    replay_file = folder / "answers.json"
    replay_file.write_text(json.dumps({"cookiecutter": answers}), encoding="utf-8")
    out = folder / "out"
    try:
        bot = cookiecutter(str(TEMPLATE_DIR), replay=str(replay_file), output_dir=str(out))
    except AnswerError as error:
        event("refused")
        lines = str(error).splitlines()
        assert lines and all(line.startswith("ERROR: ") and line.rstrip().endswith(".") for line in lines), lines
        for key, choices in CHOICES.items():
            if any(line.startswith(f"ERROR: {key}=") and "is not one of the choices" in line for line in lines):
                assert " | ".join(choices) in str(error)
        assert not out.exists() or list(out.rglob("*")) == [], "a refused bake left files behind"
        return
    event("rendered")
    for path in (p for p in out.rglob("*") if p.is_file()):
        if path.suffix in (".yml", ".yaml") and "deploy" not in path.parts:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        elif path.suffix == ".py":
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
    assert errors(check_bot(bot)) == []

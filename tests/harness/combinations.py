"""The answer combinations the tests bake, derived from cookiecutter.json.

Like cookiecutter-data-science: the full product of the choices, filtered by `is_valid`, which
states independently of the hooks which combinations the template supports. The fast tier bakes
all of them; the slow tiers use `pairwise`, a small set covering every pair of values.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[2]
COOKIECUTTER_JSON = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
PINS = COOKIECUTTER_JSON["_pins"]

# Every prompt with a finite set of answers.
CHOICES: dict[str, list] = {
    key: value if isinstance(value, list) else [True, False]
    for key, value in COOKIECUTTER_JSON.items()
    if not key.startswith("_") and (isinstance(value, list) or isinstance(value, bool))
}
DATABASE_STORES = {"postgres", "redis", "mongo"}
# Prompts that change a few files only: the full product keeps their default (six languages, the
# chat page, Duckling and the event broker would multiply it by 48); secondary_combinations() bakes each of their other
# values with every value of every other prompt.
LANGUAGE = "language"
DEFAULT_LANGUAGE = CHOICES[LANGUAGE][0]
SECONDARY = {LANGUAGE: DEFAULT_LANGUAGE, **{key: COOKIECUTTER_JSON[key] for key in ("web_chat", "duckling")}}
SECONDARY["starter_skill"] = COOKIECUTTER_JSON["starter_skill"][0]
SECONDARY["event_broker"] = COOKIECUTTER_JSON["event_broker"][0]
SPACY_LANGUAGES = set(PINS["spacy_models"])  # official rasa/rasa:*-spacy-<lang> images


def is_valid(answers: dict) -> bool:
    """The supported combinations: mongo-express only makes sense beside MongoDB, spaCy needs an
    official image for the language, the form starter needs YAML data (Rasa 3.6), and Kubernetes
    replicas need a tracker store they can share (a database server)."""
    if answers["mongo_express"] and answers["tracker_store"] != "mongo":
        return False
    if answers["nlu_pipeline"] == "spacy" and answers[LANGUAGE] not in SPACY_LANGUAGES:
        return False
    if answers.get("starter_skill") == "form" and answers["rasa_version"] == "2.8":  # a secondary prompt
        return False
    return not (answers["kubernetes"] and answers["tracker_store"] not in DATABASE_STORES)


# Valid answers the real-Rasa tier cannot run on this kind of machine, and why (conftest.py prints
# them in pytest's header, so CI logs say what is not proven).
REAL_RASA_EXCLUDED = [
    ({"rasa_version": "2.8", "nlu_pipeline": "spacy"},
     "Rasa 2.8 needs spaCy 3.1 and an en_core_web_* model for it; none is installable here (no such "
     "model is on PyPI), and the tier's 3.6 stand-in model needs spaCy 3.6"),
]  # fmt: skip

# Answers the Docker tier (test_docker_e2e.py) leaves out, and why; the real-Rasa tier runs each of
# them (MongoDB through a wire-protocol emulator).
DOCKER_NOT_COVERED = {
    "tracker_store": {
        "mongo": "no MongoDB server is installable here, so no honest stand-in image exists",
        "in_memory": "it adds no service, volume or mount to Compose; the real tier proves on both lines "
        "that a restart forgets the conversation",
    },
    "nlu_pipeline": {
        "spacy": "the rasa/rasa:*-spacy-<language> images carry models that are not installable here",
        "diet": "its rasa.Dockerfile and Compose file equal light's, and the stand-in image carries the "
        "real tier's venv, so here it would only train longer; the real tier trains DIET on both lines",
    },
}


def runs_real_rasa_here(answers: dict) -> bool:
    """Not excluded above, and no deployment-only extra (mongo-express, Kubernetes)."""
    excluded = any(all(answers[key] == value for key, value in rule.items()) for rule, _ in REAL_RASA_EXCLUDED)
    return not (excluded or answers["mongo_express"] or answers["kubernetes"])


def all_combinations(**fixed: list) -> list[dict]:
    """The product of the choices, secondary prompts at their default unless `fixed` says otherwise."""
    choices = {**CHOICES, **{key: [value] for key, value in SECONDARY.items()}, **fixed}
    return [dict(zip(choices, values)) for values in itertools.product(*choices.values())]


def secondary_combinations() -> list[dict]:
    """Valid combinations with a secondary prompt off its default: each such value with the default
    answers, then greedily more until every (that value, value of another prompt) pair is covered."""
    defaults = {key: COOKIECUTTER_JSON[key] if isinstance(COOKIECUTTER_JSON[key], bool) else values[0]
                for key, values in CHOICES.items()}  # fmt: skip
    chosen: list[dict] = []
    for key, default in SECONDARY.items():
        others = [value for value in CHOICES[key] if value != default]
        candidates = [a for a in all_combinations(**{key: others}) if is_valid(a)]
        chosen += [{**defaults, key: value} for value in others]

        def pairs(answers: dict, key=key) -> set:
            return {(answers[key], other, answers[other]) for other in CHOICES if other != key}

        needed = set().union(*(pairs(a) for a in candidates)) - set().union(*(pairs(a) for a in chosen))
        while needed:
            best = max(candidates, key=lambda a: len(pairs(a) & needed))
            chosen.append(best)
            needed -= pairs(best)
    return chosen


def valid_combinations() -> list[dict]:
    return [answers for answers in all_combinations() if is_valid(answers)]


def baked_combinations() -> list[dict]:
    """What the fast tier bakes: the valid full product, then the secondary prompts' other values."""
    return valid_combinations() + secondary_combinations()


def invalid_combinations() -> list[dict]:
    return [answers for answers in all_combinations() if not is_valid(answers)]


def pairwise(combinations: list[dict], keys: list[str] | None = None) -> list[dict]:
    """A greedy covering array: few combinations that still hold every pair of values of `keys`
    found in `combinations`. The greedy pick can leave an early choice redundant: those are dropped."""
    keys = keys or list(CHOICES)
    wanted = set().union(*(_pairs(combo, keys) for combo in combinations))
    needed = set(wanted)
    chosen: list[dict] = []
    while needed:
        best = max(combinations, key=lambda c: len(_pairs(c, keys) & needed))
        chosen.append(best)
        needed -= _pairs(best, keys)
    for combo in chosen[::-1]:
        rest = [other for other in chosen if other is not combo]
        if set().union(*(_pairs(other, keys) for other in rest)) == wanted:
            chosen = rest
    return chosen


def _pairs(combo: dict, keys: list[str]) -> set:
    return {((a, combo[a]), (b, combo[b])) for a, b in itertools.combinations(keys, 2)}


def combo_id(answers: dict) -> str:
    return "-".join(
        (key if value else f"no_{key}") if isinstance(value, bool) else str(value) for key, value in answers.items()
    )

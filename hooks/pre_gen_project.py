"""Reject answers that cannot make a working bot, before cookiecutter writes anything.

Each error says what to answer instead. Jinja appears only inside `tojson` below, so this file is
valid Python before rendering too.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Tracker stores that several Rasa pods can share (a file or memory lives in one pod only).
SHARED_STORES = ("postgres", "redis", "mongo")


def rendered_answers() -> dict:
    """The user's answers, injected by cookiecutter as a JSON string."""
    return json.loads({{ cookiecutter | tojson | tojson }})


def slug_errors(slug: str) -> list[str]:
    if not slug:
        return ["project_slug is empty: answer a name such as 'mood_bot'."]
    if not SLUG_PATTERN.match(slug):
        return [
            f"project_slug {slug!r} is not usable as a folder and Docker project name: use 1-63 "
            "lowercase letters, digits and underscores, starting with a letter (e.g. 'mood_bot')."
        ]
    if keyword.iskeyword(slug):
        return [f"project_slug {slug!r} is a Python keyword: answer e.g. '{slug}_bot'."]
    return []


def combination_errors(answers: dict) -> list[str]:
    errors = []
    if answers["mongo_express"] and answers["tracker_store"] != "mongo":
        errors.append(
            f"mongo_express=yes needs tracker_store=mongo (you chose {answers['tracker_store']!r}): "
            "answer mongo_express=no, or tracker_store=mongo."
        )
    if answers["kubernetes"] and answers["tracker_store"] not in SHARED_STORES:
        errors.append(
            f"kubernetes=yes runs several Rasa replicas, which must share one tracker store; "
            f"tracker_store={answers['tracker_store']!r} keeps conversations inside one pod: answer "
            f"tracker_store={' | '.join(SHARED_STORES)}, or kubernetes=no."
        )
    spacy_languages = answers["_pins"]["spacy_models"]  # the official rasa/rasa:*-spacy-<lang> images
    if answers["nlu_pipeline"] == "spacy" and answers["language"] not in spacy_languages:
        errors.append(
            f"nlu_pipeline=spacy runs on an official rasa/rasa:*-spacy-<lang> image, which exists for "
            f"language={' | '.join(spacy_languages)} only (you chose {answers['language']!r}): answer "
            f"nlu_pipeline=light | diet, or language={' | '.join(spacy_languages)}."
        )
    if not answers["project_name"].strip():
        errors.append("project_name is empty: answer a name such as 'Mood Bot'.")
    return errors


def main() -> int:
    answers = rendered_answers()
    errors = slug_errors(answers["project_slug"]) + combination_errors(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

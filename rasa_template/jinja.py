"""The Jinja extension cookiecutter loads (`_extensions` in cookiecutter.json).

Every template sees `cookiecutter` with the derived values of `answers.with_derived` added, so no
file recomputes them; `default_slug` derives project_slug from project_name. Once the answers
are complete, they are validated before cookiecutter
writes anything (the first thing it renders is the project folder's name).
"""

from __future__ import annotations

import json

from cookiecutter.exceptions import FailedHookException
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.ext import Extension
from jinja2.runtime import Context

from rasa_template import answers


class AnswerError(FailedHookException):
    """Bad answers. A FailedHookException, so cookiecutter's command line prints the message
    alone (no traceback) and exits 1, as for a failing hook."""


class _AnswersContext(Context):
    def resolve_or_missing(self, key):  # Jinja's documented hook for custom variable lookup
        value = super().resolve_or_missing(key)
        if key != "cookiecutter" or not isinstance(value, dict):
            return value
        # Validated and derived once per set of answers, not at each of the ~40 lookups of a render.
        cache = self.environment.derived_answers
        cache_key = json.dumps(value, sort_keys=True, default=str)
        if cache_key not in cache:
            cache[cache_key] = _validated_and_derived(value)
        return cache[cache_key]


def _validated_and_derived(value: dict) -> dict:
    if answers.is_complete(value):
        problems = answers.errors(value)
        if problems:
            raise AnswerError("\n".join(f"ERROR: {problem}" for problem in problems))
    return answers.with_derived(value)


class _CompiledTemplates(BytecodeCache):
    """Jinja's documented cache of compiled templates, kept in memory for the process: cookiecutter
    builds a new environment per render, so a process that renders many bots (the tests, a replay
    loop) would compile every file again. A bucket's key holds the file's name and a checksum of its
    source, so an edited file is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


class DerivedAnswers(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.bytecode_cache = COMPILED_TEMPLATES
        environment.context_class = _AnswersContext
        environment.derived_answers = {}  # json of the answers -> with_derived(answers)
        environment.filters["default_slug"] = answers.default_slug
        environment.filters["yaml_string"] = yaml_string


def yaml_string(text: str) -> str:
    """A text as a double-quoted YAML scalar (JSON is valid YAML); non-ASCII letters stay readable."""
    return json.dumps(text, ensure_ascii=False)

"""Check that a Rasa bot's files agree with each other, without Rasa installed.

Catches what `rasa train` or `rasa run` would fail on late (or, worse, accept silently): intents,
entities, slots, forms and actions used but not declared, `utter_` actions without a response,
custom actions with no implementation, endpoints pointing at services docker-compose.yml does not
run, a pipeline the Rasa image cannot run, versions that disagree, YAML keywords where text
belongs. Each problem names the file, the line where YAML gives it, the rule ID, what is wrong and
how to fix it.

Two levels. An *error* means the bot will fail to train, fail to start or behave wrongly: the
check fails. A *warning* is advice (few NLU examples, an unused service): printed, and the check
still passes, unless you ask for --strict.

    python3 scripts/check_bot [--strict] [--disable ID,...] [--list-rules] [BOT_DIR]

Layout: cli.py (the command line), run.py (one run), core.py (Problem, the rule registry),
readers.py (bounded readers, each file read once), load.py and model.py (the bot), settings.py
([tool.check_bot] in pyproject.toml), rules/ (one module per concern; a new rule is one new
file). Needs only the standard library and PyYAML.
"""

from __future__ import annotations

import sys

try:
    import yaml  # noqa: F401
except ImportError:  # pragma: no cover - exercised by hand only
    sys.exit("scripts/check_bot needs PyYAML: pip install pyyaml (it comes with cookiecutter and Rasa).")

from .cli import main
from .core import RULES, Problem, errors, rule
from .deploy import endpoint_hosts, without_host
from .load import load_bot
from .model import Bot, Story
from .run import check_bot, rule_table
from .settings import SettingsError
from .tables import DUCKLING_IMAGE, FORMAT_VERSIONS, MIN_EXAMPLES_PER_INTENT

__all__ = [
    "DUCKLING_IMAGE",
    "FORMAT_VERSIONS",
    "MIN_EXAMPLES_PER_INTENT",
    "RULES",
    "Bot",
    "Problem",
    "SettingsError",
    "Story",
    "check_bot",
    "endpoint_hosts",
    "errors",
    "load_bot",
    "main",
    "rule",
    "rule_table",
    "without_host",
]

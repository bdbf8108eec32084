"""Test support of the template: venvs (the pinned toolchains), bots (baking), processes,
rasa_cli, rasa_servers, stores and mongo (the emulator). Importing it puts the bot template's
scripts/ on sys.path, so `check_bot` and `smoke_test` are the very files every bot ships."""

import sys

from combinations import TEMPLATE_DIR

BOT_SCRIPTS = str(TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "scripts")
if BOT_SCRIPTS not in sys.path:
    sys.path.insert(0, BOT_SCRIPTS)

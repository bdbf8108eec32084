"""Test support of the template: venvs (the pinned toolchains), bots (baking), processes,
rasa_cli, rasa_servers, stores and mongo (the emulator). Importing it puts the bot template's
scripts/ on sys.path, so `check_bot`, `smoke_test`, `rasa_http` (the HTTP client) and
`process_group` (start and stop servers) are the very files every bot ships."""

import os
import sys

from .combinations import TEMPLATE_DIR

BOT_SCRIPTS = str(TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "scripts")
if BOT_SCRIPTS not in sys.path:
    sys.path.insert(0, BOT_SCRIPTS)


def fail_or_skip(tier: str, reason: str) -> None:
    """Never a silent skip: a tier whose prerequisite is missing fails in CI, skips with why elsewhere."""
    import pytest  # only tests call this

    if os.environ.get("CI"):
        pytest.fail(f"the {tier} cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"{tier} skipped (set CI=1 to fail instead): {reason}")

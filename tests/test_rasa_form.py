"""Real Rasa 3.6: the form starter (starter_skill=form) validates, trains and passes its test stories,
and its validation action's own tests pass. One light bot, in German (the texts of a language other
than English); about 20 s. The conversation over REST with a live action server, in every language
of Rasa 3.6 (a bad rating asked again), is test_rasa_languages.py's.
"""

from __future__ import annotations

import re

import pytest
from test_rasa_e2e import unexpected_lines

from harness import rasa_cli, venvs
from harness.bots import prepare

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def form_bot(tmp_path_factory):
    answers = {"rasa_version": "3.6", "nlu_pipeline": "light", "starter_skill": "form", "language": "de"}
    try:
        return prepare(answers, tmp_path_factory.mktemp("form"))
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)


# Rasa 3.6's validator counts only stories and rules: the form fills its slots from these intents and
# asks with these responses, and validate_feedback_form says utter_invalid_rating.
USED_BY_THE_FORM = re.compile(
    r"UserWarning: The (intent '(rate|affirm|deny)'|utterance '(utter_ask_rating|utter_ask_recommend|"
    r"utter_invalid_rating)') is not used in any story or rule\.$"
)


def test_form_data_validates_and_its_test_stories_pass(form_bot, tmp_path):
    validated = rasa_cli.validate(form_bot).check()
    warned = [line for line in unexpected_lines(validated.output) if not USED_BY_THE_FORM.search(line)]
    assert warned == [], f"rasa data validate warned:\n{validated.tail()}"
    results = rasa_cli.run_test_stories(form_bot, rasa_cli.train(form_bot, tmp_path / "models"), tmp_path / "out")
    assert results.passed and not results.warned, results.summary()
    assert results.stories == 4, results.summary()  # the walkthrough's three and "feedback form"


def test_validation_action_tests_pass(form_bot):
    result = rasa_cli.run(form_bot, "python", "-m", "pytest", "tests/test_forms.py", "-p", "no:cacheprovider")
    summary = result.check().output.strip().splitlines()[-1]
    assert "passed" in summary and "failed" not in summary and "error" not in summary, summary

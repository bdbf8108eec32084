"""The feedback form's validation: Rasa calls validate_feedback_form after each answer.

Docs: https://rasa.com/docs/rasa/3.x/forms#validating-form-input
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

RATINGS = range(1, 6)


def rating_of(text: str, numbers: list[Any]) -> int | None:
    """The rating a message gives: Duckling's number when the pipeline has Duckling, else the first
    whole number in the text. None when it is not a whole number from 1 to 5."""
    found = [str(n) for n in numbers] or re.findall(r"-?\d+(?:[.,]\d+)?", text)
    try:
        value = float(found[0].replace(",", ".")) if found else None
    except ValueError:
        return None
    return int(value) if value is not None and value.is_integer() and int(value) in RATINGS else None


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_rating(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Keep a rating from 1 to 5; otherwise say so, and the form asks again."""
        rating = rating_of(str(slot_value or ""), list(tracker.get_latest_entity_values("number")))
        if rating is None:
            dispatcher.utter_message(response="utter_invalid_rating")
            return {"rating": None}
        return {"rating": str(rating)}

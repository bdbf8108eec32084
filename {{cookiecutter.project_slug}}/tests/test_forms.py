"""Unit tests of the feedback form's validation: `pytest tests` (or `make test`)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateFeedbackForm, rating_of


def tracker(text: str, entities: list[dict] | None = None) -> Tracker:
    message = {"text": text, "entities": entities or [], "intent": {"name": "rate"}}
    return Tracker("test-user", {"requested_slot": "rating"}, message, [], False, None, {}, "action_listen")


@pytest.mark.parametrize(("text", "rating"), [("4", 4), ("I'd give you a 3", 3), ("5 out of 5", 5), ("1.0", 1)])
def test_a_rating_from_1_to_5_is_kept(text, rating) -> None:
    assert rating_of(text, []) == rating


@pytest.mark.parametrize("text", ["0", "6", "10", "-3", "4.5", "great", ""])
def test_anything_else_is_no_rating(text) -> None:
    assert rating_of(text, []) is None


def test_duckling_s_number_wins_over_the_digits() -> None:
    assert rating_of("four, not 9", [4]) == 4


def test_an_invalid_rating_is_said_and_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    slots = ValidateFeedbackForm().validate_rating("9", dispatcher, tracker("9"), {})
    assert slots == {"rating": None}  # the form asks for the rating again
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_rating"]


def test_a_valid_rating_is_kept_quietly() -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateFeedbackForm().validate_rating("4 stars", dispatcher, tracker("4 stars"), {}) == {"rating": "4"}
    assert dispatcher.messages == []

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

SUBMIT_BOOKING = "action_submit_booking"
CUISINES = ["thai", "italian", "mexican", "chinese", "indian", "veggie"]


class ValidateRestaurantForm(FormValidationAction):
    def name(self) -> str:
        return "validate_restaurant_form"

    def validate_cuisine(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if str(slot_value).lower() in CUISINES:
            return {"cuisine": str(slot_value).lower()}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
        try:
            number = float(words.get(str(slot_value).lower(), slot_value))
        except ValueError:
            return {"num_people": None}
        return {"num_people": number if number > 0 else None}


class AskForNumPeople(Action):
    def name(self) -> str:
        return "action_ask_num_people"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text=f"For how many people, {tracker.get_slot('cuisine')} lover?")
        return []


class SubmitBooking(Action):
    def name(self) -> str:
        return SUBMIT_BOOKING

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        return []

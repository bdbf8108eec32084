from typing import Any, Dict, List

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ValidateRestaurantForm(FormValidationAction):
    """Example of a form validation action."""

    def name(self) -> str:
        return "validate_restaurant_form"

    @staticmethod
    def cuisine_db() -> List[str]:
        """Database of supported cuisines."""
        return ["caribbean", "chinese", "french", "greek", "indian", "italian", "mexican"]

    @staticmethod
    def is_int(string: str) -> bool:
        """Check if a string is an integer."""
        try:
            int(string)
            return True
        except ValueError:
            return False

    def validate_cuisine(
        self, value: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate cuisine value."""
        if value.lower() in self.cuisine_db():
            return {"cuisine": value}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(
        self, value: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate num_people value."""
        if self.is_int(value) and int(value) > 0:
            return {"num_people": value}
        dispatcher.utter_message(response="utter_wrong_num_people")
        return {"num_people": None}

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionSessionStart(Action):
    """Rasa's default session start, plus remembering that the user came back."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        returning = any(event.get("event") == "session_started" for event in tracker.events)
        return [SessionStarted(), SlotSet("returning_user", returning), ActionExecuted("action_listen")]

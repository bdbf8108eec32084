import datetime
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ReminderScheduled
from rasa_sdk.executor import CollectingDispatcher

SET_REMINDER = "action_set_reminder"


class ActionSetReminder(Action):
    def name(self) -> str:
        return SET_REMINDER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="I will remind you in 5 seconds.")
        when = datetime.datetime.now() + datetime.timedelta(seconds=5)
        return [ReminderScheduled("EXTERNAL_reminder", trigger_date_time=when, name="call", kill_on_user_message=False)]


class ActionReactToReminder(Action):
    def name(self) -> str:
        return "action_react_to_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="Remember to call!")
        return []

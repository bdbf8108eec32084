import datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ReminderScheduled
from rasa_sdk.executor import CollectingDispatcher

SET_REMINDER = "action_set_reminder"


class ActionSetReminder(Action):
    def name(self) -> Text:
        return SET_REMINDER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="I will remind you in 5 seconds.")
        when = datetime.datetime.now() + datetime.timedelta(seconds=5)
        return [ReminderScheduled("EXTERNAL_reminder", trigger_date_time=when, name="call", kill_on_user_message=False)]


class ActionReactToReminder(Action):
    def name(self) -> Text:
        return "action_react_to_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="Remember to call!")
        return []

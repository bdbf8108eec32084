"""Custom actions, run by the action server (`rasa run actions`, or the action_server container).

Docs: https://rasa.com/docs/rasa/3.x/custom-actions
"""

from __future__ import annotations

import json
import logging
import os
import random
import urllib.request
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

# Answered offline, so the bot works without internet access: one joke per line of jokes.txt,
# in the bot's language. Edit that file to change them.
JOKES_FILE = Path(__file__).with_name("jokes.txt")


def local_jokes(path: Path = JOKES_FILE) -> list[str]:
    """The non-empty lines of jokes.txt."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Optional: a JSON endpoint answering {"joke": "..."}; set JOKE_API_URL to use it.
JOKE_API_TIMEOUT_SECONDS = 2.0


def fetch_joke(url: str, timeout: float = JOKE_API_TIMEOUT_SECONDS) -> str | None:
    """Return a joke from the optional joke API, or None when it fails in any way."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            joke = json.load(response).get("joke")
    except (OSError, ValueError, AttributeError) as error:
        logger.warning("Joke API %s failed (%s); using a local joke.", url, error)
        return None
    return joke if isinstance(joke, str) and joke.strip() else None


def pick_joke() -> str:
    """A joke from JOKE_API_URL when it answers in time, else one of the local jokes."""
    url = os.environ.get("JOKE_API_URL", "").strip()
    return (fetch_joke(url) if url else None) or random.choice(local_jokes())


class ActionJoke(Action):
    """Cheers the user up with a joke (the walkthrough's action_joke)."""

    def name(self) -> str:
        return "action_joke"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=pick_joke())
        return []

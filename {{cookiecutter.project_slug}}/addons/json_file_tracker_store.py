"""A custom tracker store: one JSON file per conversation, in a folder.

Rasa loads it from config/endpoints.yml (`type: addons.json_file_tracker_store.JsonFileTrackerStore`);
docker-compose.yml mounts addons/ into the Rasa container and keeps the folder in a volume.
It is a starting point for your own store (an in-house database, an audit log, ...): keep the
methods, change where the text goes. Docs: https://rasa.com/docs/rasa/3.x/tracker-stores

Works with Rasa 3.x, whose store methods are coroutines, and Rasa 2.x, whose are plain
functions: the file work is shared, only the three entry points differ (see ASYNC_API).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote, unquote

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

try:  # Rasa 3.x: serialise_tracker lives in a mixin, save/retrieve/keys are async.
    from rasa.core.tracker_store import SerializedTrackerAsText

    ASYNC_API = True
except ImportError:  # Rasa 2.x: TrackerStore serialises itself, save/retrieve/keys are sync.
    SerializedTrackerAsText = object
    ASYNC_API = False

logger = logging.getLogger(__name__)


class JsonFileTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Stores each conversation as <directory>/<quoted sender id>.json, written atomically."""

    def __init__(
        self,
        domain: Domain | None = None,
        directory: str = "state/conversations",
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url as `host`; a folder needs none.
        super().__init__(domain, event_broker, **kwargs)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        logger.info("Storing conversations as JSON files in %s", self.directory.resolve())

    def _path(self, sender_id: str) -> Path:
        return self.directory / f"{quote(sender_id, safe='')}.json"

    def _write(self, tracker: DialogueStateTracker) -> None:
        """Write the whole conversation to its file (a temp file renamed over it)."""
        text = self.serialise_tracker(tracker)
        handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, self._path(tracker.sender_id))

    def _read(self, sender_id: str) -> DialogueStateTracker | None:
        """The stored conversation, or None when this sender has none yet."""
        path = self._path(sender_id)
        if not path.is_file():
            return None
        return self.deserialise_tracker(sender_id, path.read_text(encoding="utf-8"))

    def _keys(self) -> Iterable[str]:
        """The sender ids of every stored conversation."""
        return [unquote(path.stem) for path in self.directory.glob("*.json")]

    if ASYNC_API:  # Rasa 3.x

        async def save(self, tracker: DialogueStateTracker) -> None:
            await self.stream_events(tracker)
            self._write(tracker)

        async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
            return self._read(sender_id)

        async def keys(self) -> Iterable[str]:
            return self._keys()

    else:  # Rasa 2.x

        def save(self, tracker: DialogueStateTracker) -> None:
            if self.event_broker:  # 2.x stream_events fails without a broker
                self.stream_events(tracker)
            self._write(tracker)

        def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
            return self._read(sender_id)

        def keys(self) -> Iterable[str]:
            return self._keys()

"""Rasa's socketio channel, made to work with every python-socketio 5.x.

Rasa 3.6.21 and 2.8.34 call `sio.enter_room(...)` without `await` when session_persistence is on.
From python-socketio 5.10 on, `AsyncServer.enter_room` is a coroutine: the room is never joined
and the chat gets no replies (RasaHQ/rasa#13027, unfixed in these releases).

Why a subclass here, and not a pin: the lock pins python-socketio 5.9.0, but the official image,
or any image a user swaps in, may bring a newer one. This file ships with the bot (rasa.Dockerfile
copies it), so the fix goes wherever the bot goes. It replaces only the `session_request` handler
and awaits `enter_room` when it returns a coroutine: it works on 5.9 (plain call), on 5.10+
(coroutine), and on a Rasa that fixes the bug itself. Patching `AsyncServer.enter_room` globally
would break such a fixed Rasa (it would await a plain value).

scripts/rasa_run.py puts this class in place of Rasa's built-in `socketio` channel, so
config/credentials.yml keeps the name `socketio:` that Rasa's docs and the bot checker know.
"""

import inspect
import logging
import uuid

from rasa.core.channels import BUILTIN_CHANNELS
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput

logger = logging.getLogger(__name__)


class SocketIOInput(RasaSocketIOInput):
    """The socketio channel whose session_request joins the session's room on any python-socketio 5.x."""

    def blueprint(self, on_new_message):
        webhook = super().blueprint(on_new_message)
        sio = self.sio  # set by Rasa's blueprint(), on both lines

        async def session_request(sid, data):
            # Rasa's handler (the default namespace, as its output channel uses), with one fix:
            # await enter_room when it is a coroutine.
            data = data if isinstance(data, dict) else {}
            if data.get("session_id") is None:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, data["session_id"])
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", data["session_id"], room=sid)
            logger.debug(f"User {sid} connected to socketIO endpoint.")

        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return webhook


def install() -> None:
    """Make `socketio:` in credentials.yml mean this channel (Rasa looks names up in BUILTIN_CHANNELS)."""
    BUILTIN_CHANNELS[RasaSocketIOInput.name()] = SocketIOInput

"""A baked bot's channels served by Rasa 3.6's own code, in the Rasa venv, without a model.

    <rasa venv>/bin/python channel_server.py BOT_DIR PORT TRACKER_DB

It builds the channels of BOT_DIR/config/credentials.yml as `rasa run` does (the bot's launcher
installs its own channel classes first; Rasa's create_http_input_channels and register), on a Sanic
server on 127.0.0.1:PORT. Instead of a trained model, each message Rasa's channel hands over is
written to a real SQLTrackerStore (SQLite file TRACKER_DB) and answered "echo: <text>" (the text
"buttons": one button) through the channel's own output, so a reply reaches the platform's API
(a stand-in, from the environment).
What it cannot prove: NLU and dialogue (no model), and the platforms' real servers.

TWILIO_API_URL, SLACK_API_URL, FACEBOOK_API_URL (test only): the REST base URLs of the twilio,
slack_sdk and fbmessenger clients, which Rasa's channels build with the platforms' addresses and no
setting to change them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BOT, PORT, TRACKER_DB = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, str(BOT / "scripts"))

if os.environ.get("TWILIO_API_URL"):
    from twilio.base.domain import Domain

    domain_init = Domain.__init__
    Domain.__init__ = lambda self, twilio, url: domain_init(self, twilio, os.environ["TWILIO_API_URL"])

if os.environ.get("SLACK_API_URL"):
    from slack_sdk.web.async_client import AsyncWebClient

    client_init = AsyncWebClient.__init__
    AsyncWebClient.__init__ = lambda self, *args, **kwargs: client_init(
        self, *args, **{**kwargs, "base_url": os.environ["SLACK_API_URL"]}
    )

if os.environ.get("FACEBOOK_API_URL"):
    from fbmessenger import MessengerClient

    messenger_init = MessengerClient.__init__

    def graph_at_stand_in(self, *args, **kwargs) -> None:
        messenger_init(self, *args, **kwargs)
        self.graph_url = os.environ["FACEBOOK_API_URL"]

    MessengerClient.__init__ = graph_at_stand_in

from rasa.core.channels.channel import register  # noqa: E402
from rasa.core.run import create_http_input_channels  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain as RasaDomain  # noqa: E402
from rasa.shared.core.events import UserUttered  # noqa: E402
from sanic import Sanic  # noqa: E402

# What the bot's launcher installs (scripts/rasa_run.py), then Rasa's own channel factory.
from socketio_channel import install  # noqa: E402

install()
if (BOT / "scripts" / "secure_channels.py").is_file():
    from secure_channels import install as install_secure_channels

    install_secure_channels()


class EchoAgent:
    """In place of a model: store the user's message in the tracker store, answer through the channel."""

    def __init__(self) -> None:
        self.store = SQLTrackerStore(RasaDomain.empty(), dialect="sqlite", db=TRACKER_DB)

    async def handle_message(self, message) -> None:
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        await self.store.save(tracker)
        if message.text == "buttons":  # one reply with a button, for the channels that carry them
            buttons = [{"title": "Great", "payload": "/mood_great"}]
            await message.output_channel.send_text_with_buttons(message.sender_id, "How are you?", buttons)
        else:
            await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


channels = create_http_input_channels(None, str(BOT / "config" / "credentials.yml"))
app = Sanic("channel_server")
app.ctx.agent = EchoAgent()
register(channels, app, route="/webhooks/")
print("channels:", " ".join(sorted(f"{c.name()}={type(c).__module__}" for c in channels)), flush=True)
app.run(host="127.0.0.1", port=PORT, access_log=False, motd=False)

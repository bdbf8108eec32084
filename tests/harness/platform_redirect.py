"""Test only: a `rasa run` whose HTTP requests to Twilio, Slack, Meta and Microsoft reach a local stand-in.

tests/test_channels_rasa.py copies this file as `sitecustomize.py` into a temporary folder put
first on the PYTHONPATH of the `rasa run` it starts, so Python runs it before Rasa is imported.
The twilio, slack_sdk and fbmessenger clients, and Rasa's botframework channel (requests: Microsoft's
keys and its OAuth token), build their platform's address themselves (api.twilio.com, slack.com,
graph.facebook.com, login.botframework.com, login.microsoftonline.com) with no setting to change it. A request of the
process to one of those hosts goes to $PLATFORM_STAND_IN_URL/<host><path>?<query> instead: the
method, path, query, headers and body stay the client's own. Only the network destination
changes: requests to any other host, the clients' code and Rasa's and the bot's channel classes
are untouched. Telegram's and Mattermost's addresses are the bot's own settings and need no help;
the Bot Framework's replies go to the activity's own serviceUrl.

What it cannot prove: that the platforms' real servers accept those requests (TLS, auth, rate limits).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

HOSTS = {
    "api.twilio.com",
    "slack.com",
    "www.slack.com",
    "graph.facebook.com",
    "login.botframework.com",
    "login.microsoftonline.com",
}
STAND_IN = os.environ.get("PLATFORM_STAND_IN_URL", "").rstrip("/")


def redirected(url: str) -> str:
    """The stand-in's URL for a request to one of HOSTS; any other URL unchanged."""
    parts = urlsplit(url)
    if not STAND_IN or parts.hostname not in HOSTS:
        return url
    return f"{STAND_IN}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def redirect_requests() -> None:
    """requests (twilio's TwilioHttpClient, fbmessenger, Rasa's botframework): every request goes out
    through Session.send."""
    import requests

    send = requests.Session.send

    def send_to_stand_in(self, request, **kwargs):
        request.url = redirected(request.url)
        return send(self, request, **kwargs)

    requests.Session.send = send_to_stand_in


def redirect_aiohttp() -> None:
    """aiohttp (slack_sdk's AsyncWebClient): every request goes out through ClientSession._request."""
    import aiohttp

    request = aiohttp.ClientSession._request

    async def request_to_stand_in(self, method, str_or_url, *args, **kwargs):
        return await request(self, method, redirected(str(str_or_url)), *args, **kwargs)

    aiohttp.ClientSession._request = request_to_stand_in


if STAND_IN:
    redirect_requests()
    redirect_aiohttp()

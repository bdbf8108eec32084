"""Real Rasa 3.6, one `rasa run` for every channel: the bot's telegram, twilio, rocketchat, mattermost
and botframework channels refuse forged webhooks, and Rasa's own slack and facebook channels do too
with the bot's credentials; genuine ones get the bot's real answer.

A bot with `channels=telegram, twilio, rocketchat, mattermost, slack, facebook, botframework` (light
pipeline, SQLite tracker store, no action server) is baked and trained once; a real `rasa run`
serves it through the bot's own launcher (scripts/rasa_run.py, as Compose starts it) with its own
config/credentials.yml and its generated .env plus the test's tokens. Each platform's documented
payload is posted as the platform sends it: signed with the twilio library (9.x here; the bot checks
with the 8.x of Rasa's lock), slack_sdk's SignatureVerifier or Meta's documented HMAC, with
Telegram's secret-token header, with Rocket.Chat's and Mattermost's outgoing-webhook tokens, with
the Bot Connector's RS256 JWT (PyJWT, signed with a key pair made at test time, whose public half
the stand-in publishes as Microsoft's JWKS). A forged one is refused (403; Slack: Rasa's 400;
Facebook: Rasa's 200 "not validated"; Bot Framework: 401, the bot's for claims Rasa does not check,
Rasa's for the rest, or Rasa's 500 for an HS256 token keyed with the public key) and leaves nothing
in the tracker store (read here with sqlite3, not through Rasa). A genuine "hello" lands there, the
trained model answers it with the bot's greeting from domain.yml, and that reply reaches a local
stand-in of the platform's API (Telegram Bot API, Twilio REST, Rocket.Chat REST, Mattermost API v4,
Slack Web API, Graph API, the Bot Connector at the activity's serviceUrl, with the OAuth token the
bot got from the stand-in of login.microsoftonline.com) with the right chat, user or conversation.

The bot's own web/nginx.conf, in a real nginx, proxies each channel's webhooks to it, signatures,
tokens and bodies untouched (forged refused, genuine answered).

Test-only changes, both in this test's copy: `utter_iamabot` gets a button (the bot answers with
text only; Mattermost's button check needs one), and tests/harness/platform_redirect.py is put on
the `rasa run`'s PYTHONPATH as sitecustomize.py: the twilio, slack_sdk and fbmessenger clients and
Rasa's botframework channel build the platforms' addresses themselves with no setting, so their
requests to api.twilio.com, slack.com, graph.facebook.com, login.botframework.com (Microsoft's OpenID
configuration and keys, fetched when the channel is built) and login.microsoftonline.com (the OAuth
token) are sent to the stand-in instead, unchanged otherwise (the test checks the paths those clients
built). Telegram's, Rocket.Chat's and Mattermost's addresses are the bot's own settings
(TELEGRAM_API_URL, ROCKETCHAT_SERVER_URL, MATTERMOST_URL); the Bot Framework's reply goes to the
serviceUrl the activity names, here the stand-in.

What it cannot prove: the platforms' real servers (their TLS, retries, the headers they add, what
their APIs accept), that the redirected clients would reach the real hosts (only the destination is
changed, inside the test's process), and the Docker path (the Docker tier proves the web service's
nginx). For the Bot Framework: that Microsoft's real keys, tokens and Teams activities look like the
documented ones the test makes (Microsoft signs with its own keys, which no test can hold), that
Azure issues the bot its OAuth token (at the multi-tenant `botframework.com` tenant, as Rasa 3.6
asks, or with BOTFRAMEWORK_TENANT_ID at the bot's own tenant: a second, short `rasa run`), nor that
Microsoft's tokens name the issuer and serviceurl its docs say, which the bot's class requires on top
of Rasa's checks (Rasa's own class accepts a token without them: tried by hand with it).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

import generate_env
from harness import fail_or_skip, rasa_cli, stand_ins, stores, venvs
from harness import web_chat as tools
from harness.bots import RasaProject, prepare
from harness.processes import LOCAL, Service, free_port, http_json
from harness.rasa_servers import rasa_server

pytestmark = pytest.mark.rasa

REDIRECT = Path(__file__).resolve().parent / "harness" / "platform_redirect.py"
ANSWERS = {"channels": "telegram, twilio, rocketchat, mattermost, slack, facebook, botframework",
           "nlu_pipeline": "light", "tracker_store": "sqlite", "custom_actions": False}  # fmt: skip
GREETING = "Hi, how is it going?"  # the bot's utter_greet (domain.yml), its answer to "hello"
BUTTON = {"title": "Great", "payload": "/mood_happy"}  # on utter_iamabot, in this test's copy only
PUBLIC_URL = "https://bot.example.com"  # what the platforms would call (nginx or an ingress in front)
BOT_USERNAME = "mood_test_bot"
SECRETS = {
    "TELEGRAM_ACCESS_TOKEN": "123456789:AAtest-token_for-the-stand-in",
    "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-of-the-test",
    "TWILIO_NUMBER": "whatsapp:+14155238886",
    "MATTERMOST_BOT_TOKEN": "mattermost-bot-token",
    "MATTERMOST_WEBHOOK_TOKEN": "mattermost-outgoing-webhook-token",
    "ROCKETCHAT_USER": "moodbot",
    "ROCKETCHAT_PASSWORD": "rocketchat-password",
    "ROCKETCHAT_WEBHOOK_TOKEN": "rocketchat-integration-token",
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "slack-signing-secret-of-the-test",
    "FACEBOOK_APP_SECRET": "facebook-app-secret-of-the-test",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "facebook-page-token",
    "BOTFRAMEWORK_APP_ID": "2f8e4c1a-6b3d-4e5f-9a7b-0c1d2e3f4a5b",
    "BOTFRAMEWORK_APP_PASSWORD": "botframework-client-secret",
}
# The paths the twilio, slack_sdk and fbmessenger clients build, as the stand-in receives them.
TWILIO_MESSAGES = f"/api.twilio.com/2010-04-01/Accounts/{SECRETS['TWILIO_ACCOUNT_SID']}/Messages.json"
SLACK_POST = "/slack.com/api/chat.postMessage"
GRAPH_MESSAGES = "/graph.facebook.com/v2.12/me/messages"  # fbmessenger 6.0's API version
# Rasa's botframework channel (requests): Microsoft's OpenID configuration and keys, fetched when the
# channel is built, and the OAuth token it gets before it answers.
BOTFRAMEWORK_OPENID = "/login.botframework.com/v1/.well-known/openidconfiguration"
BOTFRAMEWORK_KEYS = "/login.botframework.com/v1/.well-known/keys"
BOTFRAMEWORK_TOKEN = "/login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # Multi Tenant, as Rasa
# A Single Tenant bot (BOTFRAMEWORK_TENANT_ID): the bot asks its own Entra tenant for the token instead.
BOTFRAMEWORK_TENANT = "8a0f6c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3"
BOTFRAMEWORK_TENANT_TOKEN = f"/login.microsoftonline.com/{BOTFRAMEWORK_TENANT}/oauth2/v2.0/token"
BOTFRAMEWORK_ACCESS_TOKEN = "access-token-the-stand-in-issued"
BOTFRAMEWORK_KID = "test-key-1"


@functools.cache
def microsoft_key(name: str) -> rsa.RSAPrivateKey:
    """An RSA key made at test time: "microsoft" is the one the stand-in publishes, any other is a forger's."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def botframework_keys() -> dict:
    """Microsoft's JWKS as login.botframework.com serves it, with the test's public key."""
    key = jwt.algorithms.RSAAlgorithm.to_jwk(microsoft_key("microsoft").public_key(), as_dict=True)
    return {"keys": [{**key, "use": "sig", "kid": BOTFRAMEWORK_KID, "endorsements": ["msteams", "webchat"]}]}


def microsoft_reply(path: str) -> tuple[int, dict]:
    """login.botframework.com, login.microsoftonline.com and a Bot Connector (the activity's serviceUrl)."""
    if path == BOTFRAMEWORK_OPENID:  # what login.botframework.com publishes, keys at their real address
        return 200, {"issuer": "https://api.botframework.com", "authorization_endpoint":
                     "https://invalid.botframework.com", "jwks_uri": f"https://{BOTFRAMEWORK_KEYS[1:]}",
                     "id_token_signing_alg_values_supported": ["RS256"],
                     "token_endpoint_auth_methods_supported": ["private_key_jwt"]}  # fmt: skip
    if path == BOTFRAMEWORK_KEYS:
        return 200, botframework_keys()
    if path in (BOTFRAMEWORK_TOKEN, BOTFRAMEWORK_TENANT_TOKEN):  # Microsoft Entra ID's client-credentials token
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                     "access_token": BOTFRAMEWORK_ACCESS_TOKEN}  # fmt: skip
    if path.endswith("/activities"):  # Bot Connector: POST /v3/conversations/{id}/activities, a ResourceResponse
        return 200, {"id": "1:reply-activity"}
    return 404, {"error": {"code": "NotFound", "message": path}}


class PlatformAPI(stand_ins.RecordingAPI):
    """The platforms' APIs the bot calls, on 127.0.0.1: records each request, answers as they do."""

    calls: list[tuple[str, dict]] = []
    authorizations: list[tuple[str, str | None]] = []  # (path, Authorization header) of each POST

    def do_POST(self) -> None:
        self.authorizations.append((urllib.parse.urlparse(self.path).path, self.headers.get("Authorization")))
        super().do_POST()

    @staticmethod
    def reply(path: str) -> tuple[int, dict]:
        if path.startswith(("/login.", "/teams/")):
            return microsoft_reply(path)
        if path.endswith("/getMe"):
            return 200, {"ok": True, "result": {"id": 123456789, "is_bot": True, "first_name": "Mood",
                                                "username": BOT_USERNAME}}  # fmt: skip
        if path.endswith("/sendMessage"):
            message = {"message_id": 2, "date": 1700000000, "chat": {"id": 1, "type": "private"}, "text": "ok"}
            return 200, {"ok": True, "result": message}
        if path.endswith("/setWebhook"):
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if path.endswith("/chat.postMessage"):
            return 200, {"ok": True, "channel": "D024BE91L", "ts": "1355517524.000000"}
        if path.endswith("/Messages.json"):  # Twilio REST: the message resource
            return 201, {"sid": "SM" + "1" * 32, "status": "queued", "body": "", "num_segments": "1"}
        if path.endswith("/me/messages"):  # Graph API: Send API
            return 200, {"recipient_id": "USER", "message_id": "mid.1"}
        if path.endswith("/api/v1/login"):  # Rocket.Chat: the bot user logs in for each answer
            return 200, {"status": "success", "data": {"authToken": "rc-auth", "userId": "rc-user"}}
        if path.endswith("/api/v1/chat.postMessage"):
            return 200, {"success": True, "message": {"_id": "rc-message"}}
        return 201, {"id": "post-id"}  # Mattermost: POST /api/v4/posts


@pytest.fixture(scope="module")
def platform_api():
    with stand_ins.serving(PlatformAPI) as url:
        yield url


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> RasaProject:
    """The baked bot, with one button on utter_iamabot (this copy only: the bot answers with text)."""
    try:
        bot = prepare(ANSWERS, tmp_path_factory.mktemp("channels"))
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    domain = yaml.safe_load((bot.path / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"]["utter_iamabot"][0]["buttons"] = [BUTTON]
    (bot.path / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")
    return bot


@pytest.fixture(scope="module")
def settings(bot, platform_api) -> dict[str, str]:
    """The `rasa run`'s environment: the bot's generated .env, the platforms' tokens, the stand-in's
    address (Telegram's and Mattermost's settings; the test-only redirect for the others)."""
    overlay = bot.scratch / "platform-redirect"
    overlay.mkdir(exist_ok=True)
    shutil.copyfile(REDIRECT, overlay / "sitecustomize.py")
    apis = {"TELEGRAM_API_URL": platform_api, "MATTERMOST_URL": f"{platform_api}/api/v4",
            "ROCKETCHAT_SERVER_URL": platform_api,
            "PLATFORM_STAND_IN_URL": platform_api, "PYTHONPATH": str(overlay)}  # fmt: skip
    env = generate_env.settings((bot.path / ".env").read_text(encoding="utf-8"))
    return {**env, **SECRETS, "BOT_PUBLIC_URL": PUBLIC_URL, **apis, "NO_PROXY": "*"}


@dataclass
class Running:
    """The bot's `rasa run`: its URL and process, the env it was given, its tracker store."""

    url: str
    env: dict[str, str]
    store: stores.Store
    service: Service

    def stored(self, sender: str) -> list[str]:
        """The user messages of one conversation, read from the SQLite file itself."""
        return self.store.user_texts(sender)


@pytest.fixture(scope="module")
def channels(bot, settings) -> Running:
    """One training and one `rasa run` (the bot's launcher, its credentials.yml, SQLite store) for the module."""
    model = rasa_cli.train(bot, bot.scratch / "models")
    store = stores.Store(kind="sqlite", bot=bot)
    endpoints, store_env = stores.local_endpoints(bot, store)
    with rasa_server(bot, model, endpoints, env={**store_env, **settings}) as service:
        yield Running(url=service.url, env=settings, store=store, service=service)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TWILIO_AUTH_TOKEN", "", "twilio: 'auth_token' in config/credentials.yml is empty: set its variable in .env"),
        ("BOT_PUBLIC_URL", "", "twilio: webhook_url '/webhooks/twilio/webhook' is not the full URL Twilio signs"),
        ("BOTFRAMEWORK_APP_ID", "", "botframework: 'app_id' in config/credentials.yml is empty: set its variable"),
        (
            "BOTFRAMEWORK_TENANT_ID",
            f"https://login.microsoftonline.com/{BOTFRAMEWORK_TENANT}",
            f"botframework: tenant_id 'https://login.microsoftonline.com/{BOTFRAMEWORK_TENANT}' in "
            "config/credentials.yml is not a tenant id: set BOTFRAMEWORK_TENANT_ID in .env to your Azure Bot's App "
            "Tenant ID (a GUID), or leave it empty for a Multi Tenant bot",
        ),
    ],  # fmt: skip
    ids=["TWILIO_AUTH_TOKEN", "BOT_PUBLIC_URL", "BOTFRAMEWORK_APP_ID", "BOTFRAMEWORK_TENANT_ID-a-url"],
)
def test_a_missing_setting_stops_the_bot_at_start_saying_what_to_set(bot, settings, variable, value, message):
    """Better than an open door, or a door that refuses everyone: `rasa run` does not start. (An
    empty app id would make Rasa refuse every activity, its audience being no app's.)"""
    argv = bot.rasa("run", "--enable-api", "-p", str(free_port()), "--credentials", "config/credentials.yml")
    env = bot.run_env(f"missing-{variable}", {**settings, variable: value, "RASA_HOST": LOCAL})  # never 0.0.0.0
    result = subprocess.run(argv, cwd=bot.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split())  # Rasa's log may wrap the line


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def calls_to(suffix: str) -> list[dict]:
    return [fields for path, fields in PlatformAPI.calls if path.endswith(suffix)]


# --- Telegram -------------------------------------------------------------------------------


def telegram_update(chat_id: int, text: str) -> bytes:
    """An Update as Telegram posts it (core.telegram.org/bots/api#update)."""
    person = {"id": chat_id, "is_bot": False, "first_name": "Test"}
    message = {"message_id": 1365, "date": 1441645532, "chat": {**person, "type": "private"}, "from": person,
               "text": text}  # fmt: skip
    return json.dumps({"update_id": 10000 + chat_id, "message": message}).encode()


def test_telegram_webhook_is_registered_with_the_secret_token(channels):
    env = channels.env
    registered = calls_to("/setWebhook")
    assert registered == [
        {"url": f"{PUBLIC_URL}/webhooks/telegram/webhook", "secret_token": env["TELEGRAM_SECRET_TOKEN"]}
    ]
    assert len(env["TELEGRAM_SECRET_TOKEN"]) == 48  # generate_env.py's random secret, not a placeholder


@pytest.mark.parametrize("header", [None, "", "wrong-token"], ids=["no-header", "empty", "wrong"])
def test_telegram_refuses_an_update_without_the_secret_token(channels, header):
    chat_id = 9001 + [None, "", "wrong-token"].index(header)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = header
    assert post(f"{channels.url}/webhooks/telegram/webhook", telegram_update(chat_id, "hello"), headers) == 403
    assert channels.stored(str(chat_id)) == []
    assert not [call for call in calls_to("/sendMessage") if str(call.get("chat_id")) == str(chat_id)]


def test_telegram_update_with_the_secret_token_reaches_the_bot(channels):
    token = channels.env["TELEGRAM_SECRET_TOKEN"]
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": token}
    assert post(f"{channels.url}/webhooks/telegram/webhook", telegram_update(4242, "hello"), headers) == 200
    assert channels.stored("4242") == ["hello"]
    assert {"chat_id": "4242", "text": GREETING}.items() <= calls_to("/sendMessage")[-1].items()


# --- Twilio (SMS and WhatsApp) ----------------------------------------------------------------


def twilio_message(sender: str, text: str) -> dict:
    """The form Twilio posts for an incoming message (twilio.com/docs/messaging/guides/webhook-request)."""
    return {"MessageSid": "SM" + "a" * 32, "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"], "From": sender,
            "To": SECRETS["TWILIO_NUMBER"], "Body": text, "NumMedia": "0"}  # fmt: skip


def post_twilio(url: str, params: dict, signature: str | None) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return post(f"{url}/webhooks/twilio/webhook", urllib.parse.urlencode(params).encode(), headers)


@pytest.mark.parametrize("forgery", ["no-signature", "wrong-token", "other-url", "changed-body"])
def test_twilio_refuses_a_message_without_its_signature(channels, forgery):
    sender = f"whatsapp:+1415555{['no-signature', 'wrong-token', 'other-url', 'changed-body'].index(forgery):04d}"
    params = twilio_message(sender, "hello")
    webhook = f"{PUBLIC_URL}/webhooks/twilio/webhook"
    signature = {
        "no-signature": None,
        "wrong-token": RequestValidator("not-the-auth-token").compute_signature(webhook, params),
        "other-url": RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(f"{webhook}x", params),
        "changed-body": RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(webhook, params),
    }[forgery]
    if forgery == "changed-body":
        params = {**params, "Body": "something else"}
    assert post_twilio(channels.url, params, signature) == 403
    assert channels.stored(sender) == []
    assert not [call for call in calls_to("/Messages.json") if call.get("To") == sender]


def test_twilio_message_signed_by_twilio_reaches_the_bot(channels):
    sender = "whatsapp:+14155550100"
    params = twilio_message(sender, "hello")
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(
        f"{PUBLIC_URL}/webhooks/twilio/webhook", params
    )
    assert post_twilio(channels.url, params, signature) == 204
    assert channels.stored(sender) == ["hello"]
    sent = calls_to(TWILIO_MESSAGES)  # the twilio client's own URL for the account's messages
    assert {"To": sender, "From": SECRETS["TWILIO_NUMBER"], "Body": GREETING}.items() <= sent[-1].items()


# --- Mattermost -------------------------------------------------------------------------------


def mattermost_post(user_id: str, token: str | None, **extra) -> bytes:
    """An outgoing webhook's JSON (developers.mattermost.com/integrate/webhooks/outgoing/)."""
    body = {"channel_id": f"channel-{user_id}", "channel_name": "town-square", "team_domain": "team",
            "team_id": "team-id", "post_id": "post-id", "text": "@moodbot hello", "timestamp": 1700000000000,
            "trigger_word": "@moodbot", "user_id": user_id, "user_name": "tester", **extra}  # fmt: skip
    if token is not None:
        body["token"] = token
    return json.dumps(body).encode()


@pytest.mark.parametrize("token", [None, "", "wrong-token"], ids=["no-token", "empty", "wrong"])
def test_mattermost_refuses_a_post_without_the_webhook_token(channels, token):
    user = f"forger-{token}"
    headers = {"Content-Type": "application/json"}
    assert post(f"{channels.url}/webhooks/mattermost/webhook", mattermost_post(user, token), headers) == 403
    assert channels.stored(user) == []
    assert not [call for call in calls_to("/api/v4/posts") if call.get("channel_id") == f"channel-{user}"]


def test_mattermost_post_with_the_webhook_token_reaches_the_bot(channels):
    body = mattermost_post("user-1", channels.env["MATTERMOST_WEBHOOK_TOKEN"])
    assert post(f"{channels.url}/webhooks/mattermost/webhook", body, {"Content-Type": "application/json"}) == 200
    assert channels.stored("user-1") == ["hello"]
    assert {"channel_id": "channel-user-1", "message": GREETING}.items() <= calls_to("/api/v4/posts")[-1].items()
    assert "Failed to send message to mattermost" not in channels.service.log_text(), "201 Created is a success"


def test_mattermost_buttons_carry_the_webhook_token(channels):
    """The bot's buttons post their clicks back with the token, so genuine clicks pass the check.
    "/bot_challenge" is Rasa's intent syntax: the rule answers utter_iamabot, the one with a button here."""
    token = channels.env["MATTERMOST_WEBHOOK_TOKEN"]
    body = mattermost_post("user-3", token, text="@moodbot /bot_challenge")
    assert post(f"{channels.url}/webhooks/mattermost/webhook", body, {"Content-Type": "application/json"}) == 200
    (action,) = calls_to("/api/v4/posts")[-1]["props"]["attachments"][0]["actions"]
    context = {"action": BUTTON["payload"], "token": token}
    assert action["integration"] == {"url": f"{PUBLIC_URL}/webhooks/mattermost/webhook", "context": context}


def test_mattermost_button_click_needs_the_token_in_its_context(channels):
    """Mattermost signs no button click: the bot's buttons carry the token in their context."""
    url, headers = f"{channels.url}/webhooks/mattermost/webhook", {"Content-Type": "application/json"}
    click = {"user_id": "user-2", "channel_id": "channel-user-2", "context": {"action": "/greet"}}
    assert post(url, json.dumps(click).encode(), headers) == 403
    assert channels.stored("user-2") == []
    click["context"]["token"] = channels.env["MATTERMOST_WEBHOOK_TOKEN"]
    assert post(url, json.dumps(click).encode(), headers) == 200
    assert channels.stored("user-2") == ["/greet"]
    assert {"channel_id": "channel-user-2", "message": GREETING}.items() <= calls_to("/api/v4/posts")[-1].items()


def test_the_refusals_come_from_the_bots_own_channel_classes(channels):
    """`rasa run`, started by the bot's launcher, serves each channel of credentials.yml, and the
    refusals of telegram, twilio, rocketchat and mattermost are logged by the bot's scripts/secure_channels.py."""
    served = ("rest", "socketio", "telegram", "twilio", "rocketchat", "mattermost", "slack", "facebook", "botframework")
    for name in served:
        assert http_json(f"{channels.url}/webhooks/{name}/") == (200, {"status": "ok"}), name
    json_type, form_type = {"Content-Type": "application/json"}, {"Content-Type": "application/x-www-form-urlencoded"}
    forged = {"telegram": (telegram_update(7001, "hello"), json_type),
              "twilio": (urllib.parse.urlencode(twilio_message("+14155557001", "hello")).encode(), form_type),
              "rocketchat": (rocketchat_message("forger-log", "wrong-token"), json_type),
              "mattermost": (mattermost_post("forger-log", "wrong-token"), json_type)}  # fmt: skip
    for name, (body, headers) in forged.items():
        assert post(f"{channels.url}/webhooks/{name}/webhook", body, headers) == 403
        refusal = f"secure_channels - {name}: refused a webhook without a valid signature or token"
        assert refusal in " ".join(channels.service.log_text().split()), name


# --- Rocket.Chat: the bot's own check --------------------------------------------------------


def rocketchat_message(room: str, token: str | None) -> bytes:
    """An outgoing webhook's JSON (docs.rocket.chat, Integrations, Outgoing WebHook)."""
    body = {"channel_id": room, "channel_name": "general", "user_id": "u-1", "user_name": "alice", "text": "hello",
            "message_id": f"m-{room}", "timestamp": "2026-12-04T12:00:00.000Z", "bot": False}  # fmt: skip
    return json.dumps({**body, **({"token": token} if token is not None else {})}).encode()


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["no-token", "wrong-token"])
def test_rocketchat_refuses_a_message_without_the_webhook_token(channels, token):
    body = rocketchat_message(f"room-{token}", token)
    assert post(f"{channels.url}/webhooks/rocketchat/webhook", body, {"Content-Type": "application/json"}) == 403
    assert channels.stored(f"room-{token}") == []


def test_rocketchat_message_with_the_webhook_token_reaches_the_bot(channels):
    body = rocketchat_message("room-1", channels.env["ROCKETCHAT_WEBHOOK_TOKEN"])
    assert post(f"{channels.url}/webhooks/rocketchat/webhook", body, {"Content-Type": "application/json"}) == 200
    assert channels.stored("room-1") == ["hello"]
    assert {"text": GREETING, "roomId": "room-1"}.items() <= calls_to("/api/v1/chat.postMessage")[-1].items()


# --- Slack: Rasa's own check, with the bot's credentials ---------------------------------------


def slack_event(user: str, text: str) -> bytes:
    """A direct message as the Events API posts it (api.slack.com/events/message.im)."""
    event = {"type": "message", "channel": f"D{user}", "user": user, "text": text, "ts": "1355517523.000005",
             "event_ts": "1355517523.000005", "channel_type": "im"}  # fmt: skip
    envelope = {"token": "unused", "team_id": "T061EG9R6", "api_app_id": "A0PNCHHK2", "type": "event_callback",
                "event_id": f"Ev{user}", "event_time": 1355517523}  # fmt: skip
    return json.dumps({**envelope, "event": event}).encode()


def post_slack(url: str, body: bytes, timestamp: int, secret: str = SECRETS["SLACK_SIGNING_SECRET"]) -> int:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(timestamp),
               "X-Slack-Signature": signature}  # fmt: skip
    return post(f"{url}/webhooks/slack/webhook", body, headers)


def slack_posts(channel: str) -> list[dict]:
    return [call for call in calls_to(SLACK_POST) if call.get("channel") == channel]


@pytest.mark.parametrize("forgery", ["wrong-secret", "ten-minutes-old"])
def test_slack_refuses_an_event_without_its_signature(channels, forgery):
    user = f"UFORGED{forgery.upper().replace('-', '')}"
    if forgery == "wrong-secret":
        status = post_slack(channels.url, slack_event(user, "hello"), int(time.time()), secret="not-the-signing-secret")
    else:
        status = post_slack(channels.url, slack_event(user, "hello"), int(time.time()) - 600)
    assert status == 400  # Rasa's own answer to an unsigned Slack request
    assert channels.stored(user) == []
    assert slack_posts(f"D{user}") == []


def test_slack_event_signed_by_slack_reaches_the_bot(channels):
    assert post_slack(channels.url, slack_event("U2147483697", "hello"), int(time.time())) == 200
    # Rasa answers Slack at once and handles the message in a background task (Slack wants 3 s).
    deadline = time.monotonic() + 30
    while not slack_posts("DU2147483697") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert channels.stored("U2147483697") == ["hello"]
    sent = slack_posts("DU2147483697")  # slack_sdk's own URL for chat.postMessage
    assert sent and sent[-1]["text"] == GREETING


# --- Facebook Messenger: Rasa's own check, with the bot's credentials --------------------------


def facebook_message(user: str, text: str) -> bytes:
    """A message event as Messenger posts it (developers.facebook.com/docs/messenger-platform/webhooks)."""
    messaging = {"sender": {"id": user}, "recipient": {"id": "PAGE"}, "timestamp": 1700000000000,
                 "message": {"mid": f"m_{user}", "text": text}}  # fmt: skip
    return json.dumps(
        {"object": "page", "entry": [{"id": "PAGE", "time": 1700000000000, "messaging": [messaging]}]}
    ).encode()


def post_facebook(url: str, body: bytes, secret: str = SECRETS["FACEBOOK_APP_SECRET"]) -> tuple[int, str]:
    """POST signed as Meta signs (X-Hub-Signature: sha1 HMAC of the body with the app secret)."""
    signature = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature": signature}
    request = urllib.request.Request(f"{url}/webhooks/facebook/webhook", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read().decode()


def facebook_replies(user: str) -> list[dict]:
    """The Send API calls with a message (not a sender action) to one user."""
    return [call for call in calls_to(GRAPH_MESSAGES) if "message" in call and call["recipient"] == {"id": user}]


def test_facebook_webhook_verification_uses_the_bots_random_verify_token(channels):
    token = channels.env["FACEBOOK_VERIFY_TOKEN"]
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
    assert http_json(f"{channels.url}/webhooks/facebook/webhook?{query}") == (200, 1158201444)
    wrong = query.replace(token, "guess")
    assert http_json(f"{channels.url}/webhooks/facebook/webhook?{wrong}") == (200, "failure, invalid token")


def test_facebook_refuses_a_message_without_its_signature(channels):
    forged = post_facebook(channels.url, facebook_message("FORGER", "hello"), secret="not-the-app-secret")
    assert forged == (200, "not validated")
    assert channels.stored("FORGER") == []
    assert facebook_replies("FORGER") == []


def test_facebook_message_signed_by_meta_reaches_the_bot(channels):
    assert post_facebook(channels.url, facebook_message("USER42", "hello")) == (200, "success")
    assert channels.stored("USER42") == ["hello"]
    sent = facebook_replies("USER42")  # fbmessenger's own Graph API URL
    assert sent and sent[-1]["message"]["text"] == GREETING


# --- Microsoft Teams (Bot Framework): Rasa's own check, and the bot's on top ------------------------


def teams_activity(service_url: str, user: str, text: str) -> dict:
    """A Teams message activity as the Bot Connector posts it (learn.microsoft.com, Bot Framework
    REST API, Activity; Teams "conversation basics"). `from.id` is the user, the conversation id
    names the chat the reply goes to, `recipient` is the bot."""
    return {"type": "message", "id": f"1700000000{len(user)}", "timestamp": "2026-12-04T12:00:00.000Z",
            "localTimestamp": "2026-12-04T13:00:00.000+01:00", "channelId": "msteams",
            "serviceUrl": service_url, "from": {"id": user, "name": "Megan Bowen", "aadObjectId": "a1b2c3"},
            "conversation": {"conversationType": "personal", "tenantId": "t-1", "id": f"a:1{user[3:]}"},
            "recipient": {"id": f"28:{SECRETS['BOTFRAMEWORK_APP_ID']}", "name": "Mood bot"},
            "textFormat": "plain", "text": text, "locale": "en-US", "channelData": {"tenant": {"id": "t-1"}},
            "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}]}  # fmt: skip


def connector_claims(service_url: str, **claims) -> dict:
    """What the Bot Connector's JWT says (learn.microsoft.com, Bot Framework, "Authentication"): iss,
    aud = the bot's app id, a short life, the serviceUrl of the activity it comes with."""
    now = int(time.time())
    return {"iss": "https://api.botframework.com", "aud": SECRETS["BOTFRAMEWORK_APP_ID"], "nbf": now - 60,
            "exp": now + 3600, "serviceurl": service_url, **claims}  # fmt: skip


def connector_token(service_url: str, key: str = "microsoft", **claims) -> str:
    """The JWT the Bot Connector puts in `Authorization: Bearer`: RS256 with Microsoft's key. A claim
    given as None is left out."""
    payload = {name: value for name, value in connector_claims(service_url, **claims).items() if value is not None}
    return jwt.encode(payload, microsoft_key(key), algorithm="RS256", headers={"kid": BOTFRAMEWORK_KID})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_made_by_hand(service_url: str, alg: str) -> str:
    """The classic JWT forgeries PyJWT will not sign: alg "none" (no signature), and HS256 keyed with
    Microsoft's *public* key (what a verifier that trusts the token's own `alg` might accept)."""
    parts = [{"alg": alg, "kid": BOTFRAMEWORK_KID, "typ": "JWT"}, connector_claims(service_url)]
    signing_input = ".".join(b64url(json.dumps(part).encode()) for part in parts)
    if alg == "none":
        return f"{signing_input}."
    public = microsoft_key("microsoft").public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def post_teams(url: str, activity: dict, token: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return post(f"{url}/webhooks/botframework/webhook", json.dumps(activity).encode(), headers)


def teams_replies(conversation: str) -> list[dict]:
    """The activities the bot posted to one conversation of the Bot Connector stand-in."""
    endpoint = f"/v3/conversations/{conversation}/activities"
    return [fields for path, fields in PlatformAPI.calls if path.endswith(endpoint)]


@pytest.fixture(scope="module")
def service_url(channels) -> str:
    """The serviceUrl of the test's activities: the Bot Connector stand-in itself (Rasa posts there)."""
    return f"{channels.env['PLATFORM_STAND_IN_URL']}/teams/amer/"


# Each forgery, and Rasa's answer: 401, except HS256 keyed with the public key, where PyJWT raises a
# TypeError that Rasa does not catch (Sanic's 500; refused all the same, nothing handled). A request
# without a token gets its 401 from the bot's class, which finds no claims to check; the others pass
# the bot's claim checks and meet Rasa's.
FORGED_TEAMS = {
    "no-authorization": (401, lambda url: None),
    "another-key": (401, lambda url: connector_token(url, key="forger")),
    "wrong-audience": (401, lambda url: connector_token(url, aud="another-bots-app-id")),
    "expired": (401, lambda url: connector_token(url, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "alg-none": (401, lambda url: token_made_by_hand(url, "none")),
    "hs256-public-key": (500, lambda url: token_made_by_hand(url, "HS256")),
}


def test_botframework_fetched_microsofts_keys_when_it_started(channels):
    """Rasa's channel read the OpenID configuration, then the keys it names (both redirected, URLs its
    own), once per `rasa run` of the module (the missing-setting tests' runs may have fetched them too)."""
    fetched = [path for path, _ in PlatformAPI.calls if path.startswith("/login.botframework.com/")]
    assert fetched and fetched == [BOTFRAMEWORK_OPENID, BOTFRAMEWORK_KEYS] * (len(fetched) // 2)


@pytest.mark.parametrize("forgery", FORGED_TEAMS)
def test_botframework_refuses_an_activity_without_microsofts_token(channels, service_url, forgery):
    user = f"29:forged-{forgery}"
    activity = teams_activity(service_url, user, "hello")
    status, token = FORGED_TEAMS[forgery]
    assert post_teams(channels.url, activity, token(service_url)) == status
    assert channels.stored(user) == []
    assert teams_replies(activity["conversation"]["id"]) == []


# Tokens Rasa 3.6 accepts (Microsoft's key, the bot's audience, within their life) that Microsoft's
# rules refuse, and the bot's BotFrameworkInput answers 401 before Rasa sees them. "replayed-elsewhere"
# is a genuine token (its serviceurl the genuine Bot Connector's) sent with an activity whose
# serviceUrl is another host's: Rasa would post its reply there, with its OAuth token.
# Each: (the activity's serviceUrl and the token, made from the genuine serviceUrl; what the bot logs).
FORGED_CLAIMS = {
    "another-issuer": (lambda url: (url, connector_token(url, iss="https://sts.windows.net/a-forgers-tenant/")),
                       "issuer is 'https://sts.windows.net/a-forgers-tenant/', not https://api.botframework.com"),
    "no-issuer": (lambda url: (url, connector_token(url, iss=None)), "issuer is None"),
    "no-expiry": (lambda url: (url, connector_token(url, exp=None)), "the token has no expiry (exp)"),
    "replayed-elsewhere": (lambda url: (url.replace("/teams/amer/", "/attacker/"), connector_token(url)),
                           "/teams/amer/' is not the activity's '"),
    "no-serviceurl": (lambda url: (url, connector_token(url, serviceurl=None)), "serviceurl None is not"),
}  # fmt: skip


@pytest.mark.parametrize("forgery", FORGED_CLAIMS)
def test_botframework_refuses_a_token_microsoft_would_not_send_for_this_activity(channels, service_url, forgery):
    """Each token is signed with the published key and would pass Rasa's own check: nothing is
    stored, and the stand-in (token endpoint, Bot Connector, the attacker's serviceUrl) gets no request."""
    make, reason = FORGED_CLAIMS[forgery]
    activity_url, token = make(service_url)
    user = f"29:claims-{forgery}"
    activity = teams_activity(activity_url, user, "hello")

    def refusals() -> tuple[int, int]:  # the bot's own log lines, why and that it refused (Rasa's log may wrap)
        log = " ".join(channels.service.log_text().split())
        return log.count(reason), log.count("secure_channels - botframework: refused a webhook without a valid")

    logged, before = refusals(), len(PlatformAPI.calls)
    assert post_teams(channels.url, activity, token) == 401
    assert channels.stored(user) == []
    assert PlatformAPI.calls[before:] == []
    assert refusals() == (logged[0] + 1, logged[1] + 1)


def test_botframework_activity_signed_by_microsoft_reaches_the_bot(channels, service_url):
    activity = teams_activity(service_url, "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85g", "hello")
    assert post_teams(channels.url, activity, connector_token(service_url)) == 200
    assert channels.stored(activity["from"]["id"]) == ["hello"]
    (reply,) = teams_replies(activity["conversation"]["id"])  # Rasa answers before it answers the POST
    assert {"type": "message", "text": GREETING, "recipient": {"id": activity["from"]["id"]},
            "from": activity["recipient"]}.items() <= reply.items()  # fmt: skip
    # Rasa got its OAuth token with the bot's app id and secret, and sent it with the reply.
    token_requests = calls_to(BOTFRAMEWORK_TOKEN)
    assert token_requests and {"client_id": SECRETS["BOTFRAMEWORK_APP_ID"], "grant_type": "client_credentials",
                               "client_secret": SECRETS["BOTFRAMEWORK_APP_PASSWORD"],
                               "scope": "https://api.botframework.com/.default"} == token_requests[0]  # fmt: skip
    sent_with = {auth for path, auth in PlatformAPI.authorizations if path.endswith("/activities")}
    assert sent_with == {f"Bearer {BOTFRAMEWORK_ACCESS_TOKEN}"}


def test_botframework_single_tenant_bot_gets_its_reply_token_from_its_tenant(bot, settings, channels, service_url):
    """BOTFRAMEWORK_TENANT_ID set (a Single Tenant bot, as Azure creates them since 31 July 2025): a
    second `rasa run` of the module's model (in-memory store), whose reply token comes from
    login.microsoftonline.com/<tenant>, not from the multi-tenant botframework.com tenant."""
    endpoints = bot.scratch / "endpoints.in-memory.yml"
    endpoints.write_text("{}\n", encoding="utf-8")  # no tracker_store: Rasa's in-memory one
    model = rasa_cli.train(bot, bot.scratch / "models")  # the model `channels` trained (cached)
    activity = teams_activity(service_url, "29:single-tenant-user", "hello")
    before = len(PlatformAPI.calls)
    with rasa_server(bot, model, endpoints, env={**settings, "BOTFRAMEWORK_TENANT_ID": BOTFRAMEWORK_TENANT}) as run:
        assert post_teams(run.url, activity, connector_token(service_url)) == 200
    calls = PlatformAPI.calls[before:]
    asked = [(path, fields) for path, fields in calls if path.startswith("/login.microsoftonline.com/")]
    assert asked == [(BOTFRAMEWORK_TENANT_TOKEN, {"client_id": SECRETS["BOTFRAMEWORK_APP_ID"],
                      "client_secret": SECRETS["BOTFRAMEWORK_APP_PASSWORD"], "grant_type": "client_credentials",
                      "scope": "https://api.botframework.com/.default"})]  # fmt: skip
    replies = [
        fields["text"] for path, fields in calls if path.endswith(f"/{activity['conversation']['id']}/activities")
    ]
    assert replies == [GREETING]


# --- Through the bot's web/nginx.conf, as the platforms reach the bot behind the web service --------


@pytest.fixture(scope="module")
def nginx(channels, bot, tmp_path_factory):
    try:
        tools.debian_programs(tools.NGINX)
    except tools.MissingTool as error:
        fail_or_skip("real-Rasa tier", str(error))
    with tools.local_nginx(bot.path / "web", channels.url, tmp_path_factory.mktemp("nginx")) as server:
        yield server.url


def test_twilio_through_the_bots_nginx(nginx, channels):
    """nginx passes the signature and the form untouched; the bot checks them against BOT_PUBLIC_URL."""
    sender, webhook = "+14155550199", f"{PUBLIC_URL}/webhooks/twilio/webhook"
    params = twilio_message(sender, "hello")
    forged = RequestValidator("not-the-auth-token").compute_signature(webhook, params)
    assert post_twilio(nginx, params, forged) == 403
    assert channels.stored(sender) == []
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(webhook, params)
    assert post_twilio(nginx, params, signature) == 204
    assert channels.stored(sender) == ["hello"]
    assert {"To": sender, "Body": GREETING}.items() <= calls_to(TWILIO_MESSAGES)[-1].items()


def test_telegram_through_the_bots_nginx(nginx, channels):
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong-token"}
    assert post(f"{nginx}/webhooks/telegram/webhook", telegram_update(5151, "hello"), headers) == 403
    assert channels.stored("5151") == []
    headers["X-Telegram-Bot-Api-Secret-Token"] = channels.env["TELEGRAM_SECRET_TOKEN"]
    assert post(f"{nginx}/webhooks/telegram/webhook", telegram_update(5151, "hello"), headers) == 200
    assert channels.stored("5151") == ["hello"]
    assert {"chat_id": "5151", "text": GREETING}.items() <= calls_to("/sendMessage")[-1].items()


def test_mattermost_through_the_bots_nginx(nginx, channels):
    url, headers = f"{nginx}/webhooks/mattermost/webhook", {"Content-Type": "application/json"}
    assert post(url, mattermost_post("user-nginx", "wrong-token"), headers) == 403
    assert channels.stored("user-nginx") == []
    assert post(url, mattermost_post("user-nginx", channels.env["MATTERMOST_WEBHOOK_TOKEN"]), headers) == 200
    assert channels.stored("user-nginx") == ["hello"]
    assert {"channel_id": "channel-user-nginx", "message": GREETING}.items() <= calls_to("/api/v4/posts")[-1].items()


def test_slack_through_the_bots_nginx(nginx, channels):
    """Slack signs the raw body with a timestamp: nginx must pass both headers and the body untouched."""
    body = slack_event("UNGINX", "hello")
    assert post_slack(nginx, body, int(time.time()), secret="not-the-signing-secret") == 400
    assert channels.stored("UNGINX") == []
    assert post_slack(nginx, body, int(time.time())) == 200
    deadline = time.monotonic() + 30
    while not slack_posts("DUNGINX") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert channels.stored("UNGINX") == ["hello"]
    assert [call["text"] for call in slack_posts("DUNGINX")] == [GREETING]


def test_botframework_through_the_bots_nginx(nginx, channels, service_url):
    """nginx passes the Authorization header and the activity untouched."""
    activity = teams_activity(service_url, "29:user-through-nginx", "hello")
    assert post_teams(nginx, activity, connector_token(service_url, key="forger")) == 401
    assert channels.stored("29:user-through-nginx") == []
    assert post_teams(nginx, activity, connector_token(service_url)) == 200
    assert channels.stored("29:user-through-nginx") == ["hello"]
    assert [reply["text"] for reply in teams_replies(activity["conversation"]["id"])] == [GREETING]


def test_facebook_through_the_bots_nginx(nginx, channels):
    """Meta signs the raw body: nginx must pass X-Hub-Signature and the body untouched."""
    body = facebook_message("USERNGINX", "hello")
    assert post_facebook(nginx, body, secret="not-the-app-secret") == (200, "not validated")
    assert channels.stored("USERNGINX") == []
    assert post_facebook(nginx, body) == (200, "success")
    assert channels.stored("USERNGINX") == ["hello"]
    assert [call["message"]["text"] for call in facebook_replies("USERNGINX")] == [GREETING]

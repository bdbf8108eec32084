"""Real Rasa 3.6: the bot's telegram, twilio and mattermost channels refuse forged webhooks, and
Rasa's own slack and facebook channels do too with the bot's credentials.

A bot with `channels=telegram, twilio, mattermost, slack, facebook` is baked. tests/harness/channel_server.py
serves its config/credentials.yml in the Rasa venv with Rasa's own channel code and the bot's
scripts/secure_channels.py, as `rasa run` would, with the bot's generated .env plus test tokens.
Each platform's documented payload is posted as the platform sends it: signed with the twilio
library (9.x here; the bot checks with the 8.x of Rasa's lock), slack_sdk's SignatureVerifier or
Meta's documented HMAC, with Telegram's secret-token header, with Mattermost's outgoing-webhook
token. A forged one is refused (403; Slack: Rasa's 400; Facebook: Rasa's 200 "not validated") and
leaves nothing in the tracker store (a real SQLTrackerStore,
read here with sqlite3). A genuine one lands there, and the reply reaches a local stand-in of the
platform's API (Telegram Bot API, Twilio REST, Mattermost API v4, Slack Web API, Graph API) with
the right chat or user and text.

The bot's own web/nginx.conf, in a real nginx, proxies Twilio's and Telegram's webhooks to it.

What it cannot prove: the platforms' real servers (their TLS, retries, the headers they add), NLU
and dialogue (no model is trained: the stand-in agent echoes the text; test_rasa_e2e.py proves
conversations), and the Docker path (the Docker tier proves the web service's nginx). The REST
base URLs of the twilio, slack_sdk and fbmessenger clients cannot be configured, so the helper
points them at the stand-in (test only).
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

import generate_env
from harness import fail_or_skip, venvs
from harness import web_chat as tools
from harness.processes import LOCAL, free_port, http_json, serve

pytestmark = pytest.mark.rasa

HELPER = Path(__file__).resolve().parent / "harness" / "channel_server.py"
PUBLIC_URL = "https://bot.example.com"  # what the platforms would call (nginx or an ingress in front)
BOT_USERNAME = "mood_test_bot"
CHANNELS = "telegram, twilio, mattermost, slack, facebook"  # the bot's answer
SECRETS = {
    "TELEGRAM_ACCESS_TOKEN": "123456789:AAtest-token_for-the-stand-in",
    "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-of-the-test",
    "TWILIO_NUMBER": "whatsapp:+14155238886",
    "MATTERMOST_BOT_TOKEN": "mattermost-bot-token",
    "MATTERMOST_WEBHOOK_TOKEN": "mattermost-outgoing-webhook-token",
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "slack-signing-secret-of-the-test",
    "FACEBOOK_APP_SECRET": "facebook-app-secret-of-the-test",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "facebook-page-token",
}


class PlatformAPI(http.server.BaseHTTPRequestHandler):
    """The platforms' APIs the bot calls, on 127.0.0.1: records each request, answers as they do."""

    calls: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if body.startswith("{"):  # JSON (Mattermost's client sends it without a Content-Type)
            fields = json.loads(body or "{}")
        else:
            fields = {key: values[-1] for key, values in urllib.parse.parse_qs(body).items()}
        self.calls.append((urllib.parse.urlparse(self.path).path, fields))
        self._answer(*self.reply(self.path))

    do_GET = do_POST

    @staticmethod
    def reply(path: str) -> tuple[int, dict]:
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
        return 201, {"id": "post-id"}  # Mattermost: POST /api/v4/posts

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def platform_api():
    server = http.server.ThreadingHTTPServer((LOCAL, 0), PlatformAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{LOCAL}:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def channels(bake_once, platform_api, tmp_path_factory):
    """The helper serving the bot's channels: (url, the bot's .env with the test's tokens, tracker DB, service)."""
    bot = bake_once(channels=CHANNELS)
    try:
        venv = venvs.rasa_venv(bot.path)
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    scratch = tmp_path_factory.mktemp("channels")
    apis = {"TELEGRAM_API_URL": platform_api, "MATTERMOST_URL": f"{platform_api}/api/v4",
            "TWILIO_API_URL": platform_api, "SLACK_API_URL": f"{platform_api}/slack/",
            "FACEBOOK_API_URL": f"{platform_api}/facebook"}  # fmt: skip
    env = {**generate_env.settings(bot.text(".env")), **SECRETS, "BOT_PUBLIC_URL": PUBLIC_URL, **apis, "NO_PROXY": "*"}
    port, database = free_port(), scratch / "tracker.db"
    url = f"http://{LOCAL}:{port}"
    argv = [str(venv / "bin" / "python"), str(HELPER), str(bot.path), str(port), str(database)]

    def ready(_service) -> bool:
        return http_json(f"{url}/webhooks/rest/", timeout=5)[0] == 200

    with serve("channels", argv, cwd=bot.path, env={**venvs.rasa_env(scratch, venv=venv), **env},
               log=scratch / "channels.log", url=url, ready=ready, timeout=120) as service:  # fmt: skip
        yield service.url, env, database, service


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("TWILIO_AUTH_TOKEN", "twilio: 'auth_token' in config/credentials.yml is empty: set its variable in .env"),
        ("BOT_PUBLIC_URL", "twilio: webhook_url '/webhooks/twilio/webhook' is not the full URL Twilio signs"),
    ],
)
def test_a_missing_setting_stops_the_bot_at_start_saying_what_to_set(channels, tmp_path, unset, message):
    """Better than an open door, or a door that refuses everyone: the bot does not start."""
    _, env, _, service = channels
    argv = service.process.args[:3] + [str(free_port()), str(tmp_path / "tracker.db")]
    run_env = {**venvs.rasa_env(tmp_path, venv=Path(argv[0]).parent.parent), **env, unset: ""}
    result = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def stored_texts(database: Path, sender: str) -> list[str]:
    """The user messages of one conversation, read from the tracker store's own table."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))
        return [json.loads(data)["text"] for (data,) in rows]


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
    _, env, _, _ = channels
    registered = calls_to("/setWebhook")
    assert registered == [
        {"url": f"{PUBLIC_URL}/webhooks/telegram/webhook", "secret_token": env["TELEGRAM_SECRET_TOKEN"]}
    ]
    assert len(env["TELEGRAM_SECRET_TOKEN"]) == 48  # generate_env.py's random secret, not a placeholder


@pytest.mark.parametrize("header", [None, "", "wrong-token"], ids=["no-header", "empty", "wrong"])
def test_telegram_refuses_an_update_without_the_secret_token(channels, header):
    url, env, database, _ = channels
    chat_id = 9001 + [None, "", "wrong-token"].index(header)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = header
    assert post(f"{url}/webhooks/telegram/webhook", telegram_update(chat_id, "hello"), headers) == 403
    assert stored_texts(database, str(chat_id)) == []
    assert not [call for call in calls_to("/sendMessage") if str(call.get("chat_id")) == str(chat_id)]


def test_telegram_update_with_the_secret_token_reaches_the_bot(channels):
    url, env, database, _ = channels
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": env["TELEGRAM_SECRET_TOKEN"]}
    assert post(f"{url}/webhooks/telegram/webhook", telegram_update(4242, "hello"), headers) == 200
    assert stored_texts(database, "4242") == ["hello"]
    assert {"chat_id": "4242", "text": "echo: hello"}.items() <= calls_to("/sendMessage")[-1].items()


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
    url, _, database, _ = channels
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
    assert post_twilio(url, params, signature) == 403
    assert stored_texts(database, sender) == []
    assert not [call for call in calls_to("/Messages.json") if call.get("To") == sender]


def test_twilio_message_signed_by_twilio_reaches_the_bot(channels):
    url, _, database, _ = channels
    sender = "whatsapp:+14155550100"
    params = twilio_message(sender, "hello")
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(
        f"{PUBLIC_URL}/webhooks/twilio/webhook", params
    )
    assert post_twilio(url, params, signature) == 204
    assert stored_texts(database, sender) == ["hello"]
    sent = calls_to(f"/2010-04-01/Accounts/{SECRETS['TWILIO_ACCOUNT_SID']}/Messages.json")
    assert {"To": sender, "From": SECRETS["TWILIO_NUMBER"], "Body": "echo: hello"}.items() <= sent[-1].items()


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
    url, _, database, _ = channels
    user = f"forger-{token}"
    headers = {"Content-Type": "application/json"}
    assert post(f"{url}/webhooks/mattermost/webhook", mattermost_post(user, token), headers) == 403
    assert stored_texts(database, user) == []


def test_mattermost_post_with_the_webhook_token_reaches_the_bot(channels):
    url, env, database, _ = channels
    body = mattermost_post("user-1", env["MATTERMOST_WEBHOOK_TOKEN"])
    assert post(f"{url}/webhooks/mattermost/webhook", body, {"Content-Type": "application/json"}) == 200
    assert stored_texts(database, "user-1") == ["hello"]
    assert {"channel_id": "channel-user-1", "message": "echo: hello"}.items() <= calls_to("/api/v4/posts")[-1].items()


def test_mattermost_buttons_carry_the_webhook_token(channels):
    """The bot's buttons post their clicks back with the token, so genuine clicks pass the check."""
    url, env, _, _ = channels
    body = mattermost_post("user-3", env["MATTERMOST_WEBHOOK_TOKEN"], text="@moodbot buttons")
    assert post(f"{url}/webhooks/mattermost/webhook", body, {"Content-Type": "application/json"}) == 200
    (action,) = calls_to("/api/v4/posts")[-1]["props"]["attachments"][0]["actions"]
    context = {"action": "/mood_great", "token": env["MATTERMOST_WEBHOOK_TOKEN"]}
    assert action["integration"] == {"url": f"{PUBLIC_URL}/webhooks/mattermost/webhook", "context": context}


def test_mattermost_button_click_needs_the_token_in_its_context(channels):
    """Mattermost signs no button click: the bot's buttons carry the token in their context."""
    url, env, database, _ = channels
    headers = {"Content-Type": "application/json"}
    click = {"user_id": "user-2", "channel_id": "channel-user-2", "context": {"action": "/greet"}}
    assert post(f"{url}/webhooks/mattermost/webhook", json.dumps(click).encode(), headers) == 403
    assert stored_texts(database, "user-2") == []
    click["context"]["token"] = env["MATTERMOST_WEBHOOK_TOKEN"]
    assert post(f"{url}/webhooks/mattermost/webhook", json.dumps(click).encode(), headers) == 200
    assert stored_texts(database, "user-2") == ["/greet"]


def test_the_refusals_come_from_the_bots_own_channel_classes(channels):
    """The helper builds the channels as the bot's launcher makes Rasa build them."""
    log = channels[3].log_text()
    built = dict(item.split("=") for item in log.split("channels: ", 1)[1].splitlines()[0].split())
    secured = {name: "secure_channels" for name in ("telegram", "twilio", "mattermost")}
    rasa = {name: f"rasa.core.channels.{name}" for name in ("rest", "slack", "facebook")}
    rasa["socketio"] = "socketio_channel"
    assert built == {**rasa, **secured}


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


@pytest.mark.parametrize("forgery", ["wrong-secret", "ten-minutes-old"])
def test_slack_refuses_an_event_without_its_signature(channels, forgery):
    url, _, database, _ = channels
    user = f"UFORGED{forgery.upper().replace('-', '')}"
    if forgery == "wrong-secret":
        status = post_slack(url, slack_event(user, "hello"), int(time.time()), secret="not-the-signing-secret")
    else:
        status = post_slack(url, slack_event(user, "hello"), int(time.time()) - 600)
    assert status == 400  # Rasa's own answer to an unsigned Slack request
    assert stored_texts(database, user) == []


def test_slack_event_signed_by_slack_reaches_the_bot(channels):
    url, _, database, _ = channels
    assert post_slack(url, slack_event("U2147483697", "hello"), int(time.time())) == 200
    # Rasa answers Slack at once and handles the message in a background task (Slack wants 3 s).
    deadline = time.monotonic() + 30
    while not calls_to("/slack/chat.postMessage") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_texts(database, "U2147483697") == ["hello"]
    sent = calls_to("/slack/chat.postMessage")
    assert sent and {"channel": "DU2147483697", "text": "echo: hello"}.items() <= sent[-1].items()


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


def test_facebook_webhook_verification_uses_the_bots_random_verify_token(channels):
    url, env, _, _ = channels
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": env["FACEBOOK_VERIFY_TOKEN"],
                                    "hub.challenge": "1158201444"})  # fmt: skip
    assert http_json(f"{url}/webhooks/facebook/webhook?{query}") == (200, 1158201444)
    wrong = query.replace(env["FACEBOOK_VERIFY_TOKEN"], "guess")
    assert http_json(f"{url}/webhooks/facebook/webhook?{wrong}") == (200, "failure, invalid token")


def test_facebook_refuses_a_message_without_its_signature(channels):
    url, _, database, _ = channels
    assert post_facebook(url, facebook_message("FORGER", "hello"), secret="not-the-app-secret") == (
        200,
        "not validated",
    )
    assert stored_texts(database, "FORGER") == []


def test_facebook_message_signed_by_meta_reaches_the_bot(channels):
    url, _, database, _ = channels
    assert post_facebook(url, facebook_message("USER42", "hello")) == (200, "success")
    assert stored_texts(database, "USER42") == ["hello"]
    sent = [call for call in calls_to("/facebook/me/messages") if "message" in call]
    assert sent and sent[-1]["recipient"] == {"id": "USER42"} and sent[-1]["message"]["text"] == "echo: hello"


# --- Through the bot's web/nginx.conf, as the platforms reach the bot behind the web service --------


@pytest.fixture(scope="module")
def nginx(channels, bake_once, tmp_path_factory):
    try:
        tools.debian_programs(tools.NGINX)
    except tools.MissingTool as error:
        fail_or_skip("real-Rasa tier", str(error))
    bot = bake_once(channels=CHANNELS)
    with tools.local_nginx(bot.path / "web", channels[0], tmp_path_factory.mktemp("nginx")) as server:
        yield server.url


def test_twilio_through_the_bots_nginx(nginx, channels):
    """nginx passes the signature and the form untouched; the bot checks them against BOT_PUBLIC_URL."""
    _, _, database, _ = channels
    sender, webhook = "+14155550199", f"{PUBLIC_URL}/webhooks/twilio/webhook"
    params = twilio_message(sender, "via nginx")
    forged = RequestValidator("not-the-auth-token").compute_signature(webhook, params)
    assert post_twilio(nginx, params, forged) == 403
    assert stored_texts(database, sender) == []
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(webhook, params)
    assert post_twilio(nginx, params, signature) == 204
    assert stored_texts(database, sender) == ["via nginx"]


def test_telegram_through_the_bots_nginx(nginx, channels):
    _, env, database, _ = channels
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": env["TELEGRAM_SECRET_TOKEN"]}
    assert post(f"{nginx}/webhooks/telegram/webhook", telegram_update(5151, "via nginx"), headers) == 200
    assert stored_texts(database, "5151") == ["via nginx"]

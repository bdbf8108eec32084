"""Rasa 3.6's telegram, twilio, rocketchat, mattermost and botframework channels, refusing webhooks
the platform did not send.

Rasa 3.6.21 checks Slack's and Facebook's webhooks, but not the first four here: anyone who finds the
URL can talk as any user. It checks Bot Framework's only in part. Each class here is Rasa's own
channel plus one check that runs before Rasa reads the request; a request that fails it gets 403
(Bot Framework: 401) and reaches neither the bot nor the tracker store:

- twilio: the `X-Twilio-Signature` header, checked by the twilio library (Rasa's image has it)
  against `webhook_url`, the exact URL registered with Twilio.
- telegram: the `X-Telegram-Bot-Api-Secret-Token` header must be `secret_token`. The bot passes
  that token to Telegram whenever it registers its webhook (at start, as Rasa does, and at
  /webhooks/telegram/set_webhook). `api_url` is the Bot API's address (a local stand-in in tests).
- rocketchat: the outgoing webhook's `token` (or, for a Livechat webhook, the
  `X-RocketChat-Livechat-Token` header) must be `webhook_token`.
- mattermost: the outgoing webhook's `token` must be `webhook_token`. Mattermost signs no button
  click, so the bot's buttons carry that token in their context and clicks are checked the same way.
- botframework: the Bot Connector's token must name Microsoft's issuer, an expiry and the activity's
  serviceUrl, on top of what Rasa checks; `tenant_id` says where replies get their OAuth token.

scripts/rasa_run.py puts these classes in place of Rasa's under the same names, so
config/credentials.yml keeps `telegram:`, `twilio:`, `rocketchat:`, `mattermost:` and `botframework:`
and the webhook URLs stay Rasa's (/webhooks/<name>/webhook). Only the bot's chosen channels are ever built.
"""

import asyncio
import datetime
import hmac
import json
import logging
import re
from http import HTTPStatus

import jwt
import requests
from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, Methods, TelegramAPIServer
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels import BUILTIN_CHANNELS, botframework, mattermost, rocketchat, telegram, twilio
from rasa.shared.exceptions import RasaException
from sanic import response
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


def setting(credentials, channel: str, key: str) -> str:
    """A value credentials.yml must give (from .env): a clear error at start instead of an open door."""
    value = str((credentials or {}).get(key) or "")
    if not value:
        raise RasaException(f"{channel}: '{key}' in config/credentials.yml is empty: set its variable in .env")
    return value


def same(given, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def json_object(request) -> dict:
    """The request's JSON object, or {} when the body is not one."""
    try:
        body = request.json
    except Exception:  # not JSON: sanic's error, whatever its version
        return {}
    return body if isinstance(body, dict) else {}


def guard(blueprint, name: str, is_authentic, status: int = HTTPStatus.FORBIDDEN):
    """Answer `status` (403) to every POST to the blueprint for which is_authentic(request) is false."""

    @blueprint.middleware("request")
    async def refuse_forged(request):
        if request.method == "POST" and not is_authentic(request):
            logger.warning(f"{name}: refused a webhook without a valid signature or token")
            return response.text(HTTPStatus(status).phrase.lower(), status=status)

    return blueprint


class TwilioInput(twilio.TwilioInput):
    """Rasa's twilio channel; a request must carry Twilio's signature of webhook_url and its form."""

    @classmethod
    def from_credentials(cls, credentials):
        channel = super().from_credentials(credentials)
        channel.validator = RequestValidator(setting(credentials, "twilio", "auth_token"))
        channel.webhook_url = setting(credentials, "twilio", "webhook_url")
        if not channel.webhook_url.startswith(("https://", "http://")):
            url = channel.webhook_url
            raise RasaException(
                f"twilio: webhook_url '{url}' is not the full URL Twilio signs: set BOT_PUBLIC_URL in .env"
            )
        return channel

    def blueprint(self, on_new_message):
        def is_authentic(request) -> bool:
            signature = request.headers.get("X-Twilio-Signature", "")
            url = f"{self.webhook_url}?{request.query_string}" if request.query_string else self.webhook_url
            return bool(signature) and self.validator.validate(url, request.form, signature)

        return guard(super().blueprint(on_new_message), "twilio", is_authentic)


class TelegramOutput(telegram.TelegramOutput):
    """Rasa's Telegram output on a configurable Bot API, registering the webhook with the secret token."""

    def __init__(self, access_token, secret_token: str, api_url: str = "") -> None:
        server = TelegramAPIServer.from_base(api_url) if api_url else TELEGRAM_PRODUCTION
        Bot.__init__(self, access_token, server=server)
        self.secret_token = secret_token

    async def set_webhook(self, url, *args, **kwargs):
        return await self.request(Methods.SET_WEBHOOK, {"url": url, "secret_token": self.secret_token})


class TelegramInput(telegram.TelegramInput):
    """Rasa's telegram channel; an update must carry the secret token the webhook was registered with."""

    @classmethod
    def from_credentials(cls, credentials):
        channel = super().from_credentials(credentials)
        channel.secret_token = setting(credentials, "telegram", "secret_token")
        channel.api_url = str(credentials.get("api_url") or "")
        return channel

    def blueprint(self, on_new_message):
        def is_authentic(request) -> bool:
            return same(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), self.secret_token)

        return guard(super().blueprint(on_new_message), "telegram", is_authentic)

    def get_output_channel(self) -> TelegramOutput:
        """As Rasa's: register the webhook when the channel is built, here with the secret token."""
        channel = TelegramOutput(self.access_token, self.secret_token, self.api_url)

        async def register() -> None:
            try:
                await channel.set_webhook(url=self.webhook_url)
            finally:  # the HTTP session belongs to this short event loop: the server's opens its own
                await channel.close()

        try:
            asyncio.run(register())
        except TelegramAPIError as error:
            raise RasaException(f"Failed to set channel webhook: {error}") from error
        return channel


class WebhookTokenChecked:
    """Mixed into a Rasa channel whose platform sends its outgoing webhook's token with each message:
    `webhook_token` in credentials.yml, and token_of(request) says where a request carries it."""

    @staticmethod
    def token_of(request):
        raise NotImplementedError

    @classmethod
    def from_credentials(cls, credentials):
        channel = super().from_credentials(credentials)
        channel.webhook_token = setting(credentials, cls.name(), "webhook_token")
        return channel

    def blueprint(self, on_new_message):
        def is_authentic(request) -> bool:
            return same(self.token_of(request), self.webhook_token)

        return guard(super().blueprint(on_new_message), self.name(), is_authentic)


class RocketChatInput(WebhookTokenChecked, rocketchat.RocketChatInput):
    """Rasa's rocketchat channel; a message must carry the webhook's token (in the body of an
    outgoing webhook, in a header for a Livechat one)."""

    @staticmethod
    def token_of(request):
        return request.headers.get("X-RocketChat-Livechat-Token") or json_object(request).get("token")


class MattermostBot(mattermost.MattermostBot):
    """Rasa's Mattermost output; its buttons carry the webhook token, so their clicks can be checked."""

    def __init__(self, url, token, bot_channel, webhook_url, webhook_token: str) -> None:
        super().__init__(url, token, bot_channel, webhook_url)
        self.webhook_token = webhook_token

    def _post_data_to_channel(self, data):
        """Rasa's, with the token in each button, and Mattermost's answer to a new post (201 Created,
        its API reference says) taken as success: Rasa 3.6 expects 200 and logs an error per reply."""
        for attachment in (data.get("props") or {}).get("attachments", []):
            for action in attachment.get("actions", []):
                action["integration"]["context"]["token"] = self.webhook_token
        headers = {"Authorization": "Bearer " + self.token}
        reply = requests.post(self.url + "/posts", headers=headers, data=json.dumps(data), timeout=30)
        if reply.status_code not in (200, 201):
            logger.error(f"Failed to send message to mattermost channel {data.get('channel_id')}. Response: {reply}")
        return reply


class MattermostInput(WebhookTokenChecked, mattermost.MattermostInput):
    """Rasa's mattermost channel; a message or button click must carry the outgoing webhook's token."""

    @staticmethod
    def token_of(request):
        body = json_object(request)
        context = body.get("context") if isinstance(body.get("context"), dict) else {}
        return body.get("token", context.get("token"))

    async def _handle_message(self, message, sender_id, bot_channel, metadata, on_new_message):
        """Rasa's, with the output above."""
        try:
            out_channel = MattermostBot(self.url, self.token, bot_channel, self.webhook_url, self.webhook_token)
            user_message = mattermost.UserMessage(
                message, out_channel, sender_id, input_channel=self.name(), metadata=metadata
            )
            await on_new_message(user_message)
        except Exception as error:
            logger.error(f"Exception when trying to handle message.{error}")
            logger.debug(error, exc_info=True)


BOT_CONNECTOR_ISSUER = "https://api.botframework.com"
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")  # a GUID, or a domain such as contoso.onmicrosoft.com


class BotFrameworkOutput(botframework.BotFramework):
    """Rasa's Bot Framework output, getting its OAuth token at token_url."""

    def __init__(self, app_id, app_password, conversation, bot, service_url, token_url: str) -> None:
        super().__init__(app_id, app_password, conversation, bot, service_url)
        self.token_url = token_url

    async def _get_headers(self):
        """Rasa's (the token shared by every reply until it expires), from token_url: Rasa 3.6 always
        asks the multi-tenant `botframework.com` tenant."""
        shared = botframework.BotFramework
        if shared.token_expiration_date < datetime.datetime.now():
            form = {"client_id": self.app_id, "client_secret": self.app_password,
                    "grant_type": "client_credentials", "scope": "https://api.botframework.com/.default"}  # fmt: skip
            answer = requests.post(self.token_url, data=form, timeout=30)
            if not answer.ok:
                logger.error(f"Could not get BotFramework token from {self.token_url}: {answer.status_code} "
                             f"{answer.text[:300]}")  # fmt: skip
                return None
            token = answer.json()
            expires_in = datetime.timedelta(seconds=int(token["expires_in"]))
            shared.token_expiration_date = datetime.datetime.now() + expires_in
            shared.headers = {"content-type": "application/json", "Authorization": f"Bearer {token['access_token']}"}
        return shared.headers


class BotFrameworkInput(botframework.BotFrameworkInput):
    """Rasa's botframework channel, with the checks Microsoft asks for that Rasa 3.6 leaves out.

    Rasa checks the Bot Connector's JWT against Microsoft's keys: the key (`kid`), the signature, the
    audience (the app id), and `nbf`/`exp` when the token has them. It does not check the issuer,
    that the token expires at all, nor that its `serviceurl` claim is the activity's `serviceUrl`: a
    genuine token replayed with another serviceUrl would make Rasa post its OAuth token there. This class
    refuses those with 401 before Rasa's check, which still runs. And Rasa asks for the token of its
    replies at the multi-tenant `botframework.com` tenant only: with `tenant_id` (a Single Tenant
    bot, as Azure creates them since 31 July 2025) the bot asks that tenant instead.
    """

    @classmethod
    def from_credentials(cls, credentials):
        app_id = setting(credentials, "botframework", "app_id")
        password = setting(credentials, "botframework", "app_password")
        tenant = str(credentials.get("tenant_id") or "") or "botframework.com"  # empty: Multi Tenant, as Rasa
        if not TENANT_ID.fullmatch(tenant):
            raise RasaException(
                f"botframework: tenant_id '{tenant}' in config/credentials.yml is not a tenant id: set "
                "BOTFRAMEWORK_TENANT_ID in .env to your Azure Bot's App Tenant ID (a GUID), or leave it empty "
                "for a Multi Tenant bot"
            )
        channel = cls(app_id, password)  # Rasa's: fetches Microsoft's keys
        channel.token_url = f"{botframework.MICROSOFT_OAUTH2_URL}/{tenant}/oauth2/v2.0/token"
        return channel

    def claims_problem(self, request) -> str:
        """What is wrong with the token's claims for this activity, or "" when nothing is.

        The claims are read here without checking the signature. That is safe only because Rasa's
        own check (key, signature, audience, life) runs next, on the same request and the same token,
        before Rasa reads the activity: the signature covers these claims, so a token whose claims
        pass here but that Microsoft did not sign is still refused. This check only refuses more."""
        bearer = botframework.BEARER_REGEX.match(request.headers.get("Authorization") or "")
        try:
            claims = jwt.decode(bearer.group(1), options={"verify_signature": False}) if bearer else None
        except jwt.PyJWTError as error:
            return f"the token is no JWT ({error})"
        if claims is None:
            return "no Authorization: Bearer token"
        if claims.get("iss") != BOT_CONNECTOR_ISSUER:
            return f"the token's issuer is {claims.get('iss')!r}, not {BOT_CONNECTOR_ISSUER}"
        if not isinstance(claims.get("exp"), int):  # Rasa checks its value, but only when it is there
            return "the token has no expiry (exp)"
        service_url = json_object(request).get("serviceUrl")
        if not isinstance(service_url, str) or claims.get("serviceurl") != service_url:
            return f"the token's serviceurl {claims.get('serviceurl')!r} is not the activity's {service_url!r}"
        return ""

    def blueprint(self, on_new_message):
        def is_authentic(request) -> bool:
            problem = self.claims_problem(request)
            if problem:
                logger.warning(f"botframework: {problem}")
            return not problem

        async def answered_from_the_tenant(message):
            rasas = message.output_channel  # Rasa's BotFramework for this activity
            message.output_channel = BotFrameworkOutput(
                rasas.app_id, rasas.app_password, rasas.conversation, rasas.bot,
                rasas.global_uri.removesuffix("v3/"), self.token_url,
            )  # fmt: skip
            await on_new_message(message)

        blueprint = super().blueprint(answered_from_the_tenant)
        return guard(blueprint, "botframework", is_authentic, status=HTTPStatus.UNAUTHORIZED)


def install() -> None:
    """Make `telegram:`, `twilio:`, `rocketchat:`, `mattermost:` and `botframework:` in credentials.yml
    mean these channels."""
    for channel in (TelegramInput, TwilioInput, RocketChatInput, MattermostInput, BotFrameworkInput):
        BUILTIN_CHANNELS[channel.name()] = channel

#!/usr/bin/env python3
"""`make telegram-webhook`: tell Telegram where the bot's webhook is, with its secret token.

Reads .env: TELEGRAM_ACCESS_TOKEN (from @BotFather), BOT_PUBLIC_URL (the public https address of
this bot), TELEGRAM_SECRET_TOKEN (random, written by generate_env.py) and TELEGRAM_API_URL. Calls
the Bot API's setWebhook, then prints what Telegram reports (getWebhookInfo), last error included.
Telegram then sends every update with the header X-Telegram-Bot-Api-Secret-Token, and the bot
(scripts/secure_channels.py) refuses any update without it. The bot also registers the webhook
each time Rasa starts; this command does it without a restart and shows Telegram's answer.
Standard library only; the token stays out of the command line.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from generate_env import settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"


def call(env: dict[str, str], method: str, fields: dict[str, str]) -> dict:
    """One Bot API method; its `result`, or SystemExit with Telegram's description."""
    base = env.get("TELEGRAM_API_URL") or "https://api.telegram.org"
    url = f"{base.rstrip('/')}/bot{env['TELEGRAM_ACCESS_TOKEN']}/{method}"
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise SystemExit(f"telegram_webhook.py: cannot reach {base}: {error}") from None
    if not body.get("ok"):
        raise SystemExit(f"telegram_webhook.py: {method} failed: {body.get('description', body)}")
    return body["result"]


def main() -> int:
    env_file = Path(__file__).resolve().parent.parent / ".env"
    env = settings(env_file.read_text(encoding="utf-8")) if env_file.is_file() else {}
    missing = [key for key in ("TELEGRAM_ACCESS_TOKEN", "BOT_PUBLIC_URL", "TELEGRAM_SECRET_TOKEN") if not env.get(key)]
    if missing:
        print(f"telegram_webhook.py: set {', '.join(missing)} in .env first (README: Telegram)", file=sys.stderr)
        return 1
    url = env["BOT_PUBLIC_URL"].rstrip("/") + WEBHOOK_PATH
    if not url.startswith("https://"):
        print(f"telegram_webhook.py: Telegram only calls https:// addresses, not {url}", file=sys.stderr)
        return 1
    call(env, "setWebhook", {"url": url, "secret_token": env["TELEGRAM_SECRET_TOKEN"]})
    info = call(env, "getWebhookInfo", {})
    print(f"Telegram sends updates to {info.get('url')} ({info.get('pending_update_count', 0)} waiting)")
    if info.get("last_error_message"):
        print(f"Telegram's last error reaching it: {info['last_error_message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

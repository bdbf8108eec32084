"""Bots with messenger channels: each channel alone and all of them render, pass the checker and
`docker compose config`, read every secret from the environment, and keep the user's values when
rendered again; the Telegram webhook script against a stand-in of the Bot API.

Fast tier: a few targeted bakes (the combination matrix keeps `channels` empty). What Rasa does with
these files is proven in test_channels_rasa.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import generate_env
from check_bot import check_bot
from harness import stand_ins
from harness.combinations import TEMPLATE_DIR
from harness.kustomize import documents, generated, kustomize
from rasa_template.answers import CHANNELS, SECURED_CHANNELS

COMPOSE = Path(sys.executable).parent / "docker-compose"
ALL = ", ".join(CHANNELS)
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")


def credential_vars(credentials: dict) -> set[str]:
    return {
        var
        for block in credentials.values()
        if block
        for value in block.values()
        for var in ENV_VAR.findall(str(value))
    }


@pytest.mark.parametrize("channels", [*CHANNELS, ALL])
def test_channels_render_a_bot_that_passes_its_checks(bake_once, channels):
    bot = bake_once(channels=channels)
    names = [name.strip() for name in channels.split(",")]
    assert check_bot(bot.path) == []
    credentials = bot.yaml("config/credentials.yml")
    assert list(credentials) == ["rest", "socketio", *names]  # only the chosen ones: an unset ${VAR} stops Rasa
    for name in names:
        assert credentials[name] == yaml.safe_load(yaml.safe_dump(CHANNELS[name]))
    wanted = credential_vars(credentials)
    assert wanted <= set(generate_env.settings(bot.text(".env.example")))
    env = generate_env.settings(bot.text(".env"))
    assert wanted <= set(env) and "change-me" not in env.values()
    plain_env = {"PATH": str(COMPOSE.parent), "HOME": str(Path.home())}  # no shell variable shadows .env
    command = [str(COMPOSE), "config", "--format", "json"]
    result = subprocess.run(command, cwd=bot.path, capture_output=True, text=True, timeout=60, env=plain_env)
    assert result.returncode == 0, result.stderr
    assert wanted <= set(json.loads(result.stdout)["services"]["rasa"]["environment"])
    secured = [name for name in names if name in SECURED_CHANNELS]
    assert bot.exists("scripts/secure_channels.py") == bool(secured)
    assert ("COPY --chown=1001:0 scripts/secure_channels.py" in bot.text("rasa.Dockerfile")) == bool(secured)
    assert bot.exists("scripts/telegram_webhook.py") == ("telegram" in names)
    for name in names:
        assert f"/webhooks/{name}/webhook" in bot.text("README.md")
    assert re.search(r"^\s*location /webhooks/ \{\n(.*\n){0,3}\s*proxy_pass \$rasa;", bot.text("web/nginx.conf"), re.M)


def test_the_bot_chooses_its_own_secrets_and_leaves_the_platforms_empty(bake_once):
    env = generate_env.settings(bake_once(channels=ALL).text(".env"))
    assert re.fullmatch(r"[0-9a-f]{48}", env["TELEGRAM_SECRET_TOKEN"])
    assert re.fullmatch(r"[0-9a-f]{48}", env["FACEBOOK_VERIFY_TOKEN"])
    assert env["TELEGRAM_ACCESS_TOKEN"] == env["TWILIO_AUTH_TOKEN"] == env["BOT_PUBLIC_URL"] == ""


def test_kubernetes_secret_and_configmap_carry_the_channels(bake_once, tmp_path):
    bot = bake_once(channels="telegram, slack, botframework", kubernetes=True, tracker_store="postgres")
    base = tmp_path / "base"
    shutil.copytree(bot.path / "deploy" / "kubernetes" / "base", base)
    generate_env.write_env(base)
    built = kustomize(base)
    assert built.returncode == 0, built.stderr
    resources = documents(built.stdout)
    credentials = yaml.safe_load(generated(resources, "ConfigMap", "rasa-config")["data"]["credentials.yml"])
    assert list(credentials) == ["rest", "socketio", "telegram", "slack", "botframework"]
    assert credentials["botframework"]["tenant_id"] == "${BOTFRAMEWORK_TENANT_ID}"
    secret_keys = set(generated(resources, "Secret", "rasa-secrets")["data"])
    assert "BOTFRAMEWORK_TENANT_ID" in secret_keys
    assert credential_vars(credentials) <= secret_keys
    rasa = next(r for r in resources if r["kind"] == "Deployment" and r["metadata"]["name"] == "rasa")
    env = {item["name"] for item in rasa["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert credential_vars(credentials) <= env


def test_botframework_tenant_id_starts_empty_and_the_bots_class_reads_it(bake_once):
    """Empty: Rasa's multi-tenant token endpoint, as before; a Single Tenant bot (all Azure creates
    since 31 July 2025) sets it, as the bot README says. Rasa's own channel ignores `tenant_id`: the
    bot's scripts/secure_channels.py reads it (and adds the token checks), so it comes with the channel."""
    bot = bake_once(channels="botframework")
    assert bot.yaml("config/credentials.yml")["botframework"] == {
        "app_id": "${BOTFRAMEWORK_APP_ID}",
        "app_password": "${BOTFRAMEWORK_APP_PASSWORD}",
        "tenant_id": "${BOTFRAMEWORK_TENANT_ID}",
    }
    for env_file in (".env.example", ".env"):
        assert generate_env.settings(bot.text(env_file))["BOTFRAMEWORK_TENANT_ID"] == "", env_file
    assert bot.exists("scripts/secure_channels.py")
    readme = " ".join(bot.text("README.md").split())
    row = "| `BOTFRAMEWORK_TENANT_ID` | **Single Tenant** bot: the same page, App Tenant ID (a GUID). **Multi Tenant**"
    assert f"{row} bot: leave it empty |" in readme
    assert "Rasa checks it with Microsoft's keys" in readme and "Otherwise: 401." in readme


def test_rendering_again_with_more_channels_keeps_the_users_values(tmp_path):
    def render(channels: str, *flags: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "cookiecutter", "--no-input", *flags, "-o", str(tmp_path), str(TEMPLATE_DIR)]
        return subprocess.run([*command, f"channels={channels}"], capture_output=True, text=True, timeout=120)

    assert render("telegram").returncode == 0
    bot = tmp_path / "mood_bot"
    env_file = bot / ".env"
    env_file.write_text(env_file.read_text().replace("TELEGRAM_ACCESS_TOKEN=", "TELEGRAM_ACCESS_TOKEN=123:mine"))
    secret = generate_env.settings(env_file.read_text())["TELEGRAM_SECRET_TOKEN"]
    again = render("telegram, twilio", "-f")
    assert again.returncode == 0, again.stderr
    assert "Added to .env (existing values kept): TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_NUMBER" in again.stdout
    env = generate_env.settings(env_file.read_text())
    assert env["TELEGRAM_ACCESS_TOKEN"] == "123:mine" and env["TELEGRAM_SECRET_TOKEN"] == secret
    assert json.loads((bot / ".cookiecutter.json").read_text())["cookiecutter"]["channels"] == "telegram, twilio"
    none = render("", "-f")
    assert none.returncode == 0, none.stderr
    assert (
        not (bot / "scripts" / "secure_channels.py").exists() and not (bot / "scripts" / "telegram_webhook.py").exists()
    )
    assert "telegram" not in yaml.safe_load((bot / "config" / "credentials.yml").read_text())


# --- make telegram-webhook against a stand-in of the Bot API -------------------------------------


class BotAPI(stand_ins.RecordingAPI):
    """Telegram's Bot API: setWebhook, then getWebhookInfo reporting the webhook's last error."""

    calls: list[tuple[str, dict]] = []

    @staticmethod
    def reply(path: str) -> tuple[int, dict]:
        info = {"url": "https://bot.example.com/webhooks/telegram/webhook", "pending_update_count": 0,
                "last_error_message": "Wrong response from the webhook: 403 Forbidden"}  # fmt: skip
        return 200, {"ok": True, "result": True if path.endswith("/setWebhook") else info}


@pytest.fixture
def telegram_bot(bake):
    bot = bake(channels="telegram")
    with stand_ins.serving(BotAPI) as api:
        env_file = bot.path / ".env"
        text = env_file.read_text().replace("TELEGRAM_ACCESS_TOKEN=", "TELEGRAM_ACCESS_TOKEN=123:abc")
        text = text.replace("TELEGRAM_API_URL=https://api.telegram.org", f"TELEGRAM_API_URL={api}")
        env_file.write_text(text)
        yield bot


def webhook_script(bot) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "telegram-webhook"], cwd=bot.path, capture_output=True, text=True, timeout=60)


def test_telegram_webhook_is_set_with_the_secret_token(telegram_bot):
    env_file = telegram_bot.path / ".env"
    env_file.write_text(env_file.read_text().replace("BOT_PUBLIC_URL=", "BOT_PUBLIC_URL=https://bot.example.com/"))
    BotAPI.calls.clear()
    result = webhook_script(telegram_bot)
    assert result.returncode == 0, result.stderr
    secret = generate_env.settings(env_file.read_text())["TELEGRAM_SECRET_TOKEN"]
    assert BotAPI.calls[0] == ("/bot123:abc/setWebhook", {"url": "https://bot.example.com/webhooks/telegram/webhook",
                                                          "secret_token": secret})  # fmt: skip
    assert BotAPI.calls[1][0] == "/bot123:abc/getWebhookInfo"
    assert "Telegram's last error reaching it: Wrong response from the webhook: 403 Forbidden" in result.stdout
    assert "123:abc" not in result.stdout + result.stderr


REFUSED = [("", "set BOT_PUBLIC_URL in .env first"), ("http://bot.example.com", "Telegram only calls https://")]


@pytest.mark.parametrize(("public_url", "message"), REFUSED)
def test_telegram_webhook_refuses_what_telegram_would(telegram_bot, public_url, message):
    env_file = telegram_bot.path / ".env"
    env_file.write_text(env_file.read_text().replace("BOT_PUBLIC_URL=", f"BOT_PUBLIC_URL={public_url}"))
    BotAPI.calls.clear()
    result = webhook_script(telegram_bot)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr
    assert BotAPI.calls == []

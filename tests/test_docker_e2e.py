"""The walkthrough's Docker path on a real engine: bake, `make train`, `make up`, curl, backup and restore.

Runs scripts/docker-sandbox (a private dockerd with local stand-ins of rasa/rasa, rasa/rasa-sdk,
postgres, redis and nginx, tagged as the rendered files name them; see tests/docker/README.md), then for
each bot of BOTS, one after the other (they all publish port 5005):

- `make train` and `make up`, exactly as the bot's README says (the real rendered Dockerfiles,
  compose file, healthchecks and `depends_on`);
- the README's curl -> exactly "Hi, how is it going?", then the bot's own scripts/smoke_test.py,
  from here and through `make smoke` without a local PyYAML (it then runs in the Rasa image);
- the redis bot also has `channels=telegram,slack`: through the `web` service, a Telegram update with
  the secret token reaches the bot, whose answer reaches a stand-in of Telegram's Bot API on this
  machine (the containers reach it at Docker's bridge address), and a Slack event signed as Slack
  signs it reaches the bot, which calls slack.com to answer (the containers have no Internet: Rasa
  logs that call failing); forged ones get 403 / 400 and leave no conversation. It cannot prove the
  platforms' servers;
- the `web` service: the page (web_chat, on by default; the custom-store bot has web_chat=no and
  gets one line saying where the webhooks are) and the REST channel through its nginx on
  127.0.0.1:8080, Rasa's API 404 there, nginx running as uid 101; for the default bot, Debian's Chromium (Selenium, the
  browser tier's helpers) types "hello" on the page, sees the greeting, and after
  `docker compose stop rasa` sees the page's offline state (screenshots in pytest's basetemp,
  browser-artifacts/);
- the joke comes from the action_server container: its log shows the action running there (the
  test points JOKE_API_URL at a closed local port, so the action logs its fallback to a local joke);
- no process of the rasa and action_server containers runs as root; redis (the redis bot's store,
  the postgres bot's lock-redis) refuses a client without its password, and no password is on a
  process command line;
- `make backup` (an archive readable by its owner only), `docker compose down -v` (the store's volume
  goes), `make restore FILE=...`, `make up`: the conversation is back in /conversations/<id>/tracker,
  one held after the backup is not; before that, a restore over that newer conversation is refused
  (SQLite, the JSON-file store, PostgreSQL and Redis: every store here is persistent);
- the postgres bot with `make up REPLICAS=2`: two Rasa containers, one port each on 127.0.0.1
  (5005, 5006); through nginx, the smoke test's conversations and a dozen greetings are answered
  right, and Redis' MONITOR on lock-redis shows both replicas' addresses taking conversation locks;
- the default bot's `make insights` (the report of its stored conversations, with charts) and
  `make review` (the page on 127.0.0.1 with its token lists the smoke test's unknown message; 403
  without the token; Ctrl-C removes its container), both in the Rasa image;
- the default bot's production setup (`make up-prod`, a certificate of a CA the test makes, mounted
  as the README's "your own certificate"): only 80 and 443 public, the page and REST over HTTPS
  with HSTS, Chromium (the CA in its NSS database) chatting on https://bot.test/, HTTP
  redirected, Rasa's HTTP API 404 through nginx; rasa recreated at a new address
  answers again through `web` without a restart of `web`; a client over the rate limit (a container
  on the network) gets 429 while a conversation from the host passes;
- `docker compose down -v` leaves no volume behind (named or anonymous), and the bot's images are removed.
- `make dev-docker` on the default bot: trains and answers in the Rasa image, serves an example
  added to data/nlu.yml, and Ctrl-C removes its container.

Not covered here, each for the reason combinations.DOCKER_NOT_COVERED gives (pytest's header
prints them). What the stand-ins cannot prove is listed
in tests/docker/README.md.

If the sandbox cannot start, the tests fail when CI is set and are skipped (with the reason)
otherwise. Timings (train, action-server image build and size, `make up`, time to the first right
answer) are printed per bot and kept as junit properties.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import http.client
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

# The messenger channels' payloads and signatures, as the real tier posts them.
from test_channels_rasa import SECRETS, post, post_slack, slack_event, telegram_update

# The browser tier's Chromium and page helpers, for the default bot's chat page.
from test_web_chat_browser import artifacts, browser, chromium, page_state, say, screenshot, wait_for  # noqa: F401

# The edge test's CA and certificate, for `make up-prod`.
from test_web_edge import NAME as EDGE_NAME
from test_web_edge import certs  # noqa: F401  (fixture)

import rasa_http
import smoke_test
from harness import fail_or_skip, stand_ins
from harness import web_chat as tools
from harness.bots import UNSEEN_GREETING
from harness.combinations import CHOICES, DOCKER_NOT_COVERED, PINS, TEMPLATE_DIR, combo_id, is_valid
from harness.processes import LOCAL, http_json
from rasa_template.answers import default_answers

pytestmark = pytest.mark.docker

SANDBOX = TEMPLATE_DIR / "scripts" / "docker-sandbox"
URL = "http://127.0.0.1:5005"
WEB_URL = "http://127.0.0.1:8080"  # the web service (nginx, every bot)
GREETING = "Hi, how is it going?"
# A closed port on the action server's own loopback: the action logs that the API failed.
JOKE_API_URL = "http://127.0.0.1:9/joke"
JOKE_API_LOG = f"Joke API {JOKE_API_URL} failed"
# Every tracker store with a stand-in and a file or service of its own, both custom_actions answers,
# both Rasa lines. The first is the default bot a newcomer gets; the last is
# `cookiecutter . --no-input rasa_version=2.8`, the walkthrough's Markdown bot.
BOTS = [
    {"rasa_version": "3.6", "tracker_store": "sqlite", "nlu_pipeline": "light", "custom_actions": True},
    {"rasa_version": "3.6", "tracker_store": "postgres", "nlu_pipeline": "light", "custom_actions": True},
    {
        "rasa_version": "3.6",
        "tracker_store": "redis",
        "nlu_pipeline": "light",
        "custom_actions": False,
        "channels": "telegram,slack",
    },  # fmt: skip
    {
        "rasa_version": "3.6",
        "tracker_store": "custom",
        "nlu_pipeline": "light",
        "custom_actions": False,
        "web_chat": False,
    },  # fmt: skip
    {"rasa_version": "2.8", "tracker_store": "sqlite", "nlu_pipeline": "light", "custom_actions": True},
]
LINES = sorted({answers["rasa_version"] for answers in BOTS})
WEB_UID = "101"  # the official nginx image's nginx user, as docker-compose.yml runs it


def _unavailable(reason: str):
    print(f"docker tier: {reason}", file=sys.stderr)
    fail_or_skip("Docker tier", reason)


def _sandbox(command: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SANDBOX), command], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def docker_env():
    """The environment that points docker / docker compose at the sandbox (started if needed)."""
    if sys.platform != "linux":
        _unavailable(f"the Docker sandbox needs Linux (this is {sys.platform})")
    if os.geteuid() != 0:
        _unavailable("the Docker sandbox needs root (dockerd, debootstrap)")
    env = {**os.environ, "DOCKER_SANDBOX_RASA_LINES": " ".join(LINES)}  # only the images these bots use
    here = Path(sys.executable).parent
    if (here / "docker-compose").is_file():  # this dev venv has cookiecutter and docker-compose
        env["SANDBOX_PYTHON"] = sys.executable
    was_running = _sandbox("env", env, 60).returncode == 0
    start = time.monotonic()
    try:
        up = _sandbox("up", env, 3600)
    except subprocess.TimeoutExpired:
        _unavailable("scripts/docker-sandbox up took more than an hour")
    if up.returncode != 0:
        if not was_running:  # stop what this failed `up` may have started
            _sandbox("down", env, 300)
        _unavailable(f"scripts/docker-sandbox up failed ({up.returncode}):\n{up.stderr[-3000:]}")
    print(f"\ndocker sandbox up in {time.monotonic() - start:.0f} s\n{up.stderr}", file=sys.stderr)
    for line in up.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            env[key] = value
    assert env.get("DOCKER_HOST", "").startswith("unix://"), f"no DOCKER_HOST from the sandbox:\n{up.stdout}"
    yield env
    if not was_running:
        _sandbox("down", env, 300)


class ComposeProject:
    """A baked bot driven the way its README says, against the sandbox."""

    def __init__(self, path: Path, env: dict) -> None:
        self.path = path
        self.env = env
        self.slug = path.name
        self.timings: dict[str, float] = {}
        dotenv = (path / ".env").read_text(encoding="utf-8").splitlines()
        self.settings = dict(line.split("=", 1) for line in dotenv if "=" in line and not line.startswith("#"))

    def set_env(self, values: dict[str, str]) -> None:
        """Set keys of .env, as a user edits it before `make up`; each key must already be there."""
        dotenv = self.path / ".env"
        lines = dotenv.read_text(encoding="utf-8").splitlines()
        missing = set(values) - {line.split("=", 1)[0] for line in lines if "=" in line}
        assert not missing, f"make .env wrote no {sorted(missing)}"
        lines = [f"{key}={values[key]}" if (key := line.split("=", 1)[0]) in values and "=" in line else line
                 for line in lines]  # fmt: skip
        dotenv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.settings.update(values)

    def run(self, *command: str, timeout: float = 900, env: dict | None = None, check: bool = True):
        result = subprocess.run(
            command, cwd=self.path, env=env or self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` exited {result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}",
                pytrace=False,
            )
        return result

    def compose(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run("docker", "compose", *args, **kwargs)

    def timed(self, name: str, *command: str, **kwargs) -> subprocess.CompletedProcess:
        start = time.monotonic()
        result = self.run(*command, **kwargs)
        self.timings[name] = round(time.monotonic() - start, 1)
        return result

    def logs(self, service: str = "") -> str:
        result = self.compose("logs", "--no-color", *([service] if service else []), check=False, timeout=120)
        return result.stdout + result.stderr


def tracker_texts(bot: ComposeProject, sender: str) -> list[tuple[str, str]]:
    token = bot.settings["RASA_AUTH_TOKEN"]
    status, body = http_json(f"{URL}/conversations/{sender}/tracker?token={token}", timeout=30)
    assert status == 200 and isinstance(body, dict), f"GET tracker of {sender!r}: {status} {body}"
    events = body["events"]
    return [(event["event"], event.get("text") or "") for event in events if event["event"] in ("user", "bot")]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def port_5005(docker_env: dict):
    """One bot at a time on ports 5005 and 8080, even across pytest processes."""
    with open(Path(docker_env["DOCKER_HOST"][len("unix://") :]).parent / "e2e.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for port in (5005, 8080):
            assert not port_in_use(port), f"127.0.0.1:{port} is taken: stop what listens there (docker ps, ss -ltnp)"
        yield


def image_size_mb(bot: ComposeProject, image: str) -> float:
    size = bot.run("docker", "image", "inspect", "--format", "{{.Size}}", image).stdout.strip()
    return int(size) / 1e6


def test_bots_cover_every_store_with_a_stand_in():
    """The Docker tier's coverage, stated: a new answer must be added to BOTS or to DOCKER_NOT_COVERED."""
    for answers in BOTS:  # each a supported combination, the other prompts at their defaults
        assert is_valid({**default_answers(), **answers}), answers
    for key in ("rasa_version", "tracker_store", "nlu_pipeline", "custom_actions"):
        covered = {answers[key] for answers in BOTS}
        assert covered | set(DOCKER_NOT_COVERED.get(key, {})) == set(CHOICES[key]), key
        assert not covered & set(DOCKER_NOT_COVERED.get(key, {})), key


def list_a_site(bot: ComposeProject, site: Path, port: int) -> str:
    """A site on another origin (http://127.0.0.1:PORT) that embeds the widget by the README's snippet,
    listed in .env's WEB_ALLOWED_ORIGINS before `make up`, as the README tells a user to do."""
    origin = f"http://127.0.0.1:{port}"
    (site / "host.html").write_text(tools.host_page(bot.path, WEB_URL), encoding="utf-8")
    assert bot.settings.get("WEB_ALLOWED_ORIGINS") == "", "make .env writes an empty WEB_ALLOWED_ORIGINS"
    bot.set_env({"WEB_ALLOWED_ORIGINS": origin})
    return origin


def chat_page_on_docker(bot: ComposeProject, driver, folder: Path, site: str) -> None:
    """The default bot's page, as a visitor uses it: "hello" -> the greeting; the widget on the listed
    site does the same through the `web` service, and a site not listed gets 403; then Rasa stops and
    the page says it cannot reach the assistant."""
    from selenium.webdriver.common.by import By

    driver.get(WEB_URL + "/")
    driver.execute_script("localStorage.clear()")  # a new visitor: no stored session
    driver.refresh()
    wait_for(driver, lambda d: page_state(d)["status"] == "online", "the online state")
    assert say(driver, "hello") == [("user", "hello"), ("bot", GREETING)]
    screenshot(driver, folder, "docker-chat")

    driver.get(f"{site}/host.html")  # the widget on another site
    driver.execute_script("localStorage.clear()")
    driver.refresh()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".rasa-chat-launcher"), "the launcher", 30)
    driver.find_element(By.CSS_SELECTOR, ".rasa-chat-launcher").click()
    wait_for(driver, lambda d: page_state(d)["status"] == "online", "the widget's online state")
    assert say(driver, "hello") == [("user", "hello"), ("bot", GREETING)]
    screenshot(driver, folder, "docker-widget")
    probe = f"{WEB_URL}/socket.io/?EIO=4&transport=polling"
    assert tools.origin_status(probe, site) == 200
    assert tools.origin_status(probe, site.replace("127.0.0.1", "localhost")) == 403, "a site not listed"

    bot.compose("stop", "rasa", timeout=300)
    driver.get(WEB_URL + "/")
    wait_for(driver, lambda d: page_state(d)["status"] == "offline", "the offline state")
    assert "Cannot reach the assistant" in driver.find_element(By.ID, "rasa-chat-status").text
    assert not driver.find_element(By.ID, "rasa-chat-message").is_enabled()
    screenshot(driver, folder, "docker-offline")


def web_service_works(bot: ComposeProject, page: bool) -> None:
    """nginx serves the page (web_chat; else a line saying where the webhooks are) and proxies the
    REST channel to the rasa service, never Rasa's API, as uid 101."""
    with urllib.request.urlopen(WEB_URL + "/", timeout=30) as response:
        text = response.read().decode("utf-8")
        assert response.status == 200, text[:300]
        if page:
            assert 'src="widget.js"' in text, text[:300]
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        else:
            assert "webhooks are under /webhooks/" in text, text[:300]
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    not_proxied = ["/status", "/version"] + ([] if page else ["/widget.js", "/socket.io/?EIO=4&transport=polling"])
    for path in not_proxied:
        assert http_json(WEB_URL + path, timeout=30)[0] == 404, path
    assert rasa_http.send(WEB_URL, f"through-nginx-{uuid.uuid4().hex[:8]}", "hello") == [GREETING]
    uid = bot.compose("exec", "-T", "web", "id", "-u").stdout.strip()
    assert uid == WEB_UID, f"web runs as uid {uid!r}"


class TelegramBotAPI(stand_ins.RecordingAPI):
    """Telegram's Bot API, on this machine where the containers reach it (they have no Internet)."""

    calls: list[tuple[str, dict]] = []

    @staticmethod
    def reply(path: str) -> tuple[int, dict]:
        if path.endswith("/getMe"):
            return 200, {"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "Mood", "username": "mood_bot"}}
        message = {"message_id": 2, "date": 1700000000, "chat": {"id": 1, "type": "private"}, "text": "ok"}
        return 200, {"ok": True, "result": True if path.endswith("/setWebhook") else message}


def point_channels_at_stand_ins(bot: ComposeProject, cleanup: contextlib.ExitStack) -> None:
    """The values a user pastes into .env for Telegram and Slack; Telegram's Bot API is a stand-in
    on this machine, at the address of Docker's bridge, which the containers reach."""
    url = cleanup.enter_context(stand_ins.serving(TelegramBotAPI, host="0.0.0.0"))
    # This machine's address on Docker's default bridge (a fresh engine's `docker network inspect
    # bridge` may leave the gateway out): containers on any bridge network reach it.
    bridge = [a.address for a in psutil.net_if_addrs().get("docker0", []) if a.family == socket.AF_INET]
    assert bridge, "no IPv4 address on docker0: the sandbox's engine makes that bridge when it starts"
    values = {"TELEGRAM_ACCESS_TOKEN": "42:AAtest", "TELEGRAM_BOT_USERNAME": "mood_bot",
              "BOT_PUBLIC_URL": "https://bot.example.com", "SLACK_BOT_TOKEN": "xoxb-test",
              "SLACK_SIGNING_SECRET": SECRETS["SLACK_SIGNING_SECRET"],
              "TELEGRAM_API_URL": url.replace("127.0.0.1", bridge[0])}  # fmt: skip
    bot.set_env(values)


def channels_work_through_the_web_service(bot: ComposeProject) -> None:
    """Issue 22's Docker check: signed webhooks through the web service reach the bot, which
    answers on Telegram's API; forged ones are refused and leave no conversation."""
    registered = [fields for path, fields in TelegramBotAPI.calls if path.endswith("/setWebhook")]
    assert registered and registered[-1]["secret_token"] == bot.settings["TELEGRAM_SECRET_TOKEN"], registered
    telegram = f"{WEB_URL}/webhooks/telegram/webhook"
    secret = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": bot.settings["TELEGRAM_SECRET_TOKEN"],
    }
    assert post(telegram, telegram_update(7001, "hello"), secret) == 200
    assert post(telegram, telegram_update(7002, "hello"), {"Content-Type": "application/json"}) == 403
    sent = [fields for path, fields in TelegramBotAPI.calls if path.endswith("/sendMessage")]
    assert sent and sent[-1]["chat_id"] == "7001" and sent[-1]["text"] == GREETING, sent
    assert post_slack(WEB_URL, slack_event("U7003", "hello"), int(time.time())) == 200
    assert post_slack(WEB_URL, slack_event("U7004", "hello"), int(time.time()), secret="forged") == 400
    # Rasa answers Slack at once and handles the event in the background: the bot's reply goes to
    # slack.com, which the containers cannot reach, so Rasa logs that call failing (and, as for any
    # turn whose reply fails, keeps no tracker of it).
    deadline = time.monotonic() + 30
    while "slack.com/api/chat.postMessage" not in bot.logs("rasa") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "slack.com/api/chat.postMessage" in bot.logs("rasa"), "the signed Slack event never reached the bot"
    assert ("user", "hello") in tracker_texts(bot, "7001")
    assert tracker_texts(bot, "7002") == [] and tracker_texts(bot, "U7004") == []


PROD = ("-f", "docker-compose.yml", "-f", "docker-compose.prod.yml")  # `make up-prod`'s files
BURST = """
import urllib.error, urllib.request
codes = []
for _ in range(60):
    try:
        codes.append(urllib.request.urlopen("http://web:8080/", timeout=10).status)
    except urllib.error.HTTPError as error:
        codes.append(error.code)
print(codes.count(429))
"""


class EdgeConnection(http.client.HTTPSConnection):
    """HTTPS to this machine's port 443 for the certificate's name (SNI and Host), without DNS."""

    def connect(self) -> None:
        sock = socket.create_connection((LOCAL, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def over_https(ca: Path, method: str, path: str, body: dict | None = None) -> tuple[int, dict, bytes]:
    connection = EdgeConnection(EDGE_NAME, 443, timeout=30, context=ssl.create_default_context(cafile=str(ca)))
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        reply = connection.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        connection.close()


def send_over_https(ca: Path, sender: str, text: str) -> list[str]:
    status, _, body = over_https(ca, "POST", "/webhooks/rest/webhook", {"sender": sender, "message": text})
    assert status == 200, (status, body[:300])
    return [reply.get("text") for reply in json.loads(body)]


def started(bot: ComposeProject, service: str) -> str:
    """The container's id and start time: they change when it is recreated or restarted."""
    return bot.run("docker", "inspect", "--format", "{{.Id}} {{.State.StartedAt}}", f"{bot.slug}-{service}-1").stdout


def chat_over_https(ca: Path, home: Path) -> None:
    """Chromium that trusts the test CA (in the NSS database of its own HOME, as a user's browser
    trusts a public CA), with the certificate's name mapped to this machine, holds a conversation on
    https://NAME/: the page, socket.io over the TLS WebSocket, the greeting."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "edge test CA", "-i", str(ca)],
                   check=True, capture_output=True)  # fmt: skip
    driver = chromium(f"--host-resolver-rules=MAP {EDGE_NAME} 127.0.0.1", env={**os.environ, "HOME": str(home)})
    try:
        driver.get(f"https://{EDGE_NAME}/")
        wait_for(driver, lambda d: page_state(d)["status"] == "online", "the online state over HTTPS")
        assert say(driver, "hello") == [("user", "hello"), ("bot", GREETING)]
        assert driver.execute_script("return location.protocol") == "https:"
    finally:
        driver.quit()


def production_edge_works(bot: ComposeProject, up_env: dict, ca: Path, letsencrypt: Path) -> None:
    """Issue 23's Docker check: `make up-prod` with a certificate of a CA made by the test, laid out
    as the README's "your own certificate" (certs/live/NAME/, group 101): only 80 and 443 are public,
    the page and REST over HTTPS with HSTS, Chromium trusting the CA chats over HTTPS, HTTP
    redirects, Rasa's HTTP API is 404, a recreated
    rasa container answers again without a restart of `web`, and a client over the rate limit gets
    429 while another one holds its conversation."""
    mounted = bot.path / "certs"
    shutil.copytree(letsencrypt, mounted)
    for path in [mounted, *mounted.rglob("*")]:  # the README: chgrp -R 101 certs && chmod -R g+rX certs
        os.chown(path, -1, 101)
        path.chmod(path.stat().st_mode | (0o050 if path.is_dir() else 0o040))
    bot.timed("up_prod_s", "make", "up-prod", env=up_env, timeout=900)
    config = json.loads(bot.compose(*PROD, "config", "--format", "json").stdout)
    public = sorted((name, str(port["published"])) for name, service in config["services"].items()
                    for port in service.get("ports", []) if port.get("host_ip") in (None, "", "0.0.0.0"))  # fmt: skip
    assert public == [("web", "443"), ("web", "80")], public

    status, headers, body = over_https(ca, "GET", "/")
    assert status == 200 and b"<html" in body.lower(), (status, body[:200])
    assert headers.get("Strict-Transport-Security", "").startswith("max-age="), headers
    assert send_over_https(ca, f"https-{uuid.uuid4().hex[:8]}", "hello") == [GREETING]
    for path in ("/status", "/version", "/model", f"/conversations/x/tracker?token={bot.settings['RASA_AUTH_TOKEN']}"):
        assert over_https(ca, "GET", path)[0] == 404, path
    chat_over_https(ca, bot.path.parent / "https-browser")
    plain = http.client.HTTPConnection(LOCAL, 80, timeout=30)
    plain.request("GET", "/any/page?x=1", headers={"Host": EDGE_NAME})
    redirect = plain.getresponse()
    assert (redirect.status, redirect.getheader("Location")) == (301, f"https://{EDGE_NAME}/any/page?x=1")
    plain.close()

    # A new rasa container (a new address on the network): nginx looks the name up again, `web` untouched.
    web_before = started(bot, "web")
    address = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    old = bot.run("docker", "inspect", "--format", address, f"{bot.slug}-rasa-1").stdout.strip()
    bot.compose(*PROD, "stop", "rasa")
    holder = bot.run("docker", "run", "-d", "--network", f"{bot.slug}_default", "--entrypoint", "sleep",
                     f"{bot.slug}-rasa:latest", "300").stdout.strip()  # fmt: skip  # takes the freed address
    try:
        bot.compose(*PROD, "up", "-d", "--no-deps", "--force-recreate", "--wait", "rasa", timeout=600)
    finally:
        bot.run("docker", "rm", "-f", "-v", holder, check=False)  # -v: the image declares VOLUME /tmp
    new = bot.run("docker", "inspect", "--format", address, f"{bot.slug}-rasa-1").stdout.strip()
    assert new != old, f"the recreated rasa kept its address {old}: the check below would prove nothing"
    deadline = time.monotonic() + 30  # nginx keeps a name 10 s (resolver valid=10s)
    while True:
        try:
            if send_over_https(ca, f"recreated-{uuid.uuid4().hex[:8]}", "hello") == [GREETING]:
                break
        except (AssertionError, OSError, http.client.HTTPException) as error:
            assert time.monotonic() < deadline, f"no answer through web 30 s after rasa moved {old} -> {new}: {error}"
            time.sleep(1)
    assert started(bot, "web") == web_before, "web was restarted"

    # Over the limit from one client (a container on the network), a conversation from another passes.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        burst = pool.submit(bot.compose, *PROD, "exec", "-T", "rasa", "python", "-c", BURST)
        sender = f"beside-burst-{uuid.uuid4().hex[:8]}"
        for text in ("hello", "I am great", "bye"):
            assert send_over_https(ca, sender, text), text
        limited = int(burst.result().stdout.strip())
    assert limited >= 20, f"{limited} of 60 quick requests got 429 (rate 10 r/s, burst 20)"


def nothing_runs_as_root(bot: ComposeProject, services: list[str]) -> None:
    for service in services:
        uid = bot.compose("exec", "-T", service, "id", "-u").stdout.strip()
        assert uid not in ("", "0"), f"{service} runs as uid {uid!r}"
    top = bot.compose("top", *services).stdout
    processes = [line.split() for line in top.splitlines() if line.split()[:1] in [[s] for s in services]]
    assert processes and all(p[2] not in ("root", "0") for p in processes), top


def redis_needs_its_password(bot: ComposeProject, service: str, prefix: str) -> None:
    """The store's or the lock store's Redis: the password came in on stdin, and it is required."""
    password = bot.settings[f"{prefix}_PASSWORD"]
    anonymous = bot.compose("exec", "-T", "-e", "REDISCLI_AUTH=", service, "redis-cli", "ping", check=False)
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr, anonymous
    assert bot.compose("exec", "-T", service, "redis-cli", "ping").stdout.strip() == "PONG"
    assert password not in bot.compose("top").stdout, "a password is on a process command line"


def replicas_work(bot: ComposeProject, up_env: dict) -> None:
    """`make up REPLICAS=2`: two Rasa containers with a port each on 127.0.0.1. Through nginx, the
    smoke test's conversations and a few greetings reach both replicas (Redis' MONITOR on lock-redis
    shows each replica's address taking conversation locks), and every reply is right for the
    conversation so far, whichever replica gave it."""
    bot.timed("replicas_up_s", "make", "up", "REPLICAS=2", env=up_env, timeout=900)
    containers = bot.compose("ps", "-q", "rasa").stdout.split()
    assert len(containers) == 2, bot.compose("ps").stdout
    ports = {bot.compose("port", "--index", str(i), "rasa", "5005").stdout.strip() for i in (1, 2)}
    assert ports == {"127.0.0.1:5005", "127.0.0.1:5006"}, ports
    network = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    replicas = {bot.run("docker", "inspect", "--format", network, c).stdout.strip() for c in containers}
    monitor = subprocess.Popen(
        ["docker", "compose", "exec", "-T", "lock-redis", "redis-cli", "monitor"],
        cwd=bot.path, env=bot.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert monitor.stdout.readline().strip() == "OK", "redis-cli monitor did not start"
        failures = smoke_test.run_smoke(WEB_URL, bot.path, out=io.StringIO())
        greetings = [rasa_http.send(WEB_URL, f"replica-{i}-{uuid.uuid4().hex[:8]}", "hello") for i in range(12)]
    finally:
        monitor.terminate()
        seen = monitor.communicate(timeout=60)[0]
    assert not failures, failures
    assert greetings == [[GREETING]] * 12, greetings
    lockers = set(re.findall(r'\[\d+ ([\d.]+):\d+\] "\w+" "lock:', seen))
    assert lockers == replicas, f"conversation locks taken from {lockers}, the replicas are {replicas}"


def insights_and_review_work(bot: ComposeProject) -> None:
    """`make insights` and `make review` in the Rasa image, on the default bot's SQLite store (in the
    rasa-state volume): the report holds the walkthrough's conversations and its charts; the page,
    on 127.0.0.1 with its token, lists the smoke test's unknown message; Ctrl-C stops its container."""
    printed = bot.run("make", "insights").stdout
    assert "report: reports/insights.html" in printed and "conversations" in printed, printed
    report = (bot.path / "reports" / "insights.html").read_text(encoding="utf-8")
    assert report.count('src="data:image/png;base64,') >= 4 and smoke_test.UNKNOWN in report
    review = subprocess.Popen(["make", "review"], cwd=bot.path, env=bot.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
    try:
        url = ""
        deadline = time.monotonic() + 300  # it builds the Rasa image first (cached by now)
        while not url and time.monotonic() < deadline and (line := review.stdout.readline()):
            url = next(iter(re.findall(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)), "")
        assert url, "make review printed no page address"
        with urllib.request.urlopen(url, timeout=60) as response:
            assert smoke_test.UNKNOWN in response.read().decode("utf-8")
        assert http_json(url.split("?")[0], timeout=30)[0] == 403, "the page without its token"
    finally:
        os.killpg(review.pid, signal.SIGINT)
        review.communicate(timeout=120)
    deadline = time.monotonic() + 20
    while left := bot.run("docker", "ps", "-a", "-q", "--filter", f"name={bot.slug}-review").stdout.split():
        assert time.monotonic() < deadline, f"make review's container outlived Ctrl-C: {left}"
        time.sleep(1)


def production_and_browser_work(bot: ComposeProject, up_env: dict, request, site: str) -> None:
    """The default bot's last steps: `make up-prod`, then the chat page in Chromium (it stops rasa)."""
    production_edge_works(bot, up_env, *request.getfixturevalue("certs"))
    driver, folder = request.getfixturevalue("browser"), request.getfixturevalue("artifacts")
    chat_page_on_docker(bot, driver, folder, site)


# The default bot (first of BOTS) also opens its chat page in Chromium.
WALKTHROUGHS = [pytest.param(answers, id=combo_id(answers), marks=[pytest.mark.browser] if i == 0 else [])
                for i, answers in enumerate(BOTS)]  # fmt: skip


@pytest.mark.parametrize("answers", WALKTHROUGHS)
def test_walkthrough_on_docker(docker_env, bake, answers, tmp_path, record_property, request):
    name = f"e2e {answers['rasa_version']} {answers['tracker_store']} {answers['nlu_pipeline']}"
    baked = bake(project_name=name, **answers)
    bot = ComposeProject(baked.path, docker_env)
    actions = answers["custom_actions"]
    sdk = PINS["rasa_lines"][answers["rasa_version"]]["rasa_sdk"]
    with port_5005(docker_env), contextlib.ExitStack() as cleanup:
        if answers == BOTS[0]:  # the default bot's widget, embedded by a site on another origin
            site_folder = tmp_path / "site"
            site_folder.mkdir()
            site = list_a_site(bot, site_folder, cleanup.enter_context(tools.static_site(site_folder)))
        try:
            bot.compose("down", "-v", "--remove-orphans", timeout=300)  # leftovers of an interrupted run
            volumes_before = set(bot.run("docker", "volume", "ls", "-q").stdout.split())

            # `make train`: `docker compose build rasa` + `docker compose run ... rasa train`.
            bot.timed("make_train_s", "make", "train", timeout=1800)
            assert list((bot.path / "models").glob("*.tar.gz")), "make train wrote no model into models/"

            if actions:  # measured on its own; `make up --build` then reuses it
                bot.timed("action_image_build_s", "docker", "compose", "build", "action_server")
                size = image_size_mb(bot, f"{bot.slug}-actions:latest")
                bot.timings["action_image_mb"] = round(size)
                # What the rendered Dockerfile adds to rasa/rasa-sdk (the stand-in base is ~3 GB).
                bot.timings["action_image_added_mb"] = round(size - image_size_mb(bot, f"rasa/rasa-sdk:{sdk}"), 3)
            bot.timings["rasa_image_mb"] = round(image_size_mb(bot, f"{bot.slug}-rasa:latest"))

            if answers.get("channels"):
                point_channels_at_stand_ins(bot, cleanup)
            # `make up` (up -d --build --wait); JOKE_API_URL is read from the shell before .env.
            up_env = {**bot.env, "JOKE_API_URL": JOKE_API_URL} if actions else bot.env
            start = time.monotonic()
            bot.timed("make_up_s", "make", "up", env=up_env, timeout=900)
            sender = f"walkthrough-{uuid.uuid4().hex[:8]}"
            rasa_http.wait_until_up(URL, 120)  # healthy already after --wait; the first answer may lag
            reply = rasa_http.send(URL, sender, "hello")
            bot.timings["up_to_first_answer_s"] = round(time.monotonic() - start, 1)
            assert reply == [GREETING]

            smoke = bot.run(sys.executable, "scripts/smoke_test.py", "--url", URL, timeout=300)
            assert "smoke test passed" in smoke.stdout, smoke.stdout
            # `make smoke` on a machine with Docker only (no Python with PyYAML): runs in the Rasa image.
            smoke = bot.run("make", "smoke", "PYTHON=false", timeout=300)
            assert "in the Rasa image" in smoke.stdout and "smoke test passed" in smoke.stdout, smoke.stdout

            web_chat = answers.get("web_chat", True)
            web_service_works(bot, page=web_chat)
            if answers.get("channels"):
                channels_work_through_the_web_service(bot)
            if actions:
                assert bot.logs("action_server").count(JOKE_API_LOG) >= 1, "action_joke did not run in action_server"
            nothing_runs_as_root(bot, ["rasa", "action_server"] if actions else ["rasa"])
            if answers["tracker_store"] in ("redis", "postgres"):
                redis_needs_its_password(bot, *(("redis", "REDIS") if answers["tracker_store"] == "redis" else
                                                ("lock-redis", "LOCK_REDIS")))  # fmt: skip

            # The conversation across `make backup`, `docker compose down -v` (the volumes go) and
            # `make restore`; a restore over a newer conversation is refused first.
            backup = bot.timed("backup_s", "make", "backup")
            archive = Path(backup.stdout.split()[0])
            assert archive.is_file() and archive.stat().st_mode & 0o077 == 0, backup.stdout  # it holds .env
            later = f"later-{uuid.uuid4().hex[:8]}"
            assert rasa_http.send(URL, later, "hello") == [GREETING]
            refused = bot.run("make", "restore", f"FILE={archive}", check=False)
            assert refused.returncode != 0 and "newer than this backup" in refused.stderr, refused
            bot.compose("down", "-v", timeout=300)
            bot.timed("restore_s", "make", "restore", f"FILE={archive}")
            bot.timed("restart_s", "make", "up", env=up_env, timeout=900)
            kept = tracker_texts(bot, sender)
            assert ("user", "hello") in kept and ("bot", GREETING) in kept, kept
            assert tracker_texts(bot, later) == [], "the conversation after the backup came back"
            assert rasa_http.send(URL, f"after-restart-{uuid.uuid4().hex[:8]}", "hello") == [GREETING]
            if answers["tracker_store"] == "postgres":
                replicas_work(bot, up_env)
            if answers == BOTS[0]:  # last: it stops rasa
                assert web_chat, "the default bot has the chat page (web_chat defaults to yes)"
                insights_and_review_work(bot)
                production_and_browser_work(bot, up_env, request, site)
        except BaseException:
            print(f"\n===== docker compose logs ({bot.slug}) =====\n{bot.logs()[-20000:]}", file=sys.stderr)
            raise
        finally:
            prod = PROD if (bot.path / "docker-compose.prod.yml").is_file() else ()
            bot.compose(*prod, "down", "-v", "--remove-orphans", check=False, timeout=300)
            images = [f"{bot.slug}-rasa:latest"] + ([f"{bot.slug}-actions:latest"] if actions else [])
            bot.run("docker", "image", "rm", "-f", *images, check=False, timeout=120)
            volumes_after = set(bot.run("docker", "volume", "ls", "-q", check=False).stdout.split())
            print(f"\ndocker e2e {combo_id(answers)}: {json.dumps(bot.timings)}", file=sys.stderr)
            for name, value in bot.timings.items():
                record_property(name, value)
    # Named volumes, and no anonymous one left behind by `docker compose down` + `make up` either.
    assert volumes_after <= volumes_before, f"volumes left after down -v: {volumes_after - volumes_before}"


def test_make_dev_docker_serves_retrains_on_save_and_stops_on_ctrl_c(docker_env, bake, tmp_path):
    """`make dev-docker` (make dev in the Rasa image, the project mounted) on the default bot: it
    trains and answers on 127.0.0.1:5005, serves an example added to data/nlu.yml, and Ctrl-C
    (SIGINT to make's process group, as a terminal sends it) removes its container."""
    bot = ComposeProject(bake(project_name="dev docker").path, docker_env)
    log = tmp_path / "dev-docker.log"
    with port_5005(docker_env), open(log, "wb") as out:
        dev = subprocess.Popen(["make", "dev-docker"], cwd=bot.path, env=bot.env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
        try:
            rasa_http.wait_until_up(URL, 900)  # image build, Rasa's start-up, the first training
            deadline = time.monotonic() + 600
            while rasa_http.send(URL, "dev", "hello") != [GREETING]:
                assert dev.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                time.sleep(1)
            assert rasa_http.send(URL, "dev", UNSEEN_GREETING) != [GREETING]
            nlu = bot.path / "data" / "nlu.yml"
            nlu.write_text(nlu.read_text().replace("      - hello\n", f"      - hello\n      - {UNSEEN_GREETING}\n", 1))
            while rasa_http.send(URL, "dev", UNSEEN_GREETING) != [GREETING]:
                assert dev.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                time.sleep(1)
        finally:
            if dev.poll() is None:
                os.killpg(dev.pid, signal.SIGINT)
            try:
                dev.wait(timeout=120)
                left = containers_left(bot, 60)  # `run --rm` removes its container after the client exits
            finally:
                bot.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
                bot.run("docker", "image", "rm", "-f", f"{bot.slug}-rasa:latest", check=False, timeout=120)
    output = log.read_text()
    assert "Training the current files: trained in" in output and "data/nlu.yml: trained in" in output, output[-4000:]
    assert not left, f"Ctrl-C left containers behind: {left}\n{output[-2000:]}"


def containers_left(bot: ComposeProject, seconds: float) -> list[str]:
    """The bot's containers, polled until there are none or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        names = bot.run("docker", "ps", "-a", "--format", "{{.Names}}",
                        "--filter", f"label=com.docker.compose.project={bot.slug}").stdout.split()  # fmt: skip
        if not names or time.monotonic() > deadline:
            return names
        time.sleep(1)

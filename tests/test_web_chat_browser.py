"""The chat page in a real browser (marker `browser`): Debian's Chromium driven by Selenium, against a
real `rasa run` + action server from the bot's pinned venv, with the page and the proxy served by a
real nginx from the bot's own web/nginx.conf (same-origin, as the `web` service serves it).

Chromium, chromedriver and nginx come from Debian's packages (installed with apt-get when missing);
nothing downloads a browser. A screenshot of the page is saved in pytest's output folder
(`browser-artifacts/` under the session's base temp folder, printed at the end) as a CI artifact.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

import smoke_test
from harness import fail_or_skip, rasa_cli, stores, venvs
from harness import web_chat as tools
from harness.bots import bake, prepare
from harness.combinations import TEMPLATE_DIR
from harness.processes import LOCAL, free_port, stop
from harness.rasa_servers import action_server, rasa_server, tracker, user_texts

pytestmark = pytest.mark.browser

LINES = ["3.6", "2.8"]  # the same page against each Rasa line's socket.io server
WAIT = 60  # seconds for a reply in the page (the first one loads the model's graph)
GREETING = "Hi, how is it going?"
CHEER_UP = "Don't be sad. Keep smiling!"
HAPPY = "Great, carry on!"
BUTTONS = {"Great": "mood_happy", "Sad": "mood_unhappy"}
IMAGE = "/cheer-up.png"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'


def _unavailable(message: str):
    fail_or_skip("browser tier", message)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "browser-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Debian's chromedriver (Selenium Manager is never used)."""
    try:
        tools.debian_programs(tools.CHROMIUM, tools.CHROMEDRIVER, tools.NGINX)
    except tools.MissingTool as error:
        _unavailable(str(error))
    driver = chromium()
    yield driver
    driver.quit()


def chromium(*flags: str, env: dict | None = None):
    """A headless Debian Chromium (through Debian's chromedriver), with these extra flags; env: its
    environment (e.g. a HOME whose NSS database trusts a test CA)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = tools.CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,900",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--no-first-run", "--disable-features=Translate,MediaRouter",
                 "--metrics-recording-only", "--no-pings", *flags):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(tools.CHROMEDRIVER, env=env), options=options)


class Stack:
    """A bot with the page: Rasa, its action server and nginx, all on 127.0.0.1."""

    def __init__(self, line: str, workdir: Path) -> None:
        answers = {"rasa_version": line, "nlu_pipeline": "light", "tracker_store": "sqlite",
                   "custom_actions": True, "web_chat": True}  # fmt: skip
        try:
            self.bot = prepare(answers, workdir)
        except venvs.ToolchainUnavailable as error:
            venvs.unavailable(error)
        self.workdir = workdir
        add_buttons_and_an_image(self.bot.path)
        self.model = rasa_cli.train(self.bot, workdir / "models")
        self.jokes = smoke_test.local_jokes(self.bot.path)  # actions/jokes.txt, as the action server reads it


def add_buttons_and_an_image(bot: Path) -> None:
    """In this test copy only: buttons on the greeting and an image on the happy reply (the bot itself
    answers with text only), and the image as a file the page's nginx serves (no outside traffic)."""
    domain = yaml.safe_load((bot / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"]["utter_greet"][0]["buttons"] = [
        {"title": title, "payload": f"/{intent}"} for title, intent in BUTTONS.items()
    ]
    domain["responses"]["utter_happy"][0]["image"] = IMAGE
    (bot / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")
    shutil.copyfile(Path(__file__).with_name("web_chat_test_image.png"), bot / "web" / IMAGE.lstrip("/"))


@pytest.fixture(scope="module", params=LINES, ids=lambda line: f"rasa-{line}")
def stack(request, tmp_path_factory):
    stack = Stack(request.param, tmp_path_factory.mktemp(f"web-{request.param}"))
    store = stores.Store(kind="sqlite", bot=stack.bot)
    site = stack.workdir / "site"
    site.mkdir()
    with tools.static_site(site) as port, action_server(stack.bot) as actions:
        # A site on another origin embeds the widget: http://127.0.0.1:PORT is listed in
        # WEB_ALLOWED_ORIGINS, http://localhost:PORT (the same server, another origin) is not.
        stack.site, stack.allowed, stack.refused = site, f"http://{LOCAL}:{port}", f"http://localhost:{port}"
        endpoints, env = stores.local_endpoints(stack.bot, store, action_url=actions.url + "/webhook")
        env = {**env, "WEB_ALLOWED_ORIGINS": f"{stack.allowed}, https://shop.example.com"}  # rasa_run.py: --cors
        stack.endpoints, stack.env = endpoints, env
        with rasa_server(stack.bot, stack.model, endpoints, env=env) as rasa:
            with tools.local_nginx(stack.bot.path / "web", rasa.url, stack.workdir / "nginx",
                                   allowed_origins=env["WEB_ALLOWED_ORIGINS"]) as web:  # fmt: skip
                stack.rasa, stack.web = rasa, web
                write_host_page(stack)
                yield stack


def write_host_page(stack: Stack) -> None:
    (stack.site / "host.html").write_text(tools.host_page(stack.bot.path, stack.web.url), encoding="utf-8")


# --- the page, as a person uses it ------------------------------------------------------------------


def wait_for(driver, condition, what: str, timeout: float = WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception as error:  # TimeoutException: say what the page showed instead
        raise AssertionError(f"{what} not seen within {timeout} s; page shows: {page_state(driver)}") from error


def page_state(driver) -> dict:
    return driver.execute_script(
        "if (!document.getElementById('rasa-chat-status')) return {status: null};"
        "return {status: document.getElementById('rasa-chat-status').dataset.state,"
        " statusText: document.getElementById('rasa-chat-status').textContent,"
        " messages: Array.from(document.querySelectorAll('#rasa-chat-messages li p')).map(p => p.textContent)};"
    )


def bubbles(driver) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    found = []
    for item in driver.find_elements(By.CSS_SELECTOR, "#rasa-chat-messages li"):
        who = "user" if "from-user" in item.get_attribute("class") else "bot"
        texts = item.find_elements(By.TAG_NAME, "p")
        found.append((who, texts[0].text if texts else ""))
    return found


def open_page(driver, stack: Stack, *, fresh: bool) -> None:
    driver.get(stack.web.url + "/")
    if fresh:  # a new visitor: no stored session
        driver.execute_script("localStorage.clear()")
        driver.refresh()
    wait_for(driver, lambda d: page_state(d)["status"] == "online", "the online state")


def say(driver, text: str, expect_bot: int = 1) -> list[tuple[str, str]]:
    """Type text, press Enter, wait for `expect_bot` more bot bubbles; return the new bubbles."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = bubbles(driver)
    box = driver.find_element(By.ID, "rasa-chat-message")
    assert driver.switch_to.active_element == box, "the message box has the focus"
    box.send_keys(text, Keys.ENTER)
    wanted = sum(1 for who, _ in before if who == "bot") + expect_bot
    wait_for(driver, lambda d: sum(1 for who, _ in bubbles(d) if who == "bot") >= wanted, f"a reply to {text!r}")
    time.sleep(0.5)  # a second message of the same turn (the joke) arrives right after
    return bubbles(driver)[len(before) :]


def session_id(driver, stack: Stack) -> str:
    """The session id the chat keeps in the page's localStorage (its key names the bot's URL)."""
    return driver.execute_script(f"return JSON.parse(localStorage.getItem('rasa-chat:{stack.web.url}/')).sessionId")


def screenshot(driver, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    print(f"screenshot: {path}")
    return path


def test_hello_gets_the_greeting(browser, stack, artifacts):
    open_page(browser, stack, fresh=True)
    from selenium.webdriver.common.by import By

    label = browser.find_element(By.CSS_SELECTOR, "label[for=rasa-chat-message]")
    assert label.text == "Your message"
    new = say(browser, "hello")
    assert new == [("user", "hello"), ("bot", GREETING)]
    sender = session_id(browser, stack)
    assert user_texts(tracker(stack.rasa, sender)["events"]) == ["hello"]


def test_sad_path_tells_a_joke(browser, stack, artifacts):
    new = say(browser, "very sad", expect_bot=2)
    assert new[0] == ("user", "very sad")
    assert new[1] == ("bot", CHEER_UP)
    assert new[2][0] == "bot" and new[2][1] in stack.jokes, new
    log = stack.bot.scratch / "logs"
    assert any("action_joke" in p.read_text(errors="replace") for p in log.glob("actions-*.log"))
    screenshot(browser, artifacts, f"chat-rasa-{stack.bot.line}")


def test_reload_keeps_the_conversation(browser, stack):
    before, sender = bubbles(browser), session_id(browser, stack)
    open_page(browser, stack, fresh=False)  # a plain reload: localStorage stays
    assert bubbles(browser) == before and session_id(browser, stack) == sender
    new = say(browser, "goodbye")
    assert new == [("user", "goodbye"), ("bot", "Goodbye!")]
    # The same conversation in Rasa, not a new one that happens to look alike.
    assert user_texts(tracker(stack.rasa, sender)["events"]) == ["hello", "very sad", "goodbye"]


def test_html_in_a_message_is_shown_as_text(browser, stack):
    new = say(browser, HOSTILE)
    assert new[0] == ("user", HOSTILE)
    from selenium.webdriver.common.by import By

    assert browser.execute_script("return window.__pwned === undefined")
    hostile = browser.find_elements(By.CSS_SELECTOR, "#rasa-chat-messages li.from-user")[-1]
    assert not hostile.find_elements(By.CSS_SELECTOR, "img, script, b")


def test_buttons_and_images(browser, stack, artifacts):
    """The greeting's buttons work from the keyboard; the happy reply's image is shown (Rasa sends
    the text and the image as two messages)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, stack, fresh=False)  # also when this test runs alone
    say(browser, "hello")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#rasa-chat-messages li:last-child .rasa-chat-buttons button")
    assert [b.text for b in buttons] == list(BUTTONS)
    bots_before = sum(1 for who, _ in bubbles(browser) if who == "bot")
    buttons[0].send_keys(Keys.ENTER)  # focus + Enter, as a keyboard user would
    wait_for(browser, lambda d: sum(1 for who, _ in bubbles(d) if who == "bot") >= bots_before + 2, "the reply")
    time.sleep(0.5)
    assert bubbles(browser)[-3:] == [("user", "Great"), ("bot", HAPPY), ("bot", "")]
    image = browser.find_element(By.CSS_SELECTOR, "#rasa-chat-messages li:last-child img")
    assert image.get_attribute("src") == stack.web.url + IMAGE
    wait_for(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 0, "the image", 10)
    screenshot(browser, artifacts, f"buttons-rasa-{stack.bot.line}")


# --- the widget on another site (the README's snippet) ---------------------------------------------

ENGLISH = yaml.safe_load((TEMPLATE_DIR / "languages" / "en.yml").read_text(encoding="utf-8"))["web"]


def open_site(driver, stack: Stack, origin: str, *, fresh: bool) -> None:
    driver.get(f"{origin}/host.html")
    if fresh:  # a new visitor: no stored session
        driver.execute_script("localStorage.clear()")
        driver.refresh()
    wait_for(driver, lambda d: d.find_elements("css selector", ".rasa-chat-launcher"), "the launcher", 20)


def panel_open(driver) -> bool:
    return driver.execute_script("return !document.getElementById('rasa-chat-panel').hidden")


def active(driver) -> str:
    """What has the focus: its id, or its class, or its text."""
    return driver.execute_script(
        "const e = document.activeElement; return e.id || e.className || e.textContent.trim();"
    )


def test_widget_on_another_site(browser, stack):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_site(browser, stack, stack.allowed, fresh=True)
    launcher = browser.find_element("css selector", ".rasa-chat-launcher")
    assert launcher.text == ENGLISH["open"] and launcher.get_attribute("aria-expanded") == "false"
    assert not panel_open(browser)
    # From the keyboard: the site's link, then the launcher; Enter opens the panel.
    browser.execute_script("document.getElementById('host-link').focus()")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert active(browser) == "rasa-chat-launcher"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert panel_open(browser) and launcher.get_attribute("aria-expanded") == "true"
    wait_for(browser, lambda d: page_state(d)["status"] == "online", "the online state")
    assert browser.find_element("css selector", "#rasa-chat-panel").get_attribute("role") == "dialog"
    new = say(browser, "hello")
    assert new == [("user", "hello"), ("bot", GREETING)]
    assert user_texts(tracker(stack.rasa, session_id(browser, stack))["events"]) == ["hello"]


def test_widget_keeps_the_conversation_across_reloads(browser, stack):
    from selenium.webdriver.common.keys import Keys

    before, sender = bubbles(browser), session_id(browser, stack)
    open_site(browser, stack, stack.allowed, fresh=False)  # a reload: the site's localStorage stays
    assert panel_open(browser), "the panel stays open across page loads"
    wait_for(browser, lambda d: page_state(d)["status"] == "online", "the online state")
    assert bubbles(browser) == before and session_id(browser, stack) == sender
    assert say(browser, "goodbye") == [("user", "goodbye"), ("bot", "Goodbye!")]
    assert user_texts(tracker(stack.rasa, sender)["events"]) == ["hello", "goodbye"]
    # Escape closes the panel and gives the focus back to the launcher.
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not panel_open(browser) and active(browser) == "rasa-chat-launcher"


def test_widget_accessibility(browser, stack):
    """Offline checks in the spirit of axe: every control has a name, the Tab order follows the
    panel, text contrast is at least 4.5:1 (WCAG AA), the landmarks have their roles."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_site(browser, stack, stack.allowed, fresh=False)
    if not panel_open(browser):
        browser.find_element("css selector", ".rasa-chat-launcher").click()
    wait_for(browser, lambda d: page_state(d)["status"] == "online", "the online state")
    unnamed = browser.execute_script(ACCESSIBLE_NAMES)
    assert unnamed == [], f"controls without an accessible name: {unnamed}"
    low = browser.execute_script(LOW_CONTRAST)
    assert low == [], f"text below 4.5:1 contrast: {low}"
    browser.execute_script("document.querySelector('.rasa-chat-launcher').focus()")
    # The greeting's suggested answers sit in the conversation, between the header and the message box.
    suggested = [b.text for b in browser.find_elements("css selector", ".rasa-chat-buttons button")]
    assert suggested == list(BUTTONS)
    expected = ["rasa-chat-restart", "rasa-chat-close", *suggested, "rasa-chat-message", ENGLISH["send"]]
    order = []
    for _ in expected:
        ActionChains(browser).send_keys(Keys.TAB).perform()
        order.append(active(browser))
    assert order == expected
    roles = browser.execute_script(
        "return ['rasa-chat-status', 'rasa-chat-messages'].map(id => document.getElementById(id))"
        ".map(e => [e.getAttribute('role'), e.getAttribute('aria-live'), e.getAttribute('aria-label')]);"
    )
    assert roles == [["status", None, None], [None, "polite", ENGLISH["conversation"]]]
    title = browser.find_element("id", "rasa-chat-panel").get_attribute("aria-labelledby")
    assert browser.find_element("id", title).text == stack.bot.answers.get("project_name", "Mood Bot")


def test_widget_refused_on_a_site_not_listed(browser, stack):
    """nginx answers 403 to a browser on another site; the widget there never gets online."""
    probe = f"{stack.web.url}/socket.io/?EIO=4&transport=polling"
    for origin, expected in ((stack.allowed, 200), (stack.refused, 403), ("https://shop.example.com", 200)):
        assert tools.origin_status(probe, origin) == expected, origin
    open_site(browser, stack, stack.refused, fresh=True)
    browser.find_element("css selector", ".rasa-chat-launcher").click()
    wait_for(browser, lambda d: page_state(d)["status"] == "offline", "the offline state", 20)
    time.sleep(3)  # socket.io retries: still never online
    assert page_state(browser)["status"] == "offline"
    assert browser.execute_script("return Object.keys(localStorage).every(k => !JSON.parse(localStorage[k]).sessionId)")


ACCESSIBLE_NAMES = """
return Array.from(document.querySelectorAll('.rasa-chat button, .rasa-chat input')).filter(e => {
  if (e.tagName === 'INPUT') return !(e.id && document.querySelector('label[for="' + e.id + '"]')
      && document.querySelector('label[for="' + e.id + '"]').textContent.trim());
  return !(e.textContent.trim() || e.getAttribute('aria-label'));
}).map(e => e.outerHTML);
"""

LOW_CONTRAST = """
function rgba(text) { const v = text.match(/[\\d.]+/g).map(Number); return v.length === 3 ? v.concat([1]) : v; }
function luminance(c) {
  const [r, g, b] = c.slice(0, 3).map(v => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(e) {
  for (; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) return c; }
  return [255, 255, 255, 1];
}
const found = [];
for (const e of document.querySelectorAll('.rasa-chat *')) {
  const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || e.disabled || !e.getClientRects().length || e.closest('.rasa-chat-hidden')) continue;
  const a = luminance(rgba(getComputedStyle(e).color)), b = luminance(background(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) found.push([e.textContent.trim().slice(0, 40), Math.round(ratio * 100) / 100]);
}
return found;
"""


@pytest.mark.parametrize("language", ["de", "it"])
def test_page_speaks_the_bots_language(browser, tmp_path_factory, language):
    """A German or Italian bot's page, from nginx (no Rasa: nothing to train), shows its own texts."""
    workdir = tmp_path_factory.mktemp(f"web-{language}")
    answers = {"language": language, "web_chat": True, "custom_actions": False, "tracker_store": "in_memory"}
    bot = bake(answers, workdir / "bot")
    texts = yaml.safe_load((TEMPLATE_DIR / "languages" / f"{language}.yml").read_text(encoding="utf-8"))["web"]
    nowhere = f"http://{LOCAL}:{free_port()}"  # no Rasa there: the page shows its offline text
    with tools.local_nginx(bot / "web", nowhere, workdir / "nginx") as web:
        browser.get(web.url + "/")
        wait_for(browser, lambda d: page_state(d)["status"] == "offline", "the offline state", 20)
        html = browser.find_element("tag name", "html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, texts["dir"])
        shown = {
            "label": browser.find_element("css selector", "label[for=rasa-chat-message]").text,
            "send": browser.find_element("css selector", "#rasa-chat-composer button").text,
            "new": browser.find_element("css selector", ".rasa-chat-restart").text,
            "offline": browser.find_element("id", "rasa-chat-status").text,
        }
        assert shown == {key: texts[key] for key in shown}
        assert all(texts[key] != ENGLISH[key] for key in shown), "the test would pass on an English page"


# --- the socketio channel with any python-socketio 5.x (a Python client, no browser) ---------------


@contextlib.contextmanager
def rasa_with(stack: Stack, socketio: str, *, launcher: bool = True):
    """The stack's Rasa (the lock's python-socketio), or a second one with the newest 5.x ahead on
    PYTHONPATH; the same model, tracker store and action server."""
    if socketio == "lock" and launcher:
        yield stack.rasa
        return
    overlay = tools.socketio_overlay(stack.bot.venv)
    env = {**stack.env, "PYTHONPATH": str(overlay)}
    probe = "import importlib.metadata as m; print(m.version('python-socketio'))"
    version = subprocess.run([str(stack.bot.venv / "bin" / "python"), "-c", probe], env=stack.bot.run_env("probe", env),
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert version == tools.NEWEST_SOCKETIO, version
    with rasa_server(stack.bot, stack.model, stack.endpoints, env=env, launcher=launcher) as rasa:
        yield rasa


@pytest.mark.rasa
@pytest.mark.parametrize("socketio", ["lock", "newest"])
def test_socketio_session_survives_a_reconnect(stack, socketio):
    """session_request + user_uttered get bot_uttered; a new connection with the same session id
    continues the same conversation (session_persistence)."""
    with rasa_with(stack, socketio) as rasa:
        first = tools.socketio_talk(stack.bot.venv, rasa.url, None, "hello")
        assert first["replies"] == [GREETING], first
        again = tools.socketio_talk(stack.bot.venv, rasa.url, first["session_id"], "goodbye")
        assert again == {"session_id": first["session_id"], "replies": ["Goodbye!"]}, again
        assert user_texts(tracker(rasa, first["session_id"])["events"]) == ["hello", "goodbye"]


@pytest.mark.rasa
@pytest.mark.parametrize("stack", ["3.6"], ids=["rasa-3.6"], indirect=True)
def test_stock_channel_is_silent_with_the_newest_python_socketio(stack):
    """Why the bot has its own channel: Rasa's stock one, with the newest python-socketio, never
    joins the session's room, so no reply arrives (RasaHQ/rasa#13027). On 3.6 only: started without
    the launcher, Rasa 2.8 cannot listen on 127.0.0.1 alone (its code has the same bug)."""
    with rasa_with(stack, "newest", launcher=False) as rasa:
        got = tools.socketio_talk(stack.bot.venv, rasa.url, None, "hello", wait=15)
        assert got["replies"] == [], got
    log = max((stack.bot.scratch / "logs").glob("rasa-*.log"), key=lambda p: p.stat().st_mtime)
    assert "enter_room' was never awaited" in log.read_text(errors="replace")


def test_offline_state_when_rasa_stops(browser, stack, artifacts):
    from selenium.webdriver.common.by import By

    stop(stack.rasa.process)  # the harness's own stop: SIGTERM, then SIGKILL
    wait_for(browser, lambda d: page_state(d)["status"] == "offline", "the offline state")
    assert "Cannot reach the assistant" in browser.find_element(By.ID, "rasa-chat-status").text
    assert not browser.find_element(By.ID, "rasa-chat-message").is_enabled()
    screenshot(browser, artifacts, f"offline-rasa-{stack.bot.line}")
    # A visitor who arrives while Rasa is down sees the same state (nginx answers 502 for socket.io).
    browser.get(stack.web.url + "/")
    wait_for(browser, lambda d: page_state(d)["status"] == "offline", "the offline state on a fresh load")

"""make review in a real browser (marker `browser`): a light 3.6 bot with the SQLite store under a
real `rasa run`, a message it does not understand sent over REST, the review page
(scripts/review.py in the bot's venv, reading that store through insights.py) in Debian's Chromium:
the message is listed, labelled `greet` in two clicks, lands in data/nlu.yml (the checker passes,
the comments stay), and after `rasa train` of the same bot Rasa gives it `greet`.

Two trainings of the light bot (about 10 s each on 2 cores). What it cannot prove: `make review`'s
Docker command (the Docker tier has no review run; test_review.py reads its dry run).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from test_web_chat_browser import browser  # noqa: F401  (the session's Chromium)

import check_bot
import rasa_http
import review
from harness import rasa_cli, stores, venvs
from harness.bots import UNSEEN_GREETING, prepare
from harness.processes import LOCAL, free_port, http_json, serve
from harness.rasa_servers import rasa_server

pytestmark = pytest.mark.browser

WAIT = 60  # seconds for the page


def parse(rasa, text: str) -> dict:
    reply = rasa_http.request(f"{rasa.url}/model/parse?token={rasa.token}", json.dumps({"text": text}).encode())
    assert reply.status == 200, reply.body[:300]
    return json.loads(reply.body)["intent"]


def wait_for(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception as error:  # TimeoutException: say what the page showed
        body = driver.find_element("tag name", "body").text[:2000]
        raise AssertionError(f"{what} not seen within {WAIT} s; the page shows:\n{body}") from error


def review_page(bot, endpoints: Path, env: dict):
    """scripts/review.py as a server on a free port; yields (service, the URL with its token)."""
    port = free_port()
    url = f"http://{LOCAL}:{port}"
    argv = [str(bot.venv / "bin" / "python"), "scripts/review.py", "--endpoints", str(endpoints), "--port", str(port)]

    def ready(service) -> bool:
        status, _ = http_json(f"{url}/", timeout=5)
        return status == 403  # up, and refusing a request without the token

    return serve("review", argv, cwd=bot.path, env=bot.run_env("review", env), log=bot.scratch / "logs" / "review.log",
                 url=url, ready=ready, timeout=180)  # fmt: skip


def test_a_misunderstood_message_is_taught_in_two_clicks(browser, tmp_path_factory):  # noqa: F811
    from selenium.webdriver.common.by import By

    workdir = tmp_path_factory.mktemp("review")
    answers = {"nlu_pipeline": "light", "tracker_store": "sqlite", "custom_actions": False, "web_chat": False}
    try:
        bot = prepare(answers, workdir)
    except venvs.ToolchainUnavailable as error:
        venvs.unavailable(error)
    nlu = bot.path / "data" / "nlu.yml"
    original = nlu.read_text(encoding="utf-8")
    store = stores.Store(kind="sqlite", bot=bot)
    endpoints, env = stores.local_endpoints(bot, store)
    model = rasa_cli.train(bot, workdir / "models")
    with rasa_server(bot, model, endpoints, env=env) as rasa:
        rasa_http.send(rasa.url, "visitor", "hello")
        rasa_http.send(rasa.url, "visitor", UNSEEN_GREETING)
        before = parse(rasa, UNSEEN_GREETING)
        assert before["name"] != "greet", f"the planted message is understood already: {before}"
        assert UNSEEN_GREETING in store.user_texts("visitor"), "Rasa did not store the message"

        with review_page(bot, endpoints, env) as page:
            (address,) = re.findall(r"^Review page: (\S+)$", page.log_text(), re.M)
            browser.get(address)
            item = f"m-{review.message_id(UNSEEN_GREETING)}"
            message = wait_for(browser, lambda d: d.find_elements(By.ID, item), "the planted message")[0]
            assert UNSEEN_GREETING in message.text and "user: hello" in message.text, message.text
            # The page's one <style> passes its Content-Security-Policy (its hash); a blocked one leaves 16px.
            assert message.find_element(By.CSS_SELECTOR, "p.text").value_of_css_property("font-size") == "17.6px"
            message.find_element(By.XPATH, ".//label[normalize-space()='greet']").click()  # click 1
            message.find_element(By.XPATH, ".//button[@value='teach']").click()  # click 2
            notice = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"), "the notice")[0]
            assert "added to 'greet' in data/nlu.yml" in notice.text, notice.text
            assert not browser.find_elements(By.ID, item), "a taught message is still offered"

        now = nlu.read_text(encoding="utf-8")
        assert now.replace(f"      - {UNSEEN_GREETING}\n", "", 1) == original, "more than one line changed"
        assert now.startswith(original.split("\n", 1)[0] + "\n"), "the file's comment is gone"
        assert not check_bot.errors(check_bot.check_bot(bot.path))

        start = time.monotonic()
        retrained = rasa_cli.train(bot, workdir / "models")
        print(f"retrained in {time.monotonic() - start:.0f} s")
        rasa_http.load(rasa.url, rasa.token, str(retrained))
        after = parse(rasa, UNSEEN_GREETING)
        assert after["name"] == "greet", f"after retraining: {after} (before: {before})"

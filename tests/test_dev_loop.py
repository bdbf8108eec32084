"""`make dev` of a rendered bot (scripts/dev.py), with real Rasa: it comes up and answers, picks up
saved edits (an NLU example, a new intent with a new response), survives bad edits with the last
good model, and Ctrl-C leaves no process behind. No timing is asserted (see benchmarks/)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time

import psutil
import pytest

import rasa_http
from harness import bots, venvs
from harness.bots import UNSEEN_GREETING, RasaProject
from harness.processes import LOCAL, free_port

pytestmark = pytest.mark.rasa

WAIT = 600  # seconds before a step that never happens fails (diet trains for minutes on 2 cores)
GREETING = "Hi, how is it going?"
WEATHER_NLU = """
  - intent: ask_weather
    examples: |
      - what is the weather like
      - how is the weather today
      - is it raining outside
      - will it be sunny tomorrow
      - tell me the weather forecast
"""
WEATHER_RULE = """
  - rule: Answer the weather question
    steps:
      - intent: ask_weather
      - action: utter_weather
"""


class DevLoop:
    """`make dev` in its own process group; its output is read line by line."""

    def __init__(self, bot: RasaProject, dev_args: str = ""):
        self.port, self.actions_port = free_port(), free_port()
        self.url = f"http://{LOCAL}:{self.port}"
        argv = bot.make_dev(self.port, self.actions_port, dev_args)
        self.process = subprocess.Popen(argv, cwd=bot.path, env=bot.run_env("dev"), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.senders = 0
        self.reader = threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout])
        self.reader.start()

    def expect(self, pattern: str) -> str:
        """The next output line matching pattern (a regex); fails if make dev exits or it never comes."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, f"make dev exited {self.process.returncode}:\n{self.output()}"
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"make dev never printed /{pattern}/ within {WAIT} s:\n{self.output()}")

    def output(self) -> str:
        return "".join(self.seen[-60:])

    def say(self, message: str) -> list[str]:
        """The bot's replies, in a new conversation each time (no context from earlier turns)."""
        self.senders += 1
        return rasa_http.send(self.url, f"tester-{self.senders}", message)

    def processes(self) -> list[psutil.Process]:
        """make, dev.py and every server it started (they run in process groups of their own)."""
        make = psutil.Process(self.process.pid)
        return [make, *make.children(recursive=True)]

    def stop(self) -> None:
        """What Ctrl-C in a terminal does: SIGINT to the foreground process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=WAIT)
        self.reader.join(timeout=WAIT)
        while not self.lines.empty():
            self.seen.append(self.lines.get())


def prepare(answers: dict, tmp_path_factory) -> RasaProject:
    try:
        return bots.prepare(
            {"nlu_pipeline": "light", "custom_actions": True, **answers}, tmp_path_factory.mktemp("dev")
        )
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)


@pytest.fixture
def bot(tmp_path_factory) -> RasaProject:
    return prepare({}, tmp_path_factory)


@pytest.fixture
def bot_2_8(tmp_path_factory) -> RasaProject:
    return prepare({"rasa_version": "2.8"}, tmp_path_factory)


def listening_hosts(port: int) -> set[str]:
    """The local addresses any process listens on at `port` (TCP, IPv4 and IPv6)."""
    listening = [c for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    return {c.laddr.ip for c in listening if c.laddr.port == port}


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_make_dev_serves_retrains_on_save_survives_bad_edits_and_stops_cleanly(bot):
    dev = DevLoop(bot)
    try:
        dev.expect(r"Training the current files: trained in")
        watching = dev.expect(r"Watching for saves")
        assert "actions/ (.py): restart the action server" in watching, watching
        assert dev.say("hello") == [GREETING]
        started = dev.processes()
        commands = [" ".join(p.cmdline()) for p in started]
        assert any("scripts/rasa_run.py run " in c for c in commands), commands  # RASA_HOST, token: from env
        assert any("rasa_sdk" in c for c in commands), commands
        token = re.search(r"^RASA_AUTH_TOKEN=(.+)$", (bot.path / ".env").read_text(), re.MULTILINE).group(1)
        assert not [c for c in commands if token in c], "the API token is on a command line"
        for port in (dev.port, dev.actions_port):
            assert listening_hosts(port) == {LOCAL}, f"port {port} is not on loopback only"

        # A save in actions/ restarts the action server (a new process) and trains nothing.
        old_sdk = [p for p in started if "rasa_sdk" in " ".join(p.cmdline())]
        with open(bot.path / "actions" / "actions.py", "a") as code:
            code.write("\n# edited\n")
        dev.expect(r"^actions/actions\.py: action server restarted$")
        assert old_sdk and not [p for p in old_sdk if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        started += [p for p in dev.processes() if p not in started]
        assert any("rasa_sdk" in " ".join(p.cmdline()) for p in started if p not in old_sdk), "no new action server"

        # An edited example: the old model did not know it, the new one does.
        assert dev.say(UNSEEN_GREETING) != [GREETING]
        edit(bot.path / "data" / "nlu.yml", "      - hello\n", f"      - hello\n      - {UNSEEN_GREETING}\n")
        dev.expect(r"^data/nlu\.yml: trained in")
        assert dev.say(UNSEEN_GREETING) == [GREETING]

        # A new intent with a new response: examples and a rule first, the domain last.
        with open(bot.path / "data" / "nlu.yml", "a") as nlu:
            nlu.write(WEATHER_NLU)
        with open(bot.path / "data" / "rules.yml", "a") as rules:
            rules.write(WEATHER_RULE)
        domain = bot.path / "domain.yml"
        edit(domain, "  - out_of_scope\n", "  - out_of_scope\n  - ask_weather\n")
        edit(domain, "responses:\n", 'responses:\n  utter_weather:\n    - text: "Always sunny in here."\n')
        dev.expect(r"domain\.yml.*: trained in")
        assert dev.say("what is the weather like") == ["Always sunny in here."]
        good_domain = domain.read_text()

        # Invalid YAML, then an intent removed that a rule still uses, then a half-saved file:
        # each is reported and the last good model keeps answering.
        for n, broken in enumerate((good_domain + "responses: [unclosed\n",
                                    good_domain.replace("  - ask_weather\n", ""),
                                    good_domain[: len(good_domain) // 2])):  # fmt: skip
            if n == 0:  # saved as many editors do: a new file renamed over the old one (the watch must survive it)
                (bot.path / "domain.yml.tmp").write_text(broken)
                os.replace(bot.path / "domain.yml.tmp", domain)
            else:
                domain.write_text(broken)
            error = dev.expect(r"^ERROR: domain\.yml")
            assert "last good model keeps serving" in error
            assert dev.say("what is the weather like") == ["Always sunny in here."]
            assert dev.say("hello") == [GREETING]
        assert "ask_weather" in dev.output(), "the removed intent was not named"

        domain.write_text(good_domain)  # the next good save recovers
        dev.expect(r"^domain\.yml: trained in")
        assert dev.say("what is the weather like") == ["Always sunny in here."]
    finally:
        dev.stop()
    assert_stopped_cleanly(dev, started)


def test_make_dev_on_rasa_2_8_trains_the_markdown_data_and_picks_up_an_edit(bot_2_8):
    dev = DevLoop(bot_2_8)
    try:
        dev.expect(r"Training the current files: trained in")
        dev.expect(r"Watching for saves")
        assert dev.say("hello") == [GREETING]
        started = dev.processes()
        for port in (dev.port, dev.actions_port):  # 2.8's `rasa run` has no --interface: rasa_run.py keeps it local
            assert listening_hosts(port) == {LOCAL}, f"port {port} is not on loopback only"
        assert dev.say(UNSEEN_GREETING) != [GREETING]
        edit(bot_2_8.path / "data" / "nlu.md", "- hello\n", f"- hello\n- {UNSEEN_GREETING}\n")
        dev.expect(r"^data/nlu\.md: trained in")
        assert dev.say(UNSEEN_GREETING) == [GREETING]
    finally:
        dev.stop()
    assert_stopped_cleanly(dev, started)


def assert_stopped_cleanly(dev: DevLoop, started: list[psutil.Process]) -> None:
    # make re-raises the SIGINT once its child is done (returncode -2); dev.py itself stopped cleanly:
    assert dev.process.returncode in (0, -signal.SIGINT) and dev.seen[-1] == "Stopping.\n", dev.output()
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"still running after Ctrl-C: {[p.cmdline() for p in left]}"
    assert not listening_hosts(dev.port) and not listening_hosts(dev.actions_port)

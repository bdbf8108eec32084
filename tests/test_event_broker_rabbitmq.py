"""Real Rasa 3.6 and the real RabbitMQ of this machine (127.0.0.1:5672, guest/guest): the bot with
event_broker=rabbitmq publishes every event of a conversation, and the bot's own
scripts/events_consumer.py appends each body, unchanged and in order, to a JSON-lines file (the
format `make insights EVENTS=...` reads).

One light bot, trained once; one `rasa run` with the bot's endpoints.yml, whose broker host and port
are a TCP relay this test controls (the queue gets a name of its own per run). The consumer reads the
same file and goes through the same relay. Cutting the relay is the broker going away for both: the
machine's RabbitMQ, which other tests use, is never stopped. scripts/services.sh starts Debian's
RabbitMQ when nothing answers; under CI a broker that does not answer fails the module.

What it cannot prove: the rabbitmq image of Compose and Kubernetes (no registry here: Debian's
RabbitMQ 3.10 stands in for the pinned image), nor a broker restart that loses the queue itself (the
queue and Rasa's messages are durable, so RabbitMQ keeps them; here the queue is never lost).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

import rasa_http
from harness import fail_or_skip, rasa_cli, venvs
from harness.bots import prepare
from harness.processes import LOCAL, Service, serve, tail
from harness.rasa_servers import rasa_server, tracker, user_texts
from harness.tcp_relay import relay

pytestmark = pytest.mark.rasa

BROKER = (LOCAL, 5672)
LOGIN = {"RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest"}  # RabbitMQ's default user, loopback only
ARRIVAL_TIMEOUT = 90  # seconds; Rasa's pika connection retries every 5 s after a drop
CONSUMER = "scripts/events_consumer.py"


def broker_answers() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=3):
            return True
    except OSError:
        return False


class Stack:
    """The bot, its model, the relay, `rasa run` and the consumer, and the file it writes."""

    def __init__(self, bot, relay_, rasa: Service, consumer: Service, events: Path, queue: str):
        self.bot, self.relay, self.rasa, self.consumer, self.events, self.queue = (
            bot, relay_, rasa, consumer, events, queue)  # fmt: skip

    def bodies(self, sender: str) -> list[dict]:
        """The lines of the file for one conversation, parsed (every line must be one JSON object)."""
        lines = self.events.read_bytes().splitlines() if self.events.exists() else []
        parsed = [json.loads(line) for line in lines]
        assert all(isinstance(body, dict) for body in parsed)
        return [body for body in parsed if body.get("sender_id") == sender]

    def wait_for(self, sender: str, count: int) -> list[dict]:
        """The file's bodies of `sender` once there are `count` of them (or the timeout's failure)."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while len(bodies := self.bodies(sender)) < count and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(bodies) >= count, (
            f"{len(bodies)} of {count} events of {sender!r} arrived in {ARRIVAL_TIMEOUT} s\n"
            f"consumer:\n{tail(self.consumer.log_text(), 20)}"
        )
        return bodies

    def say(self, sender: str, text: str) -> list[str]:
        return rasa_http.send(self.rasa.url, sender, text)


@pytest.fixture(scope="module")
def broker():
    if not broker_answers():
        fail_or_skip("RabbitMQ tier", f"nothing answers on {BROKER[0]}:{BROKER[1]} (scripts/services.sh starts it)")
    return BROKER


@pytest.fixture(scope="module")
def stack(tmp_path_factory, broker):
    workdir = tmp_path_factory.mktemp("event-broker")
    answers = {"rasa_version": "3.6", "nlu_pipeline": "light", "event_broker": "rabbitmq", "custom_actions": False}
    try:
        bot = prepare(answers, workdir)
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    started = time.monotonic()
    model = rasa_cli.train(bot, workdir / "models")
    print(f"light model for the event-broker module: {time.monotonic() - started:.1f} s")
    queue = f"rasa_events_test_{uuid.uuid4().hex[:12]}"
    events = workdir / "reports" / "events.jsonl"
    with relay(broker) as relay_:
        endpoints = local_endpoints(bot, relay_.port, queue)
        consumer_argv = [str(bot.venv / "bin" / "python"), CONSUMER, "--endpoints", str(endpoints),
                         "--output", str(events)]  # fmt: skip
        with consumer_process(bot, consumer_argv, "consumer") as consumer:
            with rasa_server(bot, model, endpoints, env=LOGIN) as rasa:
                yield Stack(bot, relay_, rasa, consumer, events, queue)
    delete_queue(bot, queue)


def local_endpoints(bot, port: int, queue: str) -> Path:
    """The bot's config/endpoints.yml with the broker at the relay and a queue of this run's own;
    every other setting (the pika type, the login's variables, the retry settings) as the bot has it."""
    config = yaml.safe_load((bot.path / "config" / "endpoints.yml").read_text(encoding="utf-8"))
    broker = config["event_broker"]
    assert broker["queues"] == ["rasa_events"] and broker["url"] == "rabbitmq"
    broker.update(url=LOCAL, port=port, queues=[queue])
    path = bot.scratch / "endpoints.broker.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def consumer_process(bot, argv: list[str], label: str):
    """The bot's consumer as `make events` runs it, ready once it says where it appends."""
    env = bot.run_env(label, LOGIN)
    log = bot.scratch / "logs" / f"{label}.log"
    return serve(label, argv, cwd=bot.path, env=env, log=log, url=f"amqp://{LOCAL}",
                 ready=lambda service: "Appending the events" in service.log_text(), timeout=60)  # fmt: skip


def delete_queue(bot, queue: str) -> None:
    """Leave the machine's RabbitMQ as it was: this run's queue goes (aio-pika of the bot's venv)."""
    script = (
        "import asyncio, sys, aio_pika\n"
        "async def main():\n"
        "    connection = await aio_pika.connect(host=sys.argv[1], login='guest', password='guest')\n"
        "    channel = await connection.channel()\n"
        "    await channel.queue_delete(sys.argv[2])\n"
        "    await connection.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([str(bot.venv / "bin" / "python"), "-c", script, LOCAL, queue], timeout=60, check=False)


# --- the stream ---------------------------------------------------------------------------------------


def test_a_conversation_s_events_arrive_in_order_exactly_as_the_tracker_holds_them(stack):
    sender = f"stream-{uuid.uuid4().hex[:8]}"
    said = ["hello", "I am feeling very good"]
    replies = [stack.say(sender, text) for text in said]
    assert all(replies), replies
    events = tracker(stack.rasa, sender)["events"]
    bodies = stack.wait_for(sender, len(events))
    # Each body is the event as Rasa serialises it, plus the conversation's sender_id: nothing else,
    # nothing changed, in the tracker's order.
    assert [{k: v for k, v in body.items() if k != "sender_id"} for body in bodies] == events
    assert user_texts(bodies) == said
    intents = [body["parse_data"]["intent"]["name"] for body in bodies if body["event"] == "user"]
    assert intents == ["greet", "mood_happy"]
    bot_texts = [body["text"] for body in bodies if body["event"] == "bot"]
    assert bot_texts == [text for reply in replies for text in reply]
    assert all(body["timestamp"] and body["event"] for body in bodies)
    # The lines are the bodies as published: one JSON object per line, written as it came.
    raw = [line for line in stack.events.read_bytes().splitlines() if sender.encode() in line]
    assert [json.loads(line) for line in raw] == bodies


def test_broker_gone_rasa_answers_and_the_events_come_after_it_is_back(stack):
    """The relay cut: Rasa's and the consumer's connections drop, new connections are refused.
    Rasa keeps answering over REST. What it fails to publish it keeps in memory (its log says each
    one) and publishes, in order, once its connection is back (should_keep_unpublished_messages);
    the consumer reconnects too. An event already on its way when the connection drops is another
    matter: runs here lost one without a log line, or delivered them out of order. So the measured
    conversation starts once Rasa has logged a failed publish of a first one (the probe), whose
    events are only checked to be Rasa's own, unchanged."""
    before = f"before-{uuid.uuid4().hex[:8]}"
    stack.say(before, "hello")
    stack.wait_for(before, len(tracker(stack.rasa, before)["events"]))

    stack.relay.cut()
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while not failed_publish(stack.rasa, probe) and time.monotonic() < deadline:
        assert stack.say(probe, "hello"), "Rasa did not answer while the broker was gone"
    assert failed_publish(stack.rasa, probe), f"Rasa logged no failed publish in {ARRIVAL_TIMEOUT} s"
    sender = f"outage-{uuid.uuid4().hex[:8]}"
    during = [stack.say(sender, "hello"), stack.say(sender, "I am sad")]
    assert all(during), f"Rasa did not answer while the broker was gone: {during}"
    events = tracker(stack.rasa, sender)["events"]
    assert user_texts(events) == ["hello", "I am sad"]
    assert stack.bodies(sender) == [], "events arrived while the broker was unreachable"

    stack.relay.restore()
    bodies = stack.wait_for(sender, len(events))
    assert [without_sender(body) for body in bodies] == events
    assert "Reconnected to RabbitMQ" in stack.consumer.log_text()
    probe_events = tracker(stack.rasa, probe)["events"]
    probe_bodies = [without_sender(body) for body in stack.bodies(probe)]
    # Around the drop: nothing foreign or altered, but events may be missing, doubled or out of order.
    assert all(body in probe_events for body in probe_bodies)
    doubled = len(probe_bodies) - len({json.dumps(body, sort_keys=True) for body in probe_bodies})
    in_order = probe_bodies == [event for event in probe_events if event in probe_bodies]
    missing = [index for index, event in enumerate(probe_events) if event not in probe_bodies]
    print(f"probe: {len(probe_events)} events, {len(probe_bodies)} arrived, {doubled} doubled, in order: {in_order}, "
          f"missing: {missing}, arrived: {[probe_events.index(body) for body in probe_bodies]}")  # fmt: skip
    after = f"after-{uuid.uuid4().hex[:8]}"
    stack.say(after, "hello")
    events = tracker(stack.rasa, after)["events"]
    assert [without_sender(body) for body in stack.wait_for(after, len(events))] == events


def without_sender(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "sender_id"}


def failed_publish(rasa: Service, sender: str) -> bool:
    """Rasa 3.6 logs each event it could not publish, with its sender_id."""
    return any("failed Pika event" in line and sender in line for line in rasa.log_text().splitlines())


# --- the consumer's own behaviour ------------------------------------------------------------------------


def run_consumer(stack, env: dict, *args: str) -> subprocess.CompletedProcess:
    argv = [str(stack.bot.venv / "bin" / "python"), CONSUMER, "--output", str(stack.events.parent / "other.jsonl")]
    return subprocess.run([*argv, *args], cwd=stack.bot.path, env=stack.bot.run_env("consumer-error", env),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_wrong_credentials_and_an_unreachable_broker_are_one_error_line(stack):
    endpoints = str(stack.bot.scratch / "endpoints.broker.yml")
    wrong = run_consumer(stack, {**LOGIN, "RABBITMQ_PASSWORD": "not-the-password"}, "--endpoints", endpoints,
                         "--port", str(BROKER[1]))  # fmt: skip
    closed = socket.socket()
    closed.bind((LOCAL, 0))
    port = closed.getsockname()[1]  # bound, not listening: refused
    try:
        unreachable = run_consumer(stack, LOGIN, "--endpoints", endpoints, "--port", str(port))
    finally:
        closed.close()
    unset = run_consumer(stack, {}, "--endpoints", endpoints)
    for result, says in ((wrong, "refused the user 'guest'"), (unreachable, "cannot reach RabbitMQ"),
                         (unset, "reads ${RABBITMQ_USER}, which is not set")):  # fmt: skip
        assert result.returncode == 1, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ERROR: ") and says in lines[0], result.stderr
        assert "Traceback" not in result.stdout + result.stderr


def test_ctrl_c_stops_the_consumer_cleanly(stack):
    """Last: it stops the module's consumer. SIGINT as Ctrl-C sends it; it says how many it wrote."""
    process = stack.consumer.process
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, tail(stack.consumer.log_text())
    log = stack.consumer.log_text()
    assert "Stopped: " in log and "Traceback" not in log, log
    written = int(log.split("Stopped: ", 1)[1].split()[0])
    assert written == len(stack.events.read_bytes().splitlines())


# --- Rasa 2.8 ------------------------------------------------------------------------------------------

# Rasa 2.8's own broker, built from the endpoints.yml of a 2.8 bot the way `rasa run` builds it,
# publishes events as its tracker store does (sender_id + the event's dict); no training needed.
PUBLISH_28 = """
import asyncio, json, sys
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.utils.endpoints import read_endpoint_config

async def main():
    broker = await EventBroker.create(read_endpoint_config(sys.argv[1], "event_broker"))
    print("BROKER " + type(broker).__name__)
    events = [UserUttered("hello", intent={"name": "greet", "confidence": 0.9}), BotUttered("Hi!")]
    running = asyncio.all_tasks()
    for event in events:
        broker.publish({"sender_id": "rasa-2.8", **event.as_dict()})
    await asyncio.gather(*(asyncio.all_tasks() - running))  # publish() starts one task per event
    await broker.close()
    print("PUBLISHED " + json.dumps([{"sender_id": "rasa-2.8", **event.as_dict()} for event in events]))

asyncio.run(main())
"""


def test_rasa_2_8_publishes_with_the_same_settings_and_the_consumer_reads_them_with_aio_pika_6(
    tmp_path, broker
):  # fmt: skip
    """Rasa 2.8's PikaEventBroker takes the same endpoints.yml keys as 3.6's (read in its source,
    used here), and the consumer runs on 2.8's aio-pika 6 and Python 3.8. The queue keeps what was
    published before any consumer ran."""
    try:
        bot = prepare({"rasa_version": "2.8", "nlu_pipeline": "light", "event_broker": "rabbitmq"}, tmp_path)
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    queue = f"rasa_events_test28_{uuid.uuid4().hex[:12]}"
    config = yaml.safe_load((bot.path / "config" / "endpoints.yml").read_text(encoding="utf-8"))
    config["event_broker"].update(url=broker[0], port=broker[1], queues=[queue])
    endpoints = bot.scratch / "endpoints.broker.yml"
    endpoints.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    script = tmp_path / "publish.py"
    script.write_text(PUBLISH_28)
    try:
        result = rasa_cli.run(bot, "python", str(script), str(endpoints), label="publish", env=LOGIN).check()
        assert "BROKER PikaEventBroker" in result.output, result.tail()
        published = json.loads(next(line for line in result.output.splitlines() if line.startswith("PUBLISHED "))[10:])
        events = tmp_path / "events.jsonl"
        argv = [str(bot.venv / "bin" / "python"), CONSUMER, "--endpoints", str(endpoints), "--output", str(events)]
        with consumer_process(bot, argv, "consumer-2.8") as consumer:
            deadline = time.monotonic() + ARRIVAL_TIMEOUT
            while len(events.read_bytes().splitlines() if events.exists() else []) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
            consumer.process.send_signal(signal.SIGINT)
            assert consumer.process.wait(timeout=30) == 0, consumer.log_text()
        assert [json.loads(line) for line in events.read_bytes().splitlines()] == published
        assert "Stopped: 2 events appended" in consumer.log_text()
    finally:
        delete_queue(bot, queue)

#!/usr/bin/env python3
"""Append every event Rasa publishes to RabbitMQ to a JSON-lines file: `make events`.

    python scripts/events_consumer.py [--output reports/events.jsonl] [--endpoints config/endpoints.yml]
                                      [--host HOST] [--port PORT] [--queue NAME]

Reads the broker, the login and the queue from the `event_broker` section of endpoints.yml, the
file Rasa reads (`${VARS}` from the environment, as Rasa does). Each message body is written as it
came, one per line, then flushed to disk; only then is the message acknowledged. So an event is on
the queue or in the file, never in neither: after a crash between the write and the
acknowledgement the event comes again (at least once). A body that is not one JSON object on one
line goes to `<output>.rejected` instead. When the connection drops (RabbitMQ restarts), it
reconnects every few seconds; the queue keeps what arrives meanwhile. Ctrl-C stops it cleanly.

Needs aio-pika (in the Rasa venv and image) and PyYAML or ruamel.yaml. Exit 0 after Ctrl-C; 1 with
one `ERROR:` line when the settings are wrong or the broker cannot be reached at start.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import re
import signal
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import bot_files

load_yaml = bot_files.yaml_loader()

BOT_DIR = Path(__file__).resolve().parent.parent
ENV_VAR = re.compile(r"\$\{([^}{]+)\}")  # what Rasa replaces in endpoints.yml
RETRY_SECONDS = 5
PREFETCH = 50  # messages RabbitMQ hands over before their acknowledgements


class SettingsError(Exception):
    """A setting that keeps the consumer from starting; the message is the ERROR line."""


def expand(value: object, where: str) -> object:
    """`${VAR}` replaced from the environment, like Rasa; an unset variable is an error."""
    if not isinstance(value, str):
        return value

    def variable(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SettingsError(
                f"{where} reads {match.group(0)}, which is not set: export it (make .env writes it into .env), "
                "or run `make events`, which passes it from .env"
            )
        return os.environ[name]

    return ENV_VAR.sub(variable, value)


def broker_settings(endpoints: Path, host: str | None, port: int | None, queue: str | None) -> dict:
    """Host, port, login, password, virtual host and queue: from endpoints.yml, with overrides."""
    if load_yaml is None:
        raise SettingsError("reading endpoints.yml needs PyYAML or ruamel.yaml: run `make events` (the Rasa image)")
    try:
        document = load_yaml(endpoints.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise SettingsError(f"cannot read {endpoints}: {error.strerror}") from None
    except Exception as error:  # the YAML library's own errors
        raise SettingsError(f"{endpoints} is not valid YAML: {str(error).splitlines()[0]}") from None
    section = document.get("event_broker") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise SettingsError(f"{endpoints} has no event_broker section: answer event_broker=rabbitmq, or add one")
    if str(section.get("type") or "pika").lower() != "pika":
        raise SettingsError(f"{endpoints}: event_broker.type is {section.get('type')!r}; this consumer reads pika")
    values = {key: expand(section.get(key), f"{endpoints}: event_broker.{key}") for key in section}
    url = str(values.get("url") or "localhost")
    parsed = urlparse(url) if "://" in url else None
    queues = values.get("queues") or ["rasa_core_events"]  # Rasa's default queue
    queues = [queues] if isinstance(queues, str) else list(queues)
    try:
        settings = {
            "host": host or (parsed.hostname if parsed else url),
            "port": int(port or (parsed and parsed.port) or values.get("port") or 5672),
            "login": str(values.get("username") or "guest"),
            "password": str(values.get("password") or "guest"),
            "virtualhost": unquote(parsed.path[1:]) if parsed and len(parsed.path) > 1 else "/",
            "ssl": bool(parsed and parsed.scheme == "amqps"),
            "queue": queue or str(queues[0]),
        }
    except (TypeError, ValueError):
        raise SettingsError(f"{endpoints}: event_broker.port must be a number, not {values.get('port')!r}") from None
    if not settings["host"]:
        raise SettingsError(f"{endpoints}: event_broker.url {url!r} names no host")
    return settings


def where(settings: dict) -> str:
    return f"RabbitMQ at {settings['host']}:{settings['port']}"


async def connect(settings: dict):
    """A connection, or SettingsError saying why there is none."""
    import aio_pika  # here, so that --help and the settings errors need no aio-pika

    keys = ("host", "port", "login", "password", "virtualhost", "ssl")
    try:
        return await aio_pika.connect(**{key: settings[key] for key in keys}, timeout=10)
    except Exception as error:  # aiormq raises its own classes, OSError and asyncio's timeouts
        name = type(error).__name__
        if "Authentication" in name:
            raise SettingsError(
                f"{where(settings)} refused the user {settings['login']!r}: check event_broker's username and "
                "password (RABBITMQ_USER, RABBITMQ_PASSWORD in .env)"
            ) from None
        reason = str(error).splitlines()[0] if str(error) else name
        raise SettingsError(f"cannot reach {where(settings)} ({reason}): is it running? (make up starts it)") from None


class EventFile:
    """The output: bodies appended one per line, each on disk before its message is acknowledged."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.events = path.open("ab")
        self.rejected = path.with_name(path.name + ".rejected")
        self.written = 0

    def append(self, body: bytes) -> None:
        if one_json_object(body):
            self.events.write(body + b"\n")
            self._sync(self.events)
            self.written += 1
            return
        with self.rejected.open("ab") as rejected:
            rejected.write(json.dumps({"rejected_body": body.decode("utf-8", "backslashreplace")}).encode() + b"\n")
            self._sync(rejected)
        print(f"WARNING: a message that is not one JSON object on one line went to {self.rejected}", file=sys.stderr)

    @staticmethod
    def _sync(file) -> None:
        file.flush()
        os.fsync(file.fileno())

    def close(self) -> None:
        self.events.close()


def one_json_object(body: bytes) -> bool:
    if b"\n" in body or b"\r" in body:
        return False
    try:
        return isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:  # also UnicodeDecodeError
        return False


async def consume(connection, settings: dict, output: EventFile, stop: asyncio.Event) -> None:
    """Write the queue's messages until `stop` is set or the connection drops."""

    async def on_message(message) -> None:
        output.append(bytes(message.body))
        acknowledged = message.ack()  # a coroutine in aio-pika 8 (Rasa 3.6), a future in 6 (Rasa 2.8)
        if inspect.isawaitable(acknowledged):
            await acknowledged

    lost = asyncio.Event()
    # Called with (connection, reason) when the connection closes, in aio-pika 6 and 8 alike.
    connection.close_callbacks.add(lambda *_: lost.set())
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=PREFETCH)
    # The queue as Rasa declares it (durable): it holds the events while no consumer runs.
    queue = await channel.declare_queue(settings["queue"], durable=True)
    await queue.consume(on_message)
    while not stop.is_set() and not lost.is_set() and not is_closed(connection):
        try:
            await asyncio.wait_for(stop.wait(), timeout=1)
        except asyncio.TimeoutError:
            pass


def is_closed(connection) -> bool:
    """aio-pika 8 calls the close callbacks when the server goes; aio-pika 6 only marks its
    aiormq connection closed (`connection.connection`; in 8 it is `connection.transport.connection`)."""
    if connection.is_closed:
        return True
    transport = getattr(connection, "transport", None)
    amqp = getattr(transport, "connection", None) or getattr(connection, "connection", None)
    return amqp is None or bool(amqp.is_closed)


async def run(settings: dict, output: EventFile) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_event_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    connection = await connect(settings)  # at start, a failure is an ERROR
    print(f"Appending the events of queue {settings['queue']!r} ({where(settings)}) to {output.path} (Ctrl-C stops)")
    while True:
        try:
            await consume(connection, settings, output, stop)
        except Exception as error:  # the connection dropped while declaring or acknowledging
            print(f"WARNING: {where(settings)}: {type(error).__name__}: {error}", file=sys.stderr)
        if stop.is_set():
            break
        print(f"Lost {where(settings)}; reconnecting every {RETRY_SECONDS} s (the queue keeps new events)")
        connection = await reconnect(settings, stop)
        if connection is None:
            break
        print(f"Reconnected to {where(settings)}")
    if connection is not None and not connection.is_closed:
        await connection.close()


async def reconnect(settings: dict, stop: asyncio.Event):
    """A new connection, or None once `stop` is set."""
    while not stop.is_set():
        try:
            return await connect(settings)
        except SettingsError:
            try:
                await asyncio.wait_for(stop.wait(), timeout=RETRY_SECONDS)
            except asyncio.TimeoutError:
                pass
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="reports/events.jsonl", help="the JSON-lines file (appended to)")
    parser.add_argument("--endpoints", default=str(BOT_DIR / "config" / "endpoints.yml"))
    parser.add_argument("--host", help="the broker's host instead of event_broker.url's (e.g. localhost)")
    parser.add_argument("--port", type=int, help="the broker's port instead of event_broker.port")
    parser.add_argument("--queue", help="the queue instead of event_broker.queues' first")
    args = parser.parse_args(argv)
    output = None
    try:
        settings = broker_settings(Path(args.endpoints), args.host, args.port, args.queue)
        output = EventFile(Path(args.output))
        asyncio.run(run(settings, output))
    except SettingsError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"ERROR: {error.name} is missing: run it in the Rasa venv (make venv), or `make events`", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"ERROR: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 1
    finally:
        if output is not None:
            output.close()
    print(f"Stopped: {output.written} events appended to {output.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

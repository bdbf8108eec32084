"""The bot's smoke test against servers that are not a healthy Rasa: a clear message, never a
traceback or a hang. Each server here is a real socket server on 127.0.0.1 (the stand-ins of
tests/conftest.py); tests/test_rasa_http.py tests the client itself."""

from __future__ import annotations

import socket

import pytest

import smoke_test


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html><body>It works!</body></html>", "not JSON"),
        (200, b'{"message": "hello"}', "not Rasa's list of replies"),
        (200, b'["hi"]', "not Rasa's list of replies"),
        (404, b"not found", "HTTP 404: is the rest channel in config/credentials.yml?"),
        (500, b"oops", "HTTP 500: see the Rasa server's log"),
    ],
)
def test_a_server_that_is_not_rasa_gets_a_clear_message(http_server, bake_once, capsys, status, body, message):
    url = http_server(status, body)
    assert smoke_test.main(["--url", url, "--bot-dir", str(bake_once().path)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_non_http_bytes_are_reported(raw_server, bake_once, capsys):
    url = raw_server(lambda sock: sock.sendall(b"\x00\x01 not http at all\r\n\r\n"))
    assert smoke_test.main(["--url", url, "--bot-dir", str(bake_once().path)]) == 2
    assert f"cannot reach {url}/" in capsys.readouterr().err


def test_nobody_listening_is_cannot_reach(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    assert smoke_test.main(["--url", f"http://127.0.0.1:{port}", "--wait", "1"]) == 2
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize("wait", ["nan", "inf", "-1", "soon"])
def test_bad_wait_is_refused(capsys, wait):
    with pytest.raises(SystemExit) as exit_info:
        smoke_test.main(["--wait", wait])
    assert exit_info.value.code == 2
    assert "is not a number of seconds" in capsys.readouterr().err


def test_a_form_turn_expects_the_question_of_the_slot_it_asks_for(bake_once):
    """A form speaks through utter_ask_<slot> (the story's `requested_slot`), never under its own name."""
    bot = bake_once(starter_skill="form").path
    turns = smoke_test.conversations(bot)["feedback form"]
    assert [turn.expected for turn in turns] == [
        ("feedback_form", "utter_ask_rating"),
        ("feedback_form", "utter_ask_recommend"),
        ("feedback_form", "utter_thanks_feedback"),
    ]
    domain = smoke_test.load_domain(bot)
    question = domain["responses"]["utter_ask_rating"][0]["text"]
    assert smoke_test.check_turn(turns[0], [question], domain, []) == ""
    assert "expected 1 replies" in smoke_test.check_turn(turns[0], [question, question], domain, [])

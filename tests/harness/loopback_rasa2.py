"""Rasa 2.x's CLI with Sanic bound to 127.0.0.1: its `rasa run` has no --interface and uses 0.0.0.0.

    python loopback_rasa2.py run --enable-api ...   (run by the Rasa 2.8 venv's Python)
"""

import sys

import sanic
from rasa.__main__ import main

_run = sanic.Sanic.run


def _loopback_run(self, *args, **kwargs):
    kwargs["host"] = "127.0.0.1"
    return _run(self, *args, **kwargs)


sanic.Sanic.run = _loopback_run
sys.argv[0] = "rasa"
main()

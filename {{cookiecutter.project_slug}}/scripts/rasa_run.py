"""`rasa ARGS`, with `--auth-token` taken from $RASA_AUTH_TOKEN for `rasa run`.

The token is added inside this process, so it never appears in a process list (`ps` shows every
process's arguments to every user of the host). Docker Compose and Kubernetes start Rasa this way.
"""

import os
import sys

from rasa.__main__ import main

args = sys.argv[1:]
token = os.environ.get("RASA_AUTH_TOKEN", "")
if args[:1] == ["run"] and args[1:2] != ["actions"] and token and "--auth-token" not in args:
    args += ["--auth-token", token]
sys.argv = ["rasa", *args]
main()

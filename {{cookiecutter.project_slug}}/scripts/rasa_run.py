"""`rasa ARGS`, with `--auth-token` taken from $RASA_AUTH_TOKEN for `rasa run`.

With $WEB_ALLOWED_ORIGINS set, it adds `--cors` with those sites (the chat widget's hosts). The
token is added inside this process, so it never appears in a process list (`ps` shows every
process's arguments to every user of the host). Docker Compose, Kubernetes and the Makefile start
Rasa this way. With $RASA_HOST set, the server listens there only, on Rasa 2.8 too (its `rasa run`
has no --interface option). The `socketio` channel is the bot's own: scripts/socketio_channel.py
works with every python-socketio 5.x. So are `telegram`, `twilio`, `rocketchat`, `mattermost` and
`botframework` when the bot has scripts/secure_channels.py: they refuse webhooks the platform did not sign.
Under `make dev` on Rasa 3.x ($RASA_DEV_FINETUNE), POST /model/train can also fine-tune (scripts/finetune.py).
"""

import os
import sys

try:  # before Rasa: importing skops scans every loaded module, ~5 s once TensorFlow is in (light models)
    import skops.io  # noqa: F401
except ImportError:  # Rasa 2.8 has no skops
    pass
from rasa.__main__ import main
from socketio_channel import install

install()  # `socketio:` in credentials.yml: Rasa's channel, fixed for python-socketio >= 5.10
if os.path.isfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "secure_channels.py")):
    # A bot with a telegram, twilio, rocketchat, mattermost or botframework channel: Rasa's, refusing forged webhooks.
    from secure_channels import install as install_secure_channels

    install_secure_channels()

if os.environ.get("RASA_DEV_FINETUNE"):  # `make dev` on Rasa 3.x: POST /model/train may fine-tune
    from finetune import install as install_finetune

    install_finetune()
host = os.environ.get("RASA_HOST")
if host:
    import sanic

    run = sanic.Sanic.run
    sanic.Sanic.run = lambda app, *args, **kwargs: run(app, *args, **{**kwargs, "host": host})
args = sys.argv[1:]
token = os.environ.get("RASA_AUTH_TOKEN", "")
serving = args[:1] == ["run"] and args[1:2] != ["actions"]
if serving and token and "--auth-token" not in args:
    args += ["--auth-token", token]
# The sites that embed the chat widget (WEB_ALLOWED_ORIGINS, spaces or commas): Rasa's CORS allows
# them and no other. Never "*": any site could then talk to the bot in its visitors' browsers.
origins = os.environ.get("WEB_ALLOWED_ORIGINS", "").replace(",", " ").split()
if "*" in origins:
    sys.exit("rasa_run.py: WEB_ALLOWED_ORIGINS may not contain '*': list the sites (https://www.example.com)")
if serving and origins and "--cors" not in args:
    args += ["--cors", *(origin.rstrip("/") for origin in origins)]
sys.argv = ["rasa", *args]
main()

"""Finish the rendered bot: leave out what the answers did not ask for, write the answers and
the secrets, then run the bot checker.

Runs inside the new bot; the answers were validated before anything was written
(rasa_template/answers.py). Rendering over an existing bot (`cookiecutter -f`) never deletes a file
the template did not render. Jinja appears only inside `tojson` below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})
BOT = Path.cwd()
sys.dont_write_bytecode = True  # leave no __pycache__ in the new bot
sys.path[:0] = [ANSWERS["_template_dir"], str(BOT / "scripts")]

import check_bot  # noqa: E402  (the bot's own checker)
import generate_env  # noqa: E402
from rasa_template import markdown_data, rendered  # noqa: E402
from rasa_template.answers import PINS, default_answers, public_answers, with_derived  # noqa: E402


def previous_answers() -> dict | None:
    """The answers of the bot this render overwrote (cookiecutter -f), or None for a new bot. A
    prompt added since that bot was made gets its default, which is how that bot behaves."""
    try:
        previous = json.loads((BOT / ".cookiecutter.json").read_text(encoding="utf-8"))["cookiecutter"]
        return with_derived({**default_answers(), **previous})
    except (OSError, ValueError, KeyError, TypeError):
        return None


PREVIOUS = previous_answers()  # read before write_answers() replaces the file
CLUSTER = "deploy/kubernetes/base"


def unselected(answers: dict) -> list[str]:
    """What the answers did not ask for: files and folders of the template, relative to the bot."""
    paths = []
    if not answers["custom_actions"]:
        paths += ["actions", "Dockerfile", "tests/test_actions.py"]
        paths += [f"{CLUSTER}/action-server-deployment.yaml", f"{CLUSTER}/action-server-service.yaml"]
    if answers["tracker_store"] != "custom":
        paths.append("addons")
    if answers["tracker_store"] == "redis":  # the tracker store's Redis holds the locks too
        paths += [f"{CLUSTER}/lock-redis-deployment.yaml", f"{CLUSTER}/lock-redis-service.yaml"]
    if answers["starter_skill"] != "form" or not answers["custom_actions"]:
        paths += ["actions/forms.py", "tests/test_forms.py"]
    if not answers["duckling"]:
        paths += [f"{CLUSTER}/duckling-deployment.yaml", f"{CLUSTER}/duckling-service.yaml"]
    if answers["event_broker"] != "rabbitmq":
        paths += ["scripts/events_consumer.py"]
        paths += [f"{CLUSTER}/rabbitmq-statefulset.yaml", f"{CLUSTER}/rabbitmq-service.yaml"]
    if not answers["kubernetes"]:
        paths.append("deploy")
    if not answers["web_chat"]:  # web/nginx.conf and tls.conf stay: the edge for the webhooks and HTTPS
        paths += [f"web/{page}" for page in ("index.html", "widget.js", "widget.css", "vendor", "allowed-origins.sh")]
        paths += [f"{CLUSTER}/web-deployment.yaml", f"{CLUSTER}/web-service.yaml"]
        paths += ["deploy/kubernetes/web.Dockerfile", "deploy/kubernetes/overlays/production/web-ingress.yaml"]
    if not answers["secured_channels"]:
        paths.append("scripts/secure_channels.py")
    if "telegram" not in answers["channel_list"]:
        paths.append("scripts/telegram_webhook.py")
    other_lines = [line for line in PINS["rasa_lines"] if line != answers["rasa_version"]]
    return paths + [f"requirements/rasa-{line}.lock" for line in other_lines]


def write_training_data_format(answers: dict) -> None:
    """The template's training data is YAML; the 2.8 line gets it as Markdown (the walkthrough's)."""
    if answers["data_format"] != "markdown":
        return
    try:
        markdown_data.convert(BOT)
    except markdown_data.MarkdownError as error:  # e.g. a fork's stories with slots
        sys.exit(
            f"ERROR: the training data cannot be written as Rasa 2.x Markdown: {error}\n"
            "Answer rasa_version=3.6 (YAML), or keep such stories out of the template."
        )


def write_answers(answers: dict) -> None:
    """.cookiecutter.json: the answers, in cookiecutter's replay format."""
    text = json.dumps({"cookiecutter": public_answers(answers)}, indent=2, ensure_ascii=False)
    (BOT / ".cookiecutter.json").write_text(text + "\n", encoding="utf-8")


def fail_on_errors() -> None:
    problems = check_bot.errors(check_bot.check_bot(BOT))
    if not problems:
        return
    if PREVIOUS is not None:
        print(
            "ERROR: the bot fails its check after rendering again over it. cookiecutter -f rewrote the "
            "template's files with the template's version and kept every other file, so your changes to "
            "template files (domain.yml, data/nlu.yml, ...) are replaced. Fix the problems below, or bring "
            "your versions back from git (`git diff`, `git checkout -p`):",
            file=sys.stderr,
        )
    else:
        print("ERROR: the rendered bot is inconsistent (a template bug, please report it):", file=sys.stderr)
    print("\n".join(str(problem) for problem in problems), file=sys.stderr)
    sys.exit(1)


def main() -> None:
    removed, kept = rendered.remove(BOT, unselected(ANSWERS), ANSWERS)
    if PREVIOUS is not None:
        dropped = [path for path in unselected(ANSWERS) if path not in unselected(PREVIOUS)]
        removed = [name for name in removed if any(name == p or name.startswith(f"{p}/") for p in dropped)]
        if removed:
            print(f"Removed what your answers no longer ask for: {', '.join(removed)}")
    if kept:
        print(f"Kept your own files in what your answers leave out: {', '.join(kept)}")
    write_training_data_format(ANSWERS)
    write_answers(ANSWERS)
    added = generate_env.write_env(BOT)
    if PREVIOUS is not None and added:
        print(f"Added to .env (existing values kept): {', '.join(added)}")
    fail_on_errors()


if __name__ == "__main__":
    main()

"""Finish the rendered bot: drop what the answers did not ask for, write the answers and fresh
secrets, then run the bot checker. A failure here makes cookiecutter delete the output.

Runs inside the new project folder. Jinja appears only inside `tojson` below.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

BOT = Path.cwd()
sys.dont_write_bytecode = True  # leave no __pycache__ in the new bot
sys.path.insert(0, str(BOT / "scripts"))

import check_bot  # noqa: E402  (the rendered bot's own checker)
import generate_env  # noqa: E402
import markdown_data  # noqa: E402  (template-time only: deleted below)


def rendered_answers() -> dict:
    """The user's answers, injected by cookiecutter as a JSON string."""
    return json.loads({{ cookiecutter | tojson | tojson }})


def remove(*relative_paths: str) -> None:
    for relative in relative_paths:
        path = BOT / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


CLUSTER = "deploy/kubernetes/base"


def remove_unselected_files(answers: dict) -> None:
    if not answers["custom_actions"]:
        remove("actions", "Dockerfile", "tests/test_actions.py")
        remove(f"{CLUSTER}/action-server-deployment.yaml", f"{CLUSTER}/action-server-service.yaml")
    if answers["tracker_store"] != "custom":
        remove("addons")
    if answers["tracker_store"] == "redis":  # the tracker store's Redis holds the locks too
        remove(f"{CLUSTER}/lock-redis-deployment.yaml", f"{CLUSTER}/lock-redis-service.yaml")
    if not answers["kubernetes"]:
        remove("deploy")
    if not answers["web_chat"]:
        remove("web", f"{CLUSTER}/web-deployment.yaml", f"{CLUSTER}/web-service.yaml")
        remove("deploy/kubernetes/web.Dockerfile", "deploy/kubernetes/overlays/production/web-ingress.yaml")
    for lock in (BOT / "requirements").glob("rasa-*.lock"):
        if lock.name != f"rasa-{answers['rasa_version']}.lock":
            lock.unlink()


def write_training_data_format(answers: dict) -> None:
    """The template's training data is YAML; the 2.8 line gets it as Markdown (the walkthrough's)."""
    line = answers["_pins"]["rasa_lines"][answers["rasa_version"]]
    if line["data_format"] == "markdown":
        try:
            markdown_data.convert(BOT)
        except markdown_data.MarkdownError as error:  # e.g. a fork's stories with slots
            print(f"ERROR: the training data cannot be written as Rasa 2.x Markdown: {error}", file=sys.stderr)
            print("Answer rasa_version=3.6 (YAML), or keep such stories out of the template.", file=sys.stderr)
            sys.exit(1)
    remove("scripts/markdown_data.py")


def write_answers(answers: dict) -> None:
    """.cookiecutter.json: the public answers, in cookiecutter's replay format."""
    public = {key: value for key, value in answers.items() if not key.startswith("_")}
    text = json.dumps({"cookiecutter": public}, indent=2, ensure_ascii=False)
    (BOT / ".cookiecutter.json").write_text(text + "\n", encoding="utf-8")


def write_secrets() -> None:
    """Fresh random secrets in .env. Rendering again over an existing bot (`cookiecutter -f`)
    keeps its .env: the databases in its volumes were created with those passwords."""
    if (BOT / ".env").exists():
        print(f"Kept the existing {BOT / '.env'} (delete it and run `make .env` for new secrets).")
        return
    generate_env.write_env(BOT)


def fail_on_problems() -> None:
    problems = check_bot.check_bot(BOT)
    if problems:
        print("ERROR: the rendered bot is inconsistent (a template bug, please report it):", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        sys.exit(1)


def main() -> None:
    answers = rendered_answers()
    remove_unselected_files(answers)
    write_training_data_format(answers)
    write_answers(answers)
    write_secrets()
    fail_on_problems()


if __name__ == "__main__":
    main()

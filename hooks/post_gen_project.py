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

ANSWERS = json.loads({{ cookiecutter | tojson | tojson }})
BOT = Path.cwd()
sys.dont_write_bytecode = True  # leave no __pycache__ in the new bot
sys.path[:0] = [ANSWERS["_template_dir"], str(BOT / "scripts")]

import check_bot  # noqa: E402  (the bot's own checker)
import generate_env  # noqa: E402
from rasa_template import markdown_data, rendered  # noqa: E402
from rasa_template.answers import public_answers  # noqa: E402

# Set before this hook writes it: the folder was a bot already, rendered again with -f.
RENDERED_AGAIN = (BOT / ".cookiecutter.json").exists()
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
    if not answers["kubernetes"]:
        paths.append("deploy")
    other_lines = [line for line in answers["_pins"]["rasa_lines"] if line != answers["rasa_version"]]
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
    problems = [problem for problem in check_bot.check_bot(BOT) if problem.level == "error"]
    if not problems:
        return
    if RENDERED_AGAIN:
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
    if RENDERED_AGAIN and removed:
        print(f"Removed what your answers no longer ask for: {', '.join(removed)}")
    if kept:
        print(f"Kept your own files there: {', '.join(kept)}")
    write_training_data_format(ANSWERS)
    write_answers(ANSWERS)
    added = generate_env.write_env(BOT)
    if RENDERED_AGAIN and added:
        print(f"Added to .env (existing values kept): {', '.join(added)}")
    fail_on_errors()


if __name__ == "__main__":
    main()

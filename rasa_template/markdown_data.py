"""Write the bot's YAML training data as Rasa 2.x Markdown, the walkthrough's format.

The template keeps ONE copy of the training data, in YAML (data/nlu.yml, data/stories.yml,
tests/test_stories.yml). For rasa_version=2.8 the post-generation hook calls `convert(bot_dir)`,
which replaces those three files with data/nlu.md, data/stories.md and tests/test_stories.md:

    ## intent:greet              ## happy path               ## happy path (end-to-end test)
    - hello                      * greet                     * greet: hello
                                   - utter_greet               - utter_greet

Rules stay in data/rules.yml: Rasa 2.x reads rules in YAML only. Anything this writer cannot
express in Markdown (slots, forms, checkpoints, OR steps) raises MarkdownError instead of
being dropped. Needs only PyYAML (cookiecutter brings it); it runs at render time and never
ships in a bot.
"""

from __future__ import annotations

from pathlib import Path

import yaml

import bot_files  # the bot's scripts/bot_files.py: the hook and the tests put scripts/ on sys.path

NLU_SECTIONS = ("intent", "synonym", "regex", "lookup")  # `## <kind>:<name>` in Markdown
# (YAML file, Markdown file, header) converted for the 2.x line.
CONVERTED = (
    ("data/nlu.yml", "data/nlu.md", "Examples of what users say: ## intent:<name>, then one - example per line."),
    ("data/stories.yml", "data/stories.md",
     "Example conversations: each `* intent` line is followed by the bot's `  - action` lines."),
    ("tests/test_stories.yml", "tests/test_stories.md",
     "End-to-end test stories (* intent: user text): `make test-stories` replays them with --e2e."),
)  # fmt: skip


class MarkdownError(ValueError):
    """The YAML holds something Rasa's Markdown format cannot say."""


def nlu_markdown(content: dict) -> str:
    sections = []
    for item in content.get("nlu") or []:
        kind = next((k for k in NLU_SECTIONS if k in item), None)
        if kind is None:
            raise MarkdownError(f"NLU item {item!r} has none of {NLU_SECTIONS}")
        lines = [
            f"## {kind}:{item[kind]}",
            *(f"- {example}" for example in bot_files.split_examples(item.get("examples"))),
        ]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _step(step: dict, story: str) -> str:
    if set(step) - {"intent", "user", "action"}:
        raise MarkdownError(f"story {story!r}: step {step!r} has keys Markdown stories cannot hold here")
    if "action" in step:
        return f"  - {step['action']}"
    if "intent" not in step:
        raise MarkdownError(f"story {story!r}: step {step!r} has neither intent nor action")
    user = " ".join(str(step.get("user") or "").split())
    return f"* {step['intent']}: {user}" if user else f"* {step['intent']}"


def stories_markdown(content: dict) -> str:
    if content.get("rules"):
        raise MarkdownError("rules have no Markdown form in Rasa 2.x: keep them in a YAML file")
    sections = []
    for story in content.get("stories") or []:
        name = story["story"]
        sections.append("\n".join([f"## {name}", *(_step(step, name) for step in story.get("steps") or [])]))
    return "\n\n".join(sections)


def convert(bot_dir: Path) -> list[Path]:
    """Replace the bot's YAML NLU data, stories and test stories by Markdown; return the new files."""
    written = []
    for yaml_name, markdown_name, header in CONVERTED:
        source = Path(bot_dir) / yaml_name
        content = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        body = nlu_markdown(content) if "nlu" in content else stories_markdown(content)
        target = Path(bot_dir) / markdown_name
        target.write_text(f"<!-- {header} -->\n\n{body}\n", encoding="utf-8")
        source.unlink()
        written.append(target)
    return written

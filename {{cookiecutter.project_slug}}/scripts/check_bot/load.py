"""Loading the bot: domain, training data (YAML and Rasa 2.x Markdown), config, endpoints,
credentials and the Compose file, each read once (readers.Reader)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import bot_files

from .core import Problem, define
from .model import Bot, Story
from .readers import line_of, type_name

define("F008", "a top-level key has a value of the wrong type (a list where a mapping belongs, ...)")
define("F009", "a file the bot needs is missing (domain, config, Compose file)")
define("F010", "a domain list has an entry that is not a name")
define("F011", "an intent's examples are neither a text block nor a list")

SHAPES = {  # key -> (type, how to write it)
    "intents": (list, "a list, one '- intent_name' line per intent"),
    "entities": (list, "a list, one '- entity_name' line per entity"),
    "actions": (list, "a list, one '- action_name' line per action"),
    "slots": (dict, "a mapping of slot names to their settings (type, mappings)"),
    "responses": (dict, "a mapping of utter_ names to lists of '- text: ...' variations"),
    "forms": (dict, "a mapping of form names to their required_slots"),
    "nlu": (list, "a list of '- intent: name' blocks with 'examples: |'"),
    "stories": (list, "a list of '- story: name' blocks with 'steps:'"),
    "rules": (list, "a list of '- rule: name' blocks with 'steps:'"),
    "pipeline": (list, "a list of '- name: Component' entries"),
    "policies": (list, "a list of '- name: Policy' entries"),
    "services": (dict, "a mapping of service names to their settings"),
}
DOMAIN_KEYS = ("intents", "entities", "actions", "slots", "responses", "forms")
OTHER_FILES = (  # attribute, candidates, required
    ("config", ("config/config.yml", "config.yml"), True),
    ("endpoints", ("config/endpoints.yml", "endpoints.yml"), False),
    ("credentials", ("config/credentials.yml", "credentials.yml"), False),
    ("compose", ("docker-compose.yml", "compose.yml", "compose.yaml", "docker-compose.yaml"), True),
)


def check_shapes(bot: Bot, file: str, data: dict, keys: Iterable[str]) -> None:
    """Report keys whose value has the wrong type, and drop them."""
    for key in keys:
        kind, how = SHAPES[key]
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            what = f"'{key}' must be {how}, not {type_name(value)}"
            bot.problems.append(Problem("F008", file, line_of(data, key), what, f"write '{key}:' as {how}"))
            data[key] = None


def story_from_steps(name: str, file: str, item: dict) -> Story:
    story = Story(name=name, file=file, line=line_of(item))
    condition, steps = item.get("condition"), item.get("steps")
    for step in (condition if isinstance(condition, list) else []) + (steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        for alternative in step.get("or") if isinstance(step.get("or"), list) else [step]:
            if isinstance(alternative, dict):
                add_step(story, alternative)
    return story


def add_step(story: Story, step: dict) -> None:
    for key, kind in (("intent", "intents"), ("action", "actions"), ("active_loop", "loops")):
        if step.get(key):
            story.add(kind, str(step[key]), line_of(step, key))
    for key, kind in (("slot_was_set", "slots"), ("entities", "entities")):
        for name in step_names(step.get(key)):
            story.add(kind, name, line_of(step, key))


def step_names(value: object) -> list:
    """Names in a slot_was_set / entities step: `[name]`, `[{name: value}]`, `{name: value}`, `[{entity: name}]`."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [
        str(i.get("entity", next(iter(i)))) if isinstance(i, dict) else str(i) for i in items if i not in (None, {})
    ]


def add_training_data(bot: Bot, file: str, content: dict) -> None:
    check_shapes(bot, file, content, ("nlu", "stories", "rules", "responses"))
    for item in content.get("nlu") or []:
        if isinstance(item, dict) and item.get("intent"):
            add_examples(bot, file, item)
        elif isinstance(item, dict) and (item.get("lookup") or item.get("regex")):
            bot.patterns.add(str(item.get("lookup") or item.get("regex")))
    for name in content.get("responses") or {}:
        bot.responses.setdefault(str(name), file)
    for key in ("stories", "rules"):
        for item in content.get(key) or []:
            if isinstance(item, dict):
                name = item.get("story") or item.get("rule") or "?"
                bot.stories.append(story_from_steps(str(name), file, item))


def add_examples(bot: Bot, file: str, item: dict) -> None:
    intent = str(item["intent"])
    examples = item.get("examples")
    if examples is not None and not isinstance(examples, (str, list)):
        what = f"examples of '{intent}' must be a text block or a list, not {type_name(examples)}"
        fix = "write 'examples: |' followed by one '- example' line each"
        bot.problems.append(Problem("F011", file, line_of(item, "examples"), what, fix))
        return
    bot.examples.setdefault(intent, []).extend(bot_files.split_examples(examples))
    bot.example_files.setdefault(intent, file)
    bot.example_lines.setdefault(intent, line_of(item) or 0)


def add_markdown_data(bot: Bot, file: str, text: str) -> None:
    """Rasa 1.x/2.x Markdown (bot_files.read_markdown), into the same model as YAML."""
    data = bot_files.read_markdown(text)
    bot.markdown_files[file] = data.kind
    bot.patterns |= data.patterns
    for intent, examples in data.examples.items():
        bot.examples.setdefault(intent, []).extend(examples)
        bot.example_files.setdefault(intent, file)
        bot.example_lines.setdefault(intent, data.intent_lines[intent])
    for markdown in data.stories:
        story = Story(name=markdown.name, file=file, line=markdown.line)
        for intent, line in markdown.intents:
            story.add("intents", intent, line)
        for action, line in markdown.actions:
            story.add("actions", action, line)
        bot.stories.append(story)


def load_domain(bot: Bot) -> None:
    """domain.yml, or every YAML file of a domain/ folder merged (bot_files.merge_domain)."""
    bot.domain_file, paths = bot_files.domain_paths(bot.root)
    if not paths:
        what, fix = "is missing", "run the checker in the bot's root folder, or create domain.yml with its intents"
        bot.problems.append(Problem("F009", "domain.yml", None, what, fix))
        return
    parts = []
    for path in paths:
        content = bot.reader.mapping(path, empty_is_error=len(paths) == 1)
        if content is None:
            continue
        file = bot.rel(path)
        check_shapes(bot, file, content, DOMAIN_KEYS)
        remember_places(bot, file, content)
        for name in content.get("responses") or content.get("templates") or {}:
            bot.responses.setdefault(str(name), file)
        if "version" in content:
            bot.format_versions[file] = str(content["version"])
            bot.version_lines[file] = line_of(content, "version")
        parts.append(content)
    bot.domain = bot_files.merge_domain(parts)
    check_domain_entries(bot)


def remember_places(bot: Bot, file: str, content: dict) -> None:
    """Where each domain key and entry is (the first file wins, as in the merge)."""
    for key, value in content.items():
        bot.domain_where.setdefault((str(key), ""), (file, line_of(content, key)))
        entries = (
            enumerate(value) if isinstance(value, list) else ((k, k) for k in value) if isinstance(value, dict) else ()
        )
        for index, item in entries:
            name = bot_files.entry_name(item) if isinstance(value, list) else index
            if isinstance(name, (str, int, float, bool)):
                bot.domain_where.setdefault((str(key), str(name)), (file, line_of(value, index)))


def check_domain_entries(bot: Bot) -> None:
    for key in ("intents", "entities", "actions"):
        for item in bot.domain.get(key) or []:
            if not isinstance(item, (str, dict)) or (isinstance(item, dict) and len(item) != 1):
                file, line = bot.where(key)
                what = f"'{key}' has an entry that is not a name: {type_name(item)}"
                fix = f"write each entry of '{key}:' as '- name' (or '- name:' followed by its settings)"
                bot.problems.append(Problem("F010", file, line, what, fix))


def load_data(bot: Bot) -> None:
    """data/ (training data) and tests/ (test stories): YAML and Rasa 2.x Markdown."""
    for folder in ("data", "tests"):
        for path in bot_files.project_files(bot.root / folder, bot_files.YAML_SUFFIXES):
            if folder == "tests" and not path.name.startswith("test_"):
                continue  # Rasa reads test stories only from files named test_*
            content = bot.reader.mapping(path)
            if content is None:
                continue
            add_training_data(bot, bot.rel(path), content)
            bot.data_files[bot.rel(path)] = content
            if "version" in content:
                bot.format_versions[bot.rel(path)] = str(content["version"])
                bot.version_lines[bot.rel(path)] = line_of(content, "version")
        for path in bot_files.project_files(bot.root / folder, (".md",)):
            if path.stem.upper().startswith("README"):
                continue
            text = bot.reader.text(path)
            if text is not None and bot_files.is_markdown_training_data(path, text):
                add_markdown_data(bot, bot.rel(path), text)


def load_other(bot: Bot, attribute: str, candidates: tuple, required: bool) -> None:
    path: Path | None = bot.first_existing(*candidates)
    if path is None:
        if required:
            fix = f"create {candidates[0]} (see the Rasa docs), or restore it from git"
            bot.problems.append(Problem("F009", candidates[0], None, "is missing", fix))
        return
    bot.files[attribute] = bot.rel(path)
    content = bot.reader.mapping(path, empty_is_error=attribute == "config")
    if content is not None:
        keys = {"config": ("pipeline", "policies"), "compose": ("services",)}.get(attribute, ())
        check_shapes(bot, bot.rel(path), content, keys)
        setattr(bot, attribute, content)


def load_bot(root: Path) -> Bot:
    bot = Bot(root=Path(root))
    load_domain(bot)
    load_data(bot)
    for attribute, candidates, required in OTHER_FILES:
        load_other(bot, attribute, candidates, required)
    return bot

#!/usr/bin/env python3
"""Check that a Rasa bot's files agree with each other, without Rasa installed.

Catches what `rasa train` or `rasa run` would fail on late (or, worse, accept silently): intents,
entities, slots, forms and actions used but not declared, `utter_` actions without a response,
custom actions with no implementation, endpoints pointing at services docker-compose.yml does not
run, a pipeline the Rasa image cannot run, versions that disagree. Each problem names the file,
what is wrong and how to fix it.

Two levels. An *error* means the bot will fail to train, fail to start or behave wrongly: the
check fails. A *warning* is advice (few NLU examples, an unused service): printed, and the check
still passes, unless you ask for --strict.

    python3 scripts/check_bot.py [--strict] [BOT_DIR]   # exit 0: no errors, 1: errors, 2: bad usage

It reads only the files Rasa and Docker Compose read: the domain (domain.yml or a domain/ folder),
data/ and tests/, config.yml, endpoints.yml, credentials.yml, the compose file, the Dockerfiles
it builds, actions/, and web/ when there is one. Needs only the standard library and PyYAML.
The cookiecutter template runs this same module after rendering a bot; `make check` runs it on
your edits.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple
from urllib.parse import urlparse

try:
    import yaml
except ImportError:  # pragma: no cover - exercised by hand only
    sys.exit("check_bot.py needs PyYAML: pip install pyyaml (it comes with cookiecutter and Rasa).")

# ----------------------------------------------------------------------------------------------
# What Rasa has built in, and the tables the checks use
# ----------------------------------------------------------------------------------------------
# Intents, actions and slots every Rasa 2.x/3.x bot has without declaring them.
BUILTIN_INTENTS = {"restart", "back", "out_of_scope", "session_start", "nlu_fallback"}
BUILTIN_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_send_text",
    "action_extract_slots",
    "action_validate_slot_mappings",
    "...",  # the rule snippet action
}
BUILTIN_SLOTS = {
    "requested_slot",
    "session_started_metadata",
    "knowledge_base_listed_objects",
    "knowledge_base_last_object",
    "knowledge_base_last_object_type",
}
# Intents sent from outside (trigger_intent, reminders) need no NLU examples; Rasa's docs name them so.
EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
# SDK base classes whose name() a custom action may inherit.
SDK_ACTION_NAMES = {
    "ActionQueryKnowledgeBase": "action_query_knowledge_base",
    "ValidationAction": "action_validate_slot_mappings",
}
# The walkthrough's smallest intent (goodbye) has four examples; fewer rarely generalises (advice).
MIN_EXAMPLES_PER_INTENT = 4
# Database images whose service an endpoint should use, by image name.
DATABASE_IMAGES = {"postgres", "redis", "mongo"}
# Training-data format version each Rasa major reads without a warning (the template's
# `_pins.rasa_lines.*.schema_version`; a test keeps the two equal).
FORMAT_VERSIONS = {"2": "2.0", "3": "3.1"}
# Pipeline components that need a Python package the default rasa/rasa image lacks:
# component name prefix -> (package, rasa/rasa tag suffixes that have it).
PIPELINE_EXTRAS = {
    "Spacy": ("spacy", ("-spacy-", "-full")),
    "Mitie": ("mitie", ("-mitie-", "-full")),
    "LanguageModel": ("transformers", ("-full",)),
    "HFTransformersNLP": ("transformers", ("-full",)),
    "ConveRT": ("tensorflow-text", ("-full",)),
    "Jieba": ("jieba", ("-full",)),
}
# Languages with an official spaCy image: language -> the model rasa/rasa:<version>-spacy-<language> ships.
SPACY_IMAGE_MODELS = {"en": "en_core_web_md", "de": "de_core_news_sm", "it": "it_core_news_md"}
DUCKLING_IMAGE = "rasa/duckling:0.2.0.2"
ISO_639_1 = set(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
    "io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
    "mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
    "se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu".split()
)
# YAML after alias expansion larger than this is refused (an "alias bomb" would hang or exhaust memory).
MAX_YAML_NODES = 5_000_000
SKIPPED_DIRS = {".git", ".venv", "venv", "models", "results", ".rasa", "state", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class Problem:
    file: str
    what: str
    fix: str
    level: str = "error"  # "error": the check fails; "warning": advice, printed

    def __str__(self) -> str:
        label = "warning: " if self.level == "warning" else ""
        return f"{self.file}: {label}{self.what}\n    fix: {self.fix}"


def warning(file: str, what: str, fix: str) -> Problem:
    return Problem(file, what, fix, "warning")


def errors(problems: Iterable[Problem]) -> List[Problem]:
    """The problems that must fail a check (the post-gen hook, `make check`, CI)."""
    return [problem for problem in problems if problem.level == "error"]


@dataclass
class Story:
    """A story, rule or test story, reduced to what the checks need."""

    name: str
    file: str
    intents: List[str] = field(default_factory=list)
    actions: List[str] = field(default_factory=list)
    slots: List[str] = field(default_factory=list)  # slot_was_set
    loops: List[str] = field(default_factory=list)  # active_loop (not null)
    entities: List[str] = field(default_factory=list)


@dataclass
class Bot:
    """Everything the checks read, loaded once. Unreadable files become problems, not exceptions."""

    root: Path
    domain: dict = field(default_factory=dict)  # the domain's files merged
    domain_file: str = "domain.yml"
    files: Dict[str, str] = field(default_factory=dict)  # config, endpoints, credentials, compose -> their file
    responses: Dict[str, str] = field(default_factory=dict)  # name -> file (domain and data files)
    examples: Dict[str, List[str]] = field(default_factory=dict)  # intent -> NLU examples
    example_files: Dict[str, str] = field(default_factory=dict)  # intent -> file it is in
    stories: List[Story] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    endpoints: dict = field(default_factory=dict)
    credentials: dict = field(default_factory=dict)
    compose: dict = field(default_factory=dict)
    markdown_files: Dict[str, str] = field(default_factory=dict)  # Rasa 2.x Markdown file -> nlu|core
    format_versions: Dict[str, str] = field(default_factory=dict)  # YAML file -> its `version:`
    problems: List[Problem] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def file(self, kind: str) -> str:
        """Where the bot keeps its config, endpoints, credentials or compose file."""
        default = {"compose": "docker-compose.yml"}.get(kind, f"config/{kind}.yml")
        return self.files.get(kind, default)

    def first_existing(self, *candidates: str) -> Optional[Path]:
        return next((self.root / c for c in candidates if (self.root / c).is_file()), None)

    def domain_names(self, key: str) -> Set[str]:
        """Names listed under a domain key, whether as `- name` or `- name: {settings}`."""
        value = self.domain.get(key) or []
        items = value if isinstance(value, list) else list(value)
        return {str(next(iter(i))) if isinstance(i, dict) else str(i) for i in items if i is not None and i != {}}

    @property
    def intents(self) -> Set[str]:
        return self.domain_names("intents")

    @property
    def entities(self) -> Set[str]:
        return self.domain_names("entities")

    @property
    def actions(self) -> Set[str]:
        return self.domain_names("actions")

    @property
    def slots(self) -> Dict[str, dict]:
        return {str(k): v if isinstance(v, dict) else {} for k, v in (self.domain.get("slots") or {}).items()}

    @property
    def forms(self) -> Dict[str, dict]:
        return {str(k): v if isinstance(v, dict) else {} for k, v in (self.domain.get("forms") or {}).items()}

    def has_response(self, action: str) -> bool:
        """utter_x has a response, or is a retrieval action (utter_chitchat with utter_chitchat/... responses)."""
        return action in self.responses or any(name.startswith(action + "/") for name in self.responses)


# ----------------------------------------------------------------------------------------------
# Reading files safely: text, bounded YAML, expected shapes
# ----------------------------------------------------------------------------------------------
class BoundedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml when present) that records duplicated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: List[Tuple[str, int]] = []

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        seen = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen and key.value != "<<":
                    self.duplicates.append((key.value, key.start_mark.line + 1))
                seen.add(key.value)
        return super().construct_mapping(node, deep)


def expanded_size(root: yaml.Node) -> int:
    """Node count of a YAML tree with every alias expanded, computed without expanding it
    (a depth-first walk that counts each shared node once; a recursive alias counts as infinite)."""
    sizes: Dict[int, int] = {}
    open_nodes: Set[int] = set()  # nodes whose children are being counted
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done and id(node) in open_nodes:
            return MAX_YAML_NODES + 1  # the node contains itself
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if children_done or not children:
            sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), MAX_YAML_NODES + 1)
            open_nodes.discard(id(node))
        else:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def read_text(bot: Bot, path: Path) -> Optional[str]:
    """The file as text, or None (and a problem) when it is not UTF-8 text."""
    try:
        data = path.read_bytes()
        if b"\0" in data:
            raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "contains NUL bytes")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        bot.problems.append(
            Problem(
                bot.rel(path),
                f"is not a UTF-8 text file ({error.reason if isinstance(error, UnicodeDecodeError) else error})",
                "save it as UTF-8 text, or move it out of the bot if it is not one of its files",
            )
        )
        return None


def read_yaml(bot: Bot, path: Path, *, empty_is_error: bool = False) -> Optional[dict]:
    """A YAML file that must hold one mapping; None (and a problem) when it does not."""
    file = bot.rel(path)
    text = read_text(bot, path)
    if text is None:
        return None
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and expanded_size(node) > MAX_YAML_NODES:
            bot.problems.append(
                Problem(
                    file,
                    f"expands to more than {MAX_YAML_NODES:,} YAML nodes through anchors and aliases (&, *)",
                    "write the values out instead of nesting aliases",
                )
            )
            return None
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        bot.problems.append(
            Problem(
                file,
                f"is not valid YAML: {error}".replace("\n", " "),
                "fix the syntax at the line and column shown (indentation, quotes, colons)",
            )
        )
        return None
    except RecursionError:
        bot.problems.append(Problem(file, "is nested too deeply to read", "flatten the nesting"))
        return None
    finally:
        loader.dispose()
    for key, line in loader.duplicates:
        bot.problems.append(
            Problem(
                file, f"has the key '{key}' twice (line {line}); YAML keeps only the last one", "merge the two into one"
            )
        )
    if data is None:
        if empty_is_error:
            bot.problems.append(
                Problem(file, "is empty", f"write the bot's {path.stem} into it, or restore it from git")
            )
        return None
    if not isinstance(data, dict):
        bot.problems.append(
            Problem(
                file,
                f"must be a mapping of keys (like 'version:'), not {type_name(data)}",
                "start each top-level key at column 0, followed by a colon",
            )
        )
        return None
    return data


def type_name(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} ({shown})"


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


def check_shapes(bot: Bot, file: str, data: dict, keys: Iterable[str]) -> bool:
    """Report keys whose value has the wrong type (and drop them); True when all were right."""
    ok = True
    for key in keys:
        kind, how = SHAPES[key]
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            bot.problems.append(
                Problem(file, f"'{key}' must be {how}, not {type_name(value)}", f"write '{key}:' as {how}")
            )
            data[key] = None
            ok = False
    return ok


# ----------------------------------------------------------------------------------------------
# Loading the bot: domain, training data (YAML and Rasa 2.x Markdown), config, compose
# ----------------------------------------------------------------------------------------------
def project_files(folder: Path, suffixes: Set[str]) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.suffix in suffixes and path.is_file() and not set(path.relative_to(folder).parts[:-1]) & SKIPPED_DIRS:
            yield path


def step_names(value: object) -> List[str]:
    """Names in a slot_was_set / entities step: `[name]`, `[{name: value}]`, `{name: value}`, `[{entity: name}]`."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [
        str(i.get("entity", next(iter(i)))) if isinstance(i, dict) else str(i) for i in items if i not in (None, {})
    ]


def add_step(story: Story, step: dict) -> None:
    if step.get("intent"):
        story.intents.append(str(step["intent"]))
    if step.get("action"):
        story.actions.append(str(step["action"]))
    if step.get("active_loop"):
        story.loops.append(str(step["active_loop"]))
    story.slots.extend(step_names(step.get("slot_was_set")))
    story.entities.extend(step_names(step.get("entities")))


def story_from_steps(name: str, file: str, steps: object, condition: object = None) -> Story:
    story = Story(name=name, file=file)
    for step in (condition if isinstance(condition, list) else []) + (steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        for alternative in step.get("or") if isinstance(step.get("or"), list) else [step]:
            if isinstance(alternative, dict):
                add_step(story, alternative)
    return story


def split_examples(value: object) -> List[str]:
    """`examples: |` lines ("- text"), or the metadata form (a list of `- text: ...`)."""
    if isinstance(value, list):
        return [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in value]
    return [line.strip()[2:].strip() for line in str(value or "").splitlines() if line.strip().startswith("- ")]


def add_training_data(bot: Bot, path: Path, content: dict) -> None:
    file = bot.rel(path)
    check_shapes(bot, file, content, ("nlu", "stories", "rules", "responses"))
    for item in content.get("nlu") or []:
        if isinstance(item, dict) and item.get("intent"):
            intent = str(item["intent"])
            examples = item.get("examples")
            if examples is not None and not isinstance(examples, (str, list)):
                bot.problems.append(
                    Problem(
                        file,
                        f"examples of '{intent}' must be a text block or a list, not {type_name(examples)}",
                        "write 'examples: |' followed by one '- example' line each",
                    )
                )
                continue
            bot.examples.setdefault(intent, []).extend(split_examples(examples))
            bot.example_files.setdefault(intent, file)
    for name in content.get("responses") or {}:
        bot.responses.setdefault(str(name), file)
    for key in ("stories", "rules"):
        for item in content.get(key) or []:
            if isinstance(item, dict):
                name = item.get("story") or item.get("rule") or "?"
                bot.stories.append(story_from_steps(str(name), file, item.get("steps"), item.get("condition")))


NLU_SECTION = re.compile(r"^##\s*(intent|synonym|regex|lookup):", re.M)
MARKDOWN_STORY = re.compile(r"^##[^\n]*\n(?:[ \t]*\n)*[ \t]*\*\s", re.M)  # a heading, then `* intent`
MARKDOWN_EVENT = re.compile(r"^(slot|form|active_loop|reset_slots)\b")


def without_comments(text: str) -> str:
    """Markdown without its <!-- comments --> (as Rasa reads it), in linear time whatever the input."""
    parts, start = [], 0
    while True:
        opening = text.find("<!--", start)
        closing = text.find("-->", opening + 4) if opening >= 0 else -1
        if closing < 0:  # no comment left, or one that runs to the end
            parts.append(text[start:] if opening < 0 else text[start:opening])
            return "".join(parts)
        parts.append(text[start:opening])
        start = closing + 3


def is_markdown_training_data(path: Path, text: str) -> bool:
    """NLU sections or stories, as Rasa 2.x recognises them (a README is neither)."""
    text = without_comments(text)
    return not path.stem.upper().startswith("README") and bool(NLU_SECTION.search(text) or MARKDOWN_STORY.search(text))


def add_markdown_data(bot: Bot, path: Path, text: str) -> None:
    """Rasa 1.x/2.x Markdown, into the same model as YAML.

    NLU: `## intent:name` followed by `- example` lines (synonym/regex/lookup sections are read
    past). Stories (also end-to-end test stories): `## story name`, `* intent` (or
    `* intent{"entity": ...}`, `* intent: user text`, `* a OR b`), then `  - action` lines.
    """
    file = bot.rel(path)
    bot.markdown_files[file] = "core"
    story: Optional[Story] = None
    intent: Optional[str] = None
    for line in without_comments(text).splitlines():
        stripped = line.strip()
        if stripped.startswith("##"):
            kind, colon, name = stripped.lstrip("#").strip().partition(":")
            story = intent = None
            if colon and kind.strip() in {"intent", "synonym", "regex", "lookup"}:
                bot.markdown_files[file] = "nlu"
                if kind.strip() == "intent":
                    intent = name.strip()
                    bot.examples.setdefault(intent, [])
                    bot.example_files.setdefault(intent, file)
            else:
                story = Story(name=stripped.lstrip("#").strip(), file=file)
                bot.stories.append(story)
        elif intent and stripped.startswith("- "):
            bot.examples[intent].append(stripped[2:].strip())
        elif story is not None and stripped.startswith("* "):
            for alternative in re.split(r"\s+OR\s+", stripped[2:]):
                story.intents.append(re.split(r"[{:\s]", alternative.strip(), maxsplit=1)[0])
        elif story is not None and stripped.startswith("- ") and not MARKDOWN_EVENT.match(stripped[2:].strip()):
            story.actions.append(re.split(r"[{\s]", stripped[2:].strip(), maxsplit=1)[0])


def load_domain(bot: Bot) -> None:
    """domain.yml, or every YAML file of a domain/ folder merged (as Rasa merges them)."""
    folder = bot.root / "domain"
    if (bot.root / "domain.yml").is_file() or not folder.is_dir():
        paths = [bot.first_existing("domain.yml", "domain.yaml")]
    else:
        paths, bot.domain_file = list(project_files(folder, {".yml", ".yaml"})), "domain/"
    if not any(paths):
        bot.problems.append(
            Problem(
                "domain.yml",
                "is missing",
                "run the checker in the bot's root folder, "
                "or create domain.yml with its intents, responses and actions",
            )
        )
        return
    for path in paths:
        content = read_yaml(bot, path, empty_is_error=len(paths) == 1)
        if content is None:
            continue
        file = bot.rel(path)
        check_shapes(bot, file, content, ("intents", "entities", "actions", "slots", "responses", "forms"))
        for key, value in content.items():
            if isinstance(value, list):
                bot.domain.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                bot.domain.setdefault(key, {}).update(value)
            elif value is not None:
                bot.domain.setdefault(key, value)
        for name in content.get("responses") or content.get("templates") or {}:
            bot.responses.setdefault(str(name), file)
        if "version" in content:
            bot.format_versions[file] = str(content["version"])
    for key in ("intents", "entities", "actions"):
        for item in bot.domain.get(key) or []:
            if not isinstance(item, (str, dict)) or (isinstance(item, dict) and len(item) != 1):
                bot.problems.append(
                    Problem(
                        bot.domain_file,
                        f"'{key}' has an entry that is not a name: {type_name(item)}",
                        f"write each entry of '{key}:' as '- name' (or '- name:' followed by its settings)",
                    )
                )


def load_data(bot: Bot) -> None:
    """data/ (training data) and tests/ (test stories): YAML and Rasa 2.x Markdown."""
    for folder in ("data", "tests"):
        for path in project_files(bot.root / folder, {".yml", ".yaml"}):
            if folder == "tests" and not path.name.startswith("test_"):
                continue  # Rasa reads test stories only from files named test_*
            content = read_yaml(bot, path)
            if content is None:
                continue
            add_training_data(bot, path, content)
            if "version" in content:
                bot.format_versions[bot.rel(path)] = str(content["version"])
        for path in project_files(bot.root / folder, {".md"}):
            if path.stem.upper().startswith("README"):
                continue
            text = read_text(bot, path)
            if text is not None and is_markdown_training_data(path, text):
                add_markdown_data(bot, path, text)


def load_bot(root: Path) -> Bot:
    bot = Bot(root=Path(root))
    load_domain(bot)
    load_data(bot)
    for attribute, candidates, required in (
        ("config", ("config/config.yml", "config.yml"), True),
        ("endpoints", ("config/endpoints.yml", "endpoints.yml"), False),
        ("credentials", ("config/credentials.yml", "credentials.yml"), False),
        ("compose", ("docker-compose.yml", "compose.yml", "compose.yaml", "docker-compose.yaml"), True),
    ):
        path = bot.first_existing(*candidates)
        if path is None:
            if required:
                bot.problems.append(
                    Problem(
                        candidates[0],
                        "is missing",
                        f"create {candidates[0]} (see the Rasa docs), or restore it from git",
                    )
                )
            continue
        bot.files[attribute] = bot.rel(path)
        content = read_yaml(bot, path, empty_is_error=attribute == "config")
        if content is not None:
            check_shapes(
                bot,
                bot.rel(path),
                content,
                {"config": ("pipeline", "policies"), "compose": ("services",)}.get(attribute, ()),
            )
            setattr(bot, attribute, content)
    return bot


# ----------------------------------------------------------------------------------------------
# Checks on the domain and the training data: each yields Problems; add a new one to CHECKS.
# ----------------------------------------------------------------------------------------------
def base_intent(intent: str) -> str:
    """`chitchat/ask_name` (a retrieval intent's sub-intent) is declared as `chitchat`."""
    return intent.split("/")[0]


def check_intents(bot: Bot) -> Iterator[Problem]:
    declared = bot.intents | BUILTIN_INTENTS
    for story in bot.stories:
        for intent in dict.fromkeys(map(base_intent, story.intents)):
            if intent not in declared:
                yield Problem(
                    story.file,
                    f"'{story.name}' uses intent '{intent}', which {bot.domain_file} does not declare",
                    f"add '- {intent}' under 'intents:' in {bot.domain_file}, or fix the name",
                )
    counts: Dict[str, int] = {}
    for intent, examples in bot.examples.items():
        counts[base_intent(intent)] = counts.get(base_intent(intent), 0) + len(examples)
    for intent in sorted(bot.intents - BUILTIN_INTENTS):
        count = counts.get(intent, 0)
        if 0 < count < MIN_EXAMPLES_PER_INTENT:
            yield warning(
                bot.example_files.get(intent, "data/nlu.yml"),
                f"intent '{intent}' has only {count} NLU example(s); {MIN_EXAMPLES_PER_INTENT}+ generalise better",
                f"add more ways users say '{intent}' under '- intent: {intent}'",
            )
        elif count == 0 and not intent.startswith(EXTERNAL_INTENT_PREFIX):
            yield warning(
                bot.domain_file,
                f"intent '{intent}' has no NLU examples: only code can trigger it (trigger_intent, reminders)",
                f"add examples under '- intent: {intent}' (or name it {EXTERNAL_INTENT_PREFIX}{intent} if on purpose)",
            )
    for intent in sorted({base_intent(i) for i in bot.examples} - bot.intents - BUILTIN_INTENTS):
        file = next(f for i, f in bot.example_files.items() if base_intent(i) == intent)
        yield Problem(
            file,
            f"NLU examples for intent '{intent}', which {bot.domain_file} does not declare",
            f"add '- {intent}' under 'intents:' in {bot.domain_file}, or remove the examples",
        )
    owner: Dict[str, str] = {}
    for intent, examples in bot.examples.items():
        for example in examples:
            other = owner.setdefault(example, intent)
            if other != intent:
                yield warning(
                    bot.example_files[intent],
                    f"the example '{example[:60]}' is in both '{other}' and '{intent}'",
                    "keep it in one intent only",
                )


# `[text](entity)`, `[text](entity:value)`, `[text]{"entity": "x", "role": "y"}`, `[text][{...}, {...}]`
ENTITY_ANNOTATION = re.compile(r"\[[^\]]+?\](?:\((?P<name>[^:)]+)[^)]*\)|(?P<dict>\{[^}]+?\})|\[(?P<list>[^\]]*?)\])")


def annotated_entities(example: str) -> Iterator[str]:
    for match in ENTITY_ANNOTATION.finditer(example[:5000]):  # a bound: unclosed brackets cost O(length²)
        if match.group("name"):
            yield match.group("name").strip()
            continue
        try:
            parsed = json.loads(match.group("dict") or f"[{match.group('list')}]")
        except ValueError:
            continue
        for annotation in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(annotation, dict) and annotation.get("entity"):
                yield str(annotation["entity"])


def slot_mappings(bot: Bot) -> Iterator[Tuple[str, dict]]:
    """(slot, mapping) pairs: Rasa 3's `slots: x: mappings:` and Rasa 2's `forms: f: required_slots: x: [...]`."""
    for slot, settings in bot.slots.items():
        for mapping in settings.get("mappings") or []:
            if isinstance(mapping, dict):
                yield slot, mapping
    for form in bot.forms.values():
        required = form.get("required_slots")
        if isinstance(required, dict):
            for slot, mappings in required.items():
                for mapping in mappings if isinstance(mappings, list) else []:
                    if isinstance(mapping, dict):
                        yield str(slot), mapping


def check_entities(bot: Bot) -> Iterator[Problem]:
    declared = bot.entities

    def fix(entity: object) -> str:
        return f"add '- {entity}' under 'entities:' in {bot.domain_file}, or fix the name"

    seen = set()
    for intent, examples in bot.examples.items():
        for example in examples:
            for entity in annotated_entities(example):
                if entity not in declared and entity not in seen:
                    seen.add(entity)
                    yield Problem(
                        bot.example_files[intent],
                        f"an example of '{intent}' marks entity '{entity}', which {bot.domain_file} does not declare",
                        fix(entity),
                    )
    for story in bot.stories:
        for entity in dict.fromkeys(story.entities):
            if entity not in declared and entity not in seen:
                seen.add(entity)
                yield Problem(
                    story.file,
                    f"'{story.name}' uses entity '{entity}', which {bot.domain_file} does not declare",
                    fix(entity),
                )
    for slot, mapping in slot_mappings(bot):
        entity = mapping.get("entity")
        if mapping.get("type") == "from_entity" and entity and str(entity) not in declared:
            yield Problem(
                bot.domain_file,
                f"slot '{slot}' is filled from entity '{entity}', which is not declared under 'entities:'",
                fix(entity),
            )


def check_actions(bot: Bot) -> Iterator[Problem]:
    known = bot.actions | set(bot.forms) | BUILTIN_ACTIONS
    for story in bot.stories:
        for action in dict.fromkeys(story.actions):
            if action.startswith("utter_") and not bot.has_response(action):
                yield Problem(
                    story.file,
                    f"'{story.name}' uses '{action}', which has no response in {bot.domain_file}",
                    f"add a text for '{action}' under 'responses:' in {bot.domain_file}",
                )
            elif not action.startswith("utter_") and action not in known:
                yield Problem(
                    story.file,
                    f"'{story.name}' uses action '{action}', which {bot.domain_file} does not declare",
                    f"add '- {action}' under 'actions:' in {bot.domain_file} and implement it in actions/",
                )
    for action in sorted(a for a in bot.actions if a.startswith("utter_") and not bot.has_response(a)):
        yield Problem(
            bot.domain_file,
            f"action '{action}' is listed but has no response",
            f"add a text for '{action}' under 'responses:'",
        )
    if "templates" in bot.domain and not bot.domain.get("responses"):
        yield Problem(
            bot.domain_file,
            "uses the key 'templates:', which Rasa 2 and 3 ignore (the bot says nothing)",
            "rename 'templates:' to 'responses:'",
        )
    for name, variations in sorted((bot.domain.get("responses") or {}).items(), key=lambda item: str(item[0])):
        if not isinstance(variations, list):
            yield Problem(
                bot.domain_file,
                f"response '{name}' must be a list of variations, not {type_name(variations)}",
                f"write it as '{name}:' followed by '- text: ...' lines",
            )


def check_forms_and_slots(bot: Bot) -> Iterator[Problem]:
    """Forms ask for slots the domain defines; stories name real forms and slots."""
    slots, forms, asks = set(bot.slots) | BUILTIN_SLOTS, set(bot.forms), bot.actions | set(bot.responses)
    for form, settings in sorted(bot.forms.items()):
        required = settings.get("required_slots") or []
        for slot in map(str, required if isinstance(required, (list, dict)) else []):
            if slot not in slots:
                yield Problem(
                    bot.domain_file,
                    f"form '{form}' requires slot '{slot}', which is not defined under 'slots:'",
                    f"add '{slot}:' under 'slots:' with its type and mappings, or fix the name",
                )
            elif (
                not {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}", f"action_ask_{form}_{slot}", f"action_ask_{slot}"}
                & asks
            ):
                yield Problem(
                    bot.domain_file,
                    f"form '{form}' has no way to ask for slot '{slot}' (it would wait silently)",
                    f"add a response 'utter_ask_{slot}' under 'responses:' (or an action 'action_ask_{slot}')",
                )
    intents = bot.intents | BUILTIN_INTENTS
    for slot, mapping in slot_mappings(bot):
        for key in ("intent", "not_intent"):
            named = mapping.get(key)
            for intent in named if isinstance(named, list) else [named] if named else []:
                if str(intent) not in intents:
                    yield Problem(
                        bot.domain_file,
                        f"a mapping of slot '{slot}' names intent '{intent}', which is not declared under 'intents:'",
                        f"add '- {intent}' under 'intents:', or fix the name",
                    )
        for condition in mapping.get("conditions") or []:
            loop = condition.get("active_loop") if isinstance(condition, dict) else None
            if loop and str(loop) not in forms:
                yield Problem(
                    bot.domain_file,
                    f"a mapping of slot '{slot}' is conditioned on active_loop '{loop}', which is not a form",
                    f"add '{loop}:' under 'forms:', or use one of: {', '.join(sorted(forms)) or 'no forms yet'}",
                )
    for response, variations in sorted((bot.domain.get("responses") or {}).items(), key=lambda item: str(item[0])):
        for variation in variations if isinstance(variations, list) else []:
            conditions = variation.get("condition") if isinstance(variation, dict) else None
            for condition in conditions if isinstance(conditions, list) else []:
                name = condition.get("name") if isinstance(condition, dict) else None
                if name and str(name) not in slots:
                    yield Problem(
                        bot.domain_file,
                        f"a variation of '{response}' is conditioned on slot '{name}', which is not defined",
                        f"add '{name}:' under 'slots:', or fix the name in the condition",
                    )
    for story in bot.stories:
        for loop in dict.fromkeys(story.loops):
            if loop not in forms:
                yield Problem(
                    story.file,
                    f"'{story.name}' has active_loop '{loop}', which is not a form of {bot.domain_file}",
                    f"add '{loop}:' under 'forms:' in {bot.domain_file}, or fix the name",
                )
        for slot in dict.fromkeys(story.slots):
            if slot not in slots:
                yield Problem(
                    story.file,
                    f"'{story.name}' sets slot '{slot}', which {bot.domain_file} does not define",
                    f"add '{slot}:' under 'slots:' in {bot.domain_file}, or fix the name",
                )


# ----------------------------------------------------------------------------------------------
# Checks on custom actions (actions/ is read, never imported)
# ----------------------------------------------------------------------------------------------
def returned_name(function: ast.FunctionDef, constants: Dict[str, str]) -> Optional[str]:
    """What `def name(self)` returns: a string, or a module constant holding one; None otherwise."""
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
            if isinstance(node.value, ast.Name) and node.value.id in constants:
                return constants[node.value.id]
    return None


def implemented_actions(bot: Bot) -> Tuple[Dict[str, str], List[str]]:
    """({action name: file} of the classes in actions/, [classes whose name() cannot be read])."""
    paths = list(project_files(bot.root / "actions", {".py"})) + [p for p in [bot.root / "actions.py"] if p.is_file()]
    classes: Dict[str, Tuple[List[str], Optional[str], bool, str]] = {}  # class -> (bases, name, has name(), file)
    for path in paths:
        text = read_text(bot, path)
        try:
            tree = ast.parse(text or "", filename=str(path))
        except (SyntaxError, ValueError) as error:
            bot.problems.append(Problem(bot.rel(path), f"is not valid Python: {error}", "fix the syntax error"))
            continue
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [
                    b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                    for b in node.bases
                ]
                method = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "name"), None)
                name = returned_name(method, constants) if method else None
                classes[node.name] = (bases, name, method is not None, bot.rel(path))

    def resolve(class_name: str, depth: int = 0) -> Tuple[Optional[str], bool]:
        """(its action name, whether a name() exists that could not be read)."""
        if class_name in SDK_ACTION_NAMES and class_name not in classes:
            return SDK_ACTION_NAMES[class_name], False
        if class_name not in classes or depth > 20:
            return None, False
        bases, name, has_method, _ = classes[class_name]
        if has_method:
            return name, name is None
        for base in bases:
            inherited = resolve(base, depth + 1)
            if inherited != (None, False):
                return inherited
        return None, False

    found: Dict[str, str] = {}
    unreadable = []
    for class_name, (_, _, _, file) in classes.items():
        name, unknown = resolve(class_name)
        if name:
            found.setdefault(name, file)
        elif unknown:
            unreadable.append(f"{file}:{class_name}")
    return found, unreadable


def action_server_fix(bot: Bot) -> str:
    """The complete fix for custom actions without an action endpoint: the endpoint and the service."""
    endpoint = f"add 'action_endpoint:' with 'url: http://action_server:5055/webhook' to {bot.file('endpoints')}"
    if "action_server" in services(bot):
        return endpoint
    sdk = pinned(bot, "rasa-sdk") or "<your rasa-sdk version>"
    return (
        f"{endpoint}, and an 'action_server' service to docker-compose.yml with 'image: rasa/rasa-sdk:{sdk}' "
        "and 'volumes: [./actions:/app/actions]'"
    )


def custom_actions(bot: Bot) -> Set[str]:
    """Actions the action server runs: the domain's, minus responses and forms."""
    return {a for a in bot.actions if not a.startswith("utter_")} - set(bot.forms)


def check_custom_actions(bot: Bot) -> Iterator[Problem]:
    custom = custom_actions(bot)
    implemented, unreadable = implemented_actions(bot)
    has_code = (bot.root / "actions").is_dir() or (bot.root / "actions.py").is_file()
    for action in sorted(custom - set(implemented) if has_code else ()):  # else they live in another repository
        what = f"custom action '{action}' has no implementation in actions/"
        fix = f"add a class whose name() returns '{action}' in actions/actions.py, or remove it from the domain"
        if unreadable:  # a name() this checker cannot evaluate may well return it
            yield warning(bot.domain_file, f"{what} (that it can see: {', '.join(unreadable)} compute their name)", fix)
        else:
            yield Problem(bot.domain_file, what, fix)
    for action in sorted(set(implemented) - custom - {"action_validate_slot_mappings"}):
        yield Problem(
            implemented[action],
            f"implements action '{action}', which {bot.domain_file} does not list (Rasa never calls it)",
            f"add '- {action}' under 'actions:' in {bot.domain_file}, or delete the class",
        )
    if custom and not bot.endpoints.get("action_endpoint"):
        yield Problem(
            bot.file("endpoints"),
            "the domain has custom actions but there is no action_endpoint",
            action_server_fix(bot),
        )


# ----------------------------------------------------------------------------------------------
# Checks on the deployment: endpoints <-> Compose services <-> images <-> pins
# ----------------------------------------------------------------------------------------------
def url_host(url: str) -> Optional[str]:
    """The host of a URL or `host:port`; None when it comes from the environment (`${VAR}`)."""
    if "${" in url:
        return None
    return urlparse(url).hostname if "://" in url else url.split(":")[0]


def is_external(host: str) -> bool:
    """A DNS name or an IP address outside Compose (service names have no dots)."""
    return "." in host


def endpoint_hosts(bot: Bot) -> Dict[str, str]:
    """Host each network endpoint of endpoints.yml points at, by section name."""
    hosts = {}
    for section, settings in bot.endpoints.items():
        if isinstance(settings, dict) and settings.get("url"):
            host = url_host(str(settings["url"]))
            if host:
                hosts[section] = host
    return hosts


def services(bot: Bot) -> Dict[str, dict]:
    return {str(name): s for name, s in (bot.compose.get("services") or {}).items() if isinstance(s, dict)}


def dockerfile(bot: Bot, service: dict) -> Optional[Path]:
    """The Dockerfile a compose service builds, or None when it runs an image."""
    build = service.get("build")
    if not build:
        return None
    if isinstance(build, dict):
        return bot.root / str(build.get("context", ".")) / str(build.get("dockerfile", "Dockerfile"))
    return bot.root / str(build) / "Dockerfile"


def dockerfile_text(bot: Bot, service: dict) -> str:
    path = dockerfile(bot, service)
    return (read_text(bot, path) or "") if path is not None and path.is_file() else ""


def installs(dockerfile_source: str, package: str) -> bool:
    """The Dockerfile installs this package itself (`pip install ... package`, `spacy download`)."""
    lines = re.sub(r"\\\n", " ", dockerfile_source).splitlines()
    pattern = rf"^\s*RUN\b.*(\bpip3?\b.*\binstall\b.*\b{re.escape(package)}\b|\b{re.escape(package)} download\b)"
    return any(re.search(pattern, line) for line in lines)


def base_image(bot: Bot, service: dict) -> str:
    """The image a compose service runs, or the FROM of the Dockerfile it builds."""
    if dockerfile(bot, service) is not None:
        froms = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile_text(bot, service), re.M)
        return froms[-1] if froms else ""
    return str(service.get("image") or "")


def check_endpoints_match_compose(bot: Bot) -> Iterator[Problem]:
    running = services(bot)
    if not rasa_image(bot)[1]:
        return  # Rasa runs outside Compose (or from an image of its own): its hosts are not Compose's
    hosts = endpoint_hosts(bot)
    dangling = {section: host for section, host in hosts.items() if host not in running and not is_external(host)}
    for section, host in dangling.items():
        yield Problem(
            bot.file("endpoints"),
            f"{section} points at host '{host}', which docker-compose.yml does not run "
            f"(services: {', '.join(sorted(running))})",
            f"use one of those service names as the host, or add a '{host}' service to docker-compose.yml",
        )
    if dangling or custom_actions(bot) and not bot.endpoints.get("action_endpoint"):
        return  # the unused service is then most likely the one the wrong host meant: not "remove it"
    if any("${" in str(settings.get("url")) for settings in bot.endpoints.values() if isinstance(settings, dict)):
        return  # a host set by the environment may be any service
    used = set(hosts.values())
    for name, service in running.items():
        repository = base_image(bot, service).split(":")[0]
        if repository == "rasa/rasa-sdk" and name not in used:
            yield warning(
                "docker-compose.yml",
                f"service '{name}' runs an action server but no endpoint uses it",
                f"point action_endpoint at http://{name}:5055/webhook in {bot.file('endpoints')}, or remove it",
            )
        if repository.split("/")[-1] in DATABASE_IMAGES and name not in used:
            yield warning(
                "docker-compose.yml",
                f"service '{name}' runs a database but no endpoint uses it",
                f"point tracker_store at '{name}' in {bot.file('endpoints')}, or remove the service",
            )


def check_custom_tracker_store(bot: Bot) -> Iterator[Problem]:
    store = bot.endpoints.get("tracker_store")
    kind = str(store.get("type", "")) if isinstance(store, dict) else ""
    if "." not in kind:
        return
    module, _, class_name = kind.rpartition(".")
    path = bot.root / (module.replace(".", "/") + ".py")
    if not path.is_file():
        yield Problem(
            bot.file("endpoints"),
            f"tracker_store type '{kind}' needs {bot.rel(path)}, which is missing",
            "create that module, or fix the dotted path (module.path.ClassName)",
        )
    elif not re.search(rf"^\s*class\s+{re.escape(class_name)}\b", read_text(bot, path) or "", re.M):
        yield Problem(
            bot.rel(path),
            f"does not define class '{class_name}' named by tracker_store in {bot.file('endpoints')}",
            "define the class there, or fix the class name in endpoints.yml",
        )


def rasa_image(bot: Bot) -> Tuple[str, str, str, str]:
    """(service, image, file that sets the image, its Dockerfile's text) of the Rasa server, or empty."""
    for name, service in services(bot).items():
        image = base_image(bot, service)
        if image.split(":")[0] == "rasa/rasa":
            path = dockerfile(bot, service)
            return (
                name,
                image,
                bot.rel(path) if path is not None else "docker-compose.yml",
                dockerfile_text(bot, service),
            )
    return "", "", "", ""


def components(bot: Bot) -> List[dict]:
    return [c for c in bot.config.get("pipeline") or [] if isinstance(c, dict)]


def check_pipeline_image(bot: Bot) -> Iterator[Problem]:
    """The Rasa image has what the pipeline imports, and spaCy's image, model and language agree."""
    language = str(bot.config.get("language") or "en")
    if language not in ISO_639_1:
        yield Problem(
            bot.file("config"),
            f"language '{language}' is not an ISO 639-1 code",
            "use the two-letter code of the language (en, de, fr, es, it, ...)",
        )
    service, image, where, built = rasa_image(bot)
    if not image or "$" in image:
        return
    version, _, suffix = image.partition(":")[2].partition("-")
    tag = "-" + suffix
    context = f" (service '{service}', image {image})"
    names = [str(c.get("name", "")) for c in components(bot)]
    for prefix, (package, tags) in PIPELINE_EXTRAS.items():
        users = [n for n in names if n.startswith(prefix)]
        if users and not any(t in tag for t in tags) and not installs(built, package):
            wanted = f"rasa/rasa:{version}{tags[-1]}"
            if package == "spacy" and language in SPACY_IMAGE_MODELS:
                wanted = f"rasa/rasa:{version}-spacy-{language}"
            yield Problem(
                where,
                f"the pipeline uses {users[0]}, which needs {package}, but the image has no {package}{context}",
                f"use the image {wanted}, or install {package} in a Dockerfile FROM rasa/rasa:{version}",
            )
            return
    yield from check_spacy_model(bot, language, image, where, built)


def check_spacy_model(bot: Bot, language: str, image: str, where: str, built: str) -> Iterator[Problem]:
    """An official -spacy-<language> image has one model, for one language (SPACY_IMAGE_MODELS)."""
    spacy = next((c for c in components(bot) if c.get("name") == "SpacyNLP"), None)
    model = str((spacy or {}).get("model") or "")
    named = bool(model) and "/" not in model  # a package name, not a path to a model folder
    version, _, suffix = image.partition(":")[2].partition("-")
    if spacy is None or installs(built, "spacy"):
        return
    if suffix.startswith("spacy-"):
        image_language = suffix[len("spacy-") :]
        shipped = SPACY_IMAGE_MODELS.get(image_language)
        official = ", ".join(f"-spacy-{code}" for code in SPACY_IMAGE_MODELS)
        if language in SPACY_IMAGE_MODELS:
            fix = f"use the image rasa/rasa:{version}-spacy-{language} with model: {SPACY_IMAGE_MODELS[language]}"
        else:
            fix = f"install spacy and a '{language}' model in a Dockerfile FROM rasa/rasa:{version}"
        if shipped is None:
            yield Problem(where, f"there is no official image {image} (only {official})", fix)
            return
        if image_language != language:
            yield Problem(
                where, f"the image's spaCy language '{image_language}' is not the config's language '{language}'", fix
            )
            return
        if named and model != shipped:
            what = "does not match the image's language" if not model.startswith(f"{language}_") else "is not in it"
            yield Problem(
                bot.file("config"),
                f"SpacyNLP model '{model}' {what} ({image} ships {shipped})",
                f"use model: {shipped} under SpacyNLP, or install {model} in a Dockerfile",
            )
            return
    if named and not model.startswith(f"{language}_"):
        example = SPACY_IMAGE_MODELS.get(language, f"{language}_core_news_sm")
        yield Problem(
            bot.file("config"),
            f"SpacyNLP model '{model}' is not a model for the config's language '{language}'",
            f"use a '{language}' model under SpacyNLP, e.g. model: {example}",
        )


def check_duckling(bot: Bot) -> Iterator[Problem]:
    running = services(bot)
    for component in components(bot):
        host = url_host(str(component.get("url") or ""))
        if component.get("name") == "DucklingEntityExtractor" and host and rasa_image(bot)[1]:
            if host not in running and not is_external(host):
                yield Problem(
                    bot.file("config"),
                    f"DucklingEntityExtractor url points at host '{host}', which docker-compose.yml does not run",
                    f"add a 'duckling' service with 'image: {DUCKLING_IMAGE}' to docker-compose.yml "
                    "and use url: http://duckling:8000",
                )


def pinned(bot: Bot, package: str) -> str:
    path = bot.root / "requirements.txt"
    text = (read_text(bot, path) or "") if path.is_file() else ""
    found = re.search(rf"^{re.escape(package)}==(\S+)", text, re.M)
    return found.group(1) if found else ""


def check_versions(bot: Bot) -> Iterator[Problem]:
    images = {base_image(bot, s).split(":")[0]: base_image(bot, s) for s in services(bot).values()}
    for repository, package in (("rasa/rasa", "rasa"), ("rasa/rasa-sdk", "rasa-sdk")):
        version, image = pinned(bot, package), images.get(repository, "")
        image_version = image.partition(":")[2].split("-")[0]
        if version and image_version and "$" not in image and version != image_version:
            yield Problem(
                "requirements.txt",
                f"pins {package}=={version} but the Docker image is {image}",
                "use the same version in both (the local venv and the containers must agree)",
            )


def check_data_format(bot: Bot) -> Iterator[Problem]:
    """Markdown training data needs Rasa 2.x; each line reads its own YAML format version."""
    rasa_major = pinned(bot, "rasa").split(".")[0]
    if not rasa_major.isdigit():
        return
    if int(rasa_major) >= 3:
        for file, kind in bot.markdown_files.items():
            yield Problem(
                file,
                f"is Markdown training data, which Rasa {pinned(bot, 'rasa')} ignores (Markdown was removed in 3.0)",
                f"convert it with Rasa 2.8: rasa data convert {kind} -f yaml --data {file} --out {Path(file).parent}, "
                "then delete the .md file",
            )
    wanted = FORMAT_VERSIONS.get(rasa_major, f"{rasa_major}.x")
    for file, version in bot.format_versions.items():
        if version.split(".")[0] != rasa_major:
            yield Problem(
                file,
                f'declares version: "{version}", but requirements.txt pins rasa=={pinned(bot, "rasa")}',
                f'use the format version of Rasa {rasa_major}.x: version: "{wanted}"',
            )


def check_env_file(bot: Bot) -> Iterator[Problem]:
    env = bot.root / ".env"
    if env.is_file() and re.search(r"^[A-Za-z0-9_]+=change-me\s*$", read_text(bot, env) or "", re.M):
        yield Problem(
            ".env",
            "still has 'change-me' placeholder secrets",
            "delete .env and run `make .env` to generate random secrets",
        )


def check_web_chat(bot: Bot) -> Iterator[Problem]:
    """web/: a page that talks socket.io needs Rasa's socketio channel; nginx proxies to Compose services."""
    web = bot.root / "web"
    pages = list(project_files(web, {".html", ".js"}))
    page = next((p for p in pages if "socket.io" in (read_text(bot, p) or "")), None)
    if page is not None and "socketio" not in bot.credentials:
        yield Problem(
            bot.file("credentials"),
            f"{bot.rel(page)} connects over socket.io, but there is no socketio channel",
            "add 'socketio:' with 'user_message_evt: user_uttered' and 'bot_message_evt: bot_uttered' "
            f"to {bot.file('credentials')}",
        )
    nginx = web / "nginx.conf"
    text = (read_text(bot, nginx) or "") if nginx.is_file() else ""
    running = services(bot)
    upstreams = set(re.findall(r"^\s*upstream\s+(\S+)\s*\{", text, re.M))
    hosts = re.findall(r"^\s*proxy_pass\s+https?://([^:/;\s]+)", text, re.M)
    hosts += re.findall(r"^\s*server\s+([^\s:;{]+)(?::\d+)?[^;{]*;", text, re.M)  # upstream members
    for host in dict.fromkeys(hosts):
        if (
            running
            and host not in upstreams
            and host not in running
            and not host.startswith("$")
            and not is_external(host)
        ):
            yield Problem(
                "web/nginx.conf",
                f"proxies to host '{host}', which docker-compose.yml does not run "
                f"(services: {', '.join(sorted(running))})",
                "use one of those service names in proxy_pass, or add that service to docker-compose.yml",
            )


KUBERNETES_BASE = "deploy/kubernetes/base"  # kubernetes=yes: the Kustomize base of the cluster


def yaml_documents(path: Path) -> list:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return []


def without_host(settings: object) -> object:
    """An endpoints.yml section with the host of its url left out (hosts may differ per platform)."""
    if not isinstance(settings, dict) or "url" not in settings:
        return settings
    url = str(settings["url"])
    if "://" in url:
        parsed = urlparse(url)
        url = parsed._replace(netloc=parsed.netloc.replace(parsed.hostname or "", "", 1)).geturl()
    else:
        url = url.partition(":")[2]
    return {**settings, "url": url}


def check_kubernetes_endpoints(bot: Bot) -> Iterator[Problem]:
    """The cluster's endpoints.yml says what config/endpoints.yml says, with Kubernetes Services as
    hosts, plus the Redis lock store the Rasa replicas need."""
    base = bot.root / KUBERNETES_BASE
    path = base / "config" / "endpoints.yml"
    if not path.is_file():
        return
    file = bot.rel(path)
    cluster = next(iter(yaml_documents(path)), None)
    cluster = cluster if isinstance(cluster, dict) else {}
    for section in sorted((set(bot.endpoints) | set(cluster)) - {"lock_store"}):
        if without_host(bot.endpoints.get(section)) != without_host(cluster.get(section)):
            yield Problem(
                file,
                f"{section} differs from config/endpoints.yml (only the hosts may differ)",
                "use the same settings as config/endpoints.yml, with a Kubernetes Service name as the host",
            )
    lock = cluster.get("lock_store")
    if not isinstance(lock, dict) or str(lock.get("type", "")).lower() != "redis":
        yield Problem(
            file,
            "has no Redis lock_store: each Rasa replica would lock conversations in its own memory",
            "add a lock_store of type redis (see deploy/kubernetes/README.md)",
        )
    defined = {
        str((doc.get("metadata") or {}).get("name"))
        for manifest in sorted(base.glob("*.yaml"))
        for doc in yaml_documents(manifest)
        if isinstance(doc, dict) and doc.get("kind") == "Service"
    }
    for section, host in endpoint_hosts(Bot(root=bot.root, endpoints=cluster)).items():
        if host not in defined:
            yield Problem(
                file,
                f"{section} points at host '{host}', which no Service in {KUBERNETES_BASE} defines "
                f"(Services: {', '.join(sorted(defined))})",
                "use one of those Service names as the host, or add that Service",
            )


# ----------------------------------------------------------------------------------------------
# Running the checks
# ----------------------------------------------------------------------------------------------
CHECKS: List[Callable[[Bot], Iterable[Problem]]] = [
    check_intents,
    check_entities,
    check_actions,
    check_forms_and_slots,
    check_custom_actions,
    check_endpoints_match_compose,
    check_custom_tracker_store,
    check_pipeline_image,
    check_duckling,
    check_versions,
    check_data_format,
    check_env_file,
    check_web_chat,
    check_kubernetes_endpoints,
]


def check_bot(root: Path) -> List[Problem]:
    """All problems (errors and warnings) of the bot in root, in a stable order."""
    bot = load_bot(Path(root).resolve())
    if errors(bot.problems):  # a file that cannot be read makes every cross-file check report noise
        return bot.problems
    found: List[Problem] = []
    for check in CHECKS:
        try:
            found.extend(check(bot))
        except Exception as error:  # noqa: BLE001 - a checker bug must not hide the other checks' results
            found.append(
                Problem(
                    "scripts/check_bot.py",
                    f"{check.__name__} failed on this bot: {error!r}",
                    "report this bot's files to the template's maintainers; the other checks ran",
                )
            )
    return list(dict.fromkeys(bot.problems + found))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Check that a Rasa bot's files agree with each other.")
    parser.add_argument("bot_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    args = parser.parse_args(argv)
    root = args.bot_dir
    if not root.is_dir():
        print(f"error: {root} is not a folder", file=sys.stderr)
        return 2
    problems = check_bot(root)
    failing = problems if args.strict else errors(problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    count = f"{len(errors(problems))} error(s), {len(problems) - len(errors(problems))} warning(s)"
    if failing:
        print(f"\n{count} in {root}" + (" (--strict: warnings fail too)" if args.strict else ""), file=sys.stderr)
        return 1
    print(f"bot check passed: {root}" + (f" ({count})" if problems else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

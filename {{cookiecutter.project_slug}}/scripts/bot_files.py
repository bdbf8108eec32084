"""The bot's files as Rasa reads them: where the domain is, how its files merge, NLU examples,
and Rasa 2.x Markdown training data.

One place for this logic: the checker (scripts/check_bot/), the smoke test and `make dev` use it.
Standard library only: the caller brings its YAML loader.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

YAML_SUFFIXES = (".yml", ".yaml")
# Folders no bot file lives in (virtual environments, models, caches).
SKIPPED_DIRS = {".git", ".venv", "venv", "models", "results", ".rasa", "state", "node_modules", "__pycache__"}
# Domain keys Rasa 3.6 merges across the files of a domain/ folder (Domain.merge_domain_dicts).
LIST_KEYS = ("intents", "entities", "actions", "e2e_actions")
MAPPING_KEYS = ("forms", "responses", "slots")


def yaml_loader() -> Callable[[str], object] | None:
    """A safe YAML loader: PyYAML's, else ruamel's (the Rasa images may lack PyYAML; Rasa brings
    ruamel); None when neither is installed."""
    try:
        from yaml import safe_load

        return safe_load
    except ImportError:
        pass
    try:
        from ruamel.yaml import YAML
    except ImportError:
        return None
    return YAML(typ="safe", pure=True).load


def project_files(folder: Path, suffixes: Iterable[str]) -> list[Path]:
    """The files under folder with these suffixes, sorted, outside SKIPPED_DIRS."""
    if not folder.is_dir():
        return []
    wanted = tuple(suffixes)
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.suffix in wanted and path.is_file() and not set(path.relative_to(folder).parts[:-1]) & SKIPPED_DIRS
    ]


def domain_paths(root: Path) -> tuple[str, list[Path]]:
    """(how to name the domain in messages, its files): domain.yml, else the YAML files of domain/."""
    for name in ("domain.yml", "domain.yaml"):
        if (root / name).is_file():
            return name, [root / name]
    if (root / "domain").is_dir():
        return "domain/", project_files(root / "domain", YAML_SUFFIXES)
    return "domain.yml", []


def entry_name(item: object) -> object:
    """`- name` or `- name: {settings}`: the name."""
    return next(iter(item)) if isinstance(item, dict) and item else item


def merge_domain(parts: Iterable[dict]) -> dict:
    """The domain files merged as Rasa 3.6's Domain.from_directory merges them: the first file
    that names an intent, entity, action, form, response or slot wins (merge_dicts without
    override), and other top-level keys (version, config, session_config) come from the first file."""
    merged: dict = {}
    for part in parts:
        if not isinstance(part, dict):
            continue
        if not merged:
            merged = {key: _copied(value) for key, value in part.items()}
            continue
        for key in LIST_KEYS:
            _merge_list(merged, key, part.get(key))
        for key in MAPPING_KEYS:
            value = part.get(key)
            if isinstance(value, dict):
                existing = merged.get(key) if isinstance(merged.get(key), dict) else {}
                merged[key] = {**value, **existing}
    return merged


def _copied(value: object) -> object:
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def _merge_list(merged: dict, key: str, value: object) -> None:
    if not isinstance(value, list):
        return
    existing = merged.get(key) if isinstance(merged.get(key), list) else []
    names = {repr(entry_name(item)) for item in existing}
    merged[key] = existing + [item for item in value if repr(entry_name(item)) not in names]


def read_domain(root: Path, load: Callable[[str], object]) -> dict:
    """The bot's domain, merged, read with the caller's YAML loader (yaml.safe_load, ruamel)."""
    return merge_domain(load(path.read_text(encoding="utf-8")) or {} for path in domain_paths(root)[1])


# `[text](entity)`, `[text](entity:value)`, `[text]{"entity": "x", "role": "y"}`, `[text][{...}, {...}]`
ENTITY_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\](?:\((?P<name>[^:)]+)[^)]*\)|(?P<dict>\{[^}]+?\})|\[(?P<list>[^\]]*?)\])"
)


def entity_annotations(example: str) -> Iterator[dict]:
    """The entities an NLU example marks, each as Rasa's dict form: {"entity": ..., "role": ..., "group": ...}."""
    for match in ENTITY_ANNOTATION.finditer(example[:5000]):  # a bound: unclosed brackets cost O(length²)
        if match.group("name"):
            yield {"entity": match.group("name").strip()}
            continue
        try:
            parsed = json.loads(match.group("dict") or f"[{match.group('list')}]")
        except ValueError:
            continue
        for annotation in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(annotation, dict) and annotation.get("entity"):
                yield annotation


def plain_text(example: str) -> str:
    """The example as a user types it: each entity annotation replaced by its text."""
    return ENTITY_ANNOTATION.sub(lambda match: match.group("text"), example[:5000])


def split_examples(value: object) -> list[str]:
    """`examples: |` lines ("- text"), or the metadata form (a list of `- text: ...`)."""
    if isinstance(value, list):
        return [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in value]
    return [line.strip()[2:].strip() for line in str(value or "").splitlines() if line.strip().startswith("- ")]


# -- Rasa 1.x/2.x Markdown ---------------------------------------------------------------------
NLU_SECTION = re.compile(r"^##\s*(intent|synonym|regex|lookup):", re.M)
MARKDOWN_STORY = re.compile(r"^##[^\n]*\n(?:[ \t]*\n)*[ \t]*\*\s", re.M)  # a heading, then `* intent`
MARKDOWN_EVENT = re.compile(r"^(slot|form|active_loop|reset_slots)\b")


@dataclass
class MarkdownStory:
    """`## name`, then `* intent` (or `* intent: user text`, `* a OR b`) and `  - action` lines."""

    name: str
    line: int
    intents: list[tuple[str, int]] = field(default_factory=list)  # (intent, line)
    actions: list[tuple[str, int]] = field(default_factory=list)  # (action, line)
    turns: list[tuple[str, list[str]]] = field(default_factory=list)  # (user text, actions after it)


@dataclass
class MarkdownData:
    kind: str = "core"  # "nlu" when it has NLU sections
    examples: dict[str, list[str]] = field(default_factory=dict)  # intent -> examples
    intent_lines: dict[str, int] = field(default_factory=dict)  # intent -> line of `## intent:`
    stories: list[MarkdownStory] = field(default_factory=list)
    patterns: set[str] = field(default_factory=set)  # names of `## lookup:` and `## regex:` sections


def without_comments(text: str) -> str:
    """Markdown without its <!-- comments --> (as Rasa reads it), in linear time whatever the input.
    A comment becomes as many empty lines as it had, so line numbers stay right."""
    parts, start = [], 0
    while True:
        opening = text.find("<!--", start)
        closing = text.find("-->", opening + 4) if opening >= 0 else -1
        if closing < 0:  # no comment left, or one that runs to the end
            rest = text[start:] if opening < 0 else text[start:opening] + "\n" * text.count("\n", opening)
            return "".join(parts) + rest
        parts.append(text[start:opening] + "\n" * text.count("\n", opening, closing))
        start = closing + 3


def is_markdown_training_data(path: Path, text: str) -> bool:
    """NLU sections or stories, as Rasa 2.x recognises them (a README is neither)."""
    text = without_comments(text)
    return not path.stem.upper().startswith("README") and bool(NLU_SECTION.search(text) or MARKDOWN_STORY.search(text))


def read_markdown(text: str) -> MarkdownData:
    """Rasa 1.x/2.x Markdown: NLU (`## intent:name` and `- example` lines; synonym, regex and
    lookup sections are read past) and stories, end-to-end test stories included."""
    data = MarkdownData()
    story: MarkdownStory | None = None
    intent: str | None = None
    for number, line in enumerate(without_comments(text).splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("##"):
            story, intent = _heading(data, stripped, number)
        elif intent and stripped.startswith("- "):
            data.examples[intent].append(stripped[2:].strip())
        elif story is not None and stripped.startswith("* "):
            _user_turn(story, stripped[2:], number)
        elif story is not None and stripped.startswith("- ") and not MARKDOWN_EVENT.match(stripped[2:].strip()):
            action = re.split(r"[{\s]", stripped[2:].strip(), maxsplit=1)[0]
            story.actions.append((action, number))
            if story.turns:
                story.turns[-1][1].append(action)
    return data


def _heading(data: MarkdownData, stripped: str, number: int) -> tuple[MarkdownStory | None, str | None]:
    kind, colon, name = stripped.lstrip("#").strip().partition(":")
    if colon and kind.strip() in {"intent", "synonym", "regex", "lookup"}:
        data.kind = "nlu"
        if kind.strip() in {"lookup", "regex"}:
            data.patterns.add(name.strip())
        if kind.strip() != "intent":
            return None, None
        intent = name.strip()
        data.examples.setdefault(intent, [])
        data.intent_lines.setdefault(intent, number)
        return None, intent
    story = MarkdownStory(name=stripped.lstrip("#").strip(), line=number)
    data.stories.append(story)
    return story, None


def _user_turn(story: MarkdownStory, rest: str, number: int) -> None:
    for alternative in re.split(r"\s+OR\s+", rest):
        story.intents.append((re.split(r"[{:\s]", alternative.strip(), maxsplit=1)[0], number))
    story.turns.append((rest.partition(":")[2].strip(), []))

"""Entity annotations in NLU examples and slot mappings, shared by the domain rules."""

from __future__ import annotations

import json
import re
from typing import Iterator

from .model import Bot

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


def slot_mappings(bot: Bot) -> Iterator[tuple[str, dict]]:
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

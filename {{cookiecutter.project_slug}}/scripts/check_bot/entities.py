"""Entity annotations in NLU examples and slot mappings, shared by the domain rules."""

from __future__ import annotations

from typing import Iterator

import bot_files

from .model import Bot


def annotated_entities(example: str) -> Iterator[str]:
    for annotation in bot_files.entity_annotations(example):
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

"""Domain and training data: intents, entities and responses used are declared."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..entities import annotated_entities, slot_mappings
from ..model import Bot
from ..readers import type_name
from ..tables import BUILTIN_ACTIONS, BUILTIN_INTENTS, EXTERNAL_INTENT_PREFIX, MIN_EXAMPLES_PER_INTENT


def base_intent(intent: str) -> str:
    """`chitchat/ask_name` (a retrieval intent's sub-intent) is declared as `chitchat`."""
    return intent.split("/")[0]


@rule("D101", "a story or rule uses an intent the domain does not declare")
def undeclared_story_intents(bot: Bot) -> Iterator[Problem]:
    declared = bot.intents | BUILTIN_INTENTS
    for story in bot.stories:
        for intent in dict.fromkeys(map(base_intent, story.intents)):
            if intent not in declared:
                yield Problem(
                    "D101",
                    story.file,
                    story.line_of("intents", intent) or story.line,
                    f"'{story.name}' uses intent '{intent}', which {bot.domain_file} does not declare",
                    f"add '- {intent}' under 'intents:' in {bot.domain_file}, or fix the name",
                )


@rule("D102", f"an intent has fewer than {MIN_EXAMPLES_PER_INTENT} NLU examples", "warning")
@rule("D103", "an intent has no NLU examples (only code can trigger it)", "warning")
def few_examples(bot: Bot) -> Iterator[Problem]:
    counts: dict[str, int] = {}
    for intent, examples in bot.examples.items():
        counts[base_intent(intent)] = counts.get(base_intent(intent), 0) + len(examples)
    for intent in sorted(bot.intents - BUILTIN_INTENTS):
        count = counts.get(intent, 0)
        if 0 < count < MIN_EXAMPLES_PER_INTENT:
            yield Problem(
                "D102",
                bot.example_files.get(intent, "data/nlu.yml"),
                bot.example_lines.get(intent),
                f"intent '{intent}' has only {count} NLU example(s); {MIN_EXAMPLES_PER_INTENT}+ generalise better",
                f"add more ways users say '{intent}' under '- intent: {intent}'",
            )
        elif count == 0 and not intent.startswith(EXTERNAL_INTENT_PREFIX):
            yield Problem(
                "D103",
                *bot.where("intents", intent),
                f"intent '{intent}' has no NLU examples: only code can trigger it (trigger_intent, reminders)",
                f"add examples under '- intent: {intent}' (or name it {EXTERNAL_INTENT_PREFIX}{intent} if on purpose)",
            )


@rule("D104", "NLU examples for an intent the domain does not declare")
def undeclared_example_intents(bot: Bot) -> Iterator[Problem]:
    for intent in sorted({base_intent(i) for i in bot.examples} - bot.intents - BUILTIN_INTENTS):
        first = next(i for i in bot.examples if base_intent(i) == intent)
        yield Problem(
            "D104",
            bot.example_files[first],
            bot.example_lines.get(first),
            f"NLU examples for intent '{intent}', which {bot.domain_file} does not declare",
            f"add '- {intent}' under 'intents:' in {bot.domain_file}, or remove the examples",
        )


@rule("D105", "the same NLU example is in two intents", "warning")
def example_in_two_intents(bot: Bot) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for intent, examples in bot.examples.items():
        for example in examples:
            other = owner.setdefault(example, intent)
            if other != intent:
                yield Problem(
                    "D105",
                    bot.example_files[intent],
                    bot.example_lines.get(intent),
                    f"the example '{example[:60]}' is in both '{other}' and '{intent}'",
                    "keep it in one intent only",
                )


@rule("D106", "an NLU example or a story uses an entity the domain does not declare")
def undeclared_entities(bot: Bot) -> Iterator[Problem]:
    declared, seen = bot.entities, set()

    def fix(entity: object) -> str:
        return f"add '- {entity}' under 'entities:' in {bot.domain_file}, or fix the name"

    for intent, examples in bot.examples.items():
        for entity in (entity for example in examples for entity in annotated_entities(example)):
            if entity not in declared and entity not in seen:
                seen.add(entity)
                what = f"an example of '{intent}' marks entity '{entity}', which {bot.domain_file} does not declare"
                yield Problem("D106", bot.example_files[intent], bot.example_lines.get(intent), what, fix(entity))
    for story in bot.stories:
        for entity in dict.fromkeys(story.entities):
            if entity not in declared and entity not in seen:
                seen.add(entity)
                what = f"'{story.name}' uses entity '{entity}', which {bot.domain_file} does not declare"
                yield Problem("D106", story.file, story.line_of("entities", entity), what, fix(entity))


@rule("D107", "a slot is filled from an entity the domain does not declare")
def undeclared_mapping_entities(bot: Bot) -> Iterator[Problem]:
    for slot, mapping in slot_mappings(bot):
        entity = mapping.get("entity")
        if mapping.get("type") == "from_entity" and entity and str(entity) not in bot.entities:
            yield Problem(
                "D107",
                *bot.where("slots", slot),
                f"slot '{slot}' is filled from entity '{entity}', which is not declared under 'entities:'",
                f"add '- {entity}' under 'entities:' in {bot.domain_file}, or fix the name",
            )


@rule("D108", "a story uses an utter_ action that has no response")
@rule("D109", "a story uses an action the domain does not declare")
def story_actions(bot: Bot) -> Iterator[Problem]:
    known = bot.actions | set(bot.forms) | BUILTIN_ACTIONS
    for story in bot.stories:
        for action in dict.fromkeys(story.actions):
            line = story.line_of("actions", action)
            if action.startswith("utter_") and not bot.has_response(action):
                what = f"'{story.name}' uses '{action}', which has no response in {bot.domain_file}"
                fix = f"add a text for '{action}' under 'responses:' in {bot.domain_file}"
                yield Problem("D108", story.file, line, what, fix)
            elif not action.startswith("utter_") and action not in known:
                what = f"'{story.name}' uses action '{action}', which {bot.domain_file} does not declare"
                fix = f"add '- {action}' under 'actions:' in {bot.domain_file} and implement it in actions/"
                yield Problem("D109", story.file, line, what, fix)


@rule("D110", "the domain lists an utter_ action that has no response")
@rule("D111", "the domain uses 'templates:', which Rasa 2 and 3 ignore")
@rule("D112", "a response is not a list of variations")
def responses(bot: Bot) -> Iterator[Problem]:
    for action in sorted(a for a in bot.actions if a.startswith("utter_") and not bot.has_response(a)):
        what, fix = f"action '{action}' is listed but has no response", f"add a text for '{action}' under 'responses:'"
        yield Problem("D110", *bot.where("actions", action), what, fix)
    if "templates" in bot.domain and not bot.domain.get("responses"):
        what = "uses the key 'templates:', which Rasa 2 and 3 ignore (the bot says nothing)"
        yield Problem("D111", *bot.where("templates"), what, "rename 'templates:' to 'responses:'")
    for name, variations in sorted((bot.domain.get("responses") or {}).items(), key=lambda item: str(item[0])):
        if not isinstance(variations, list):
            yield Problem(
                "D112",
                *bot.where("responses", name),
                f"response '{name}' must be a list of variations, not {type_name(variations)}",
                f"write it as '{name}:' followed by '- text: ...' lines",
            )

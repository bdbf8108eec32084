"""Forms and slots: forms ask for slots the domain defines; mappings, conditions and stories
name real intents, forms and slots."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..entities import slot_mappings
from ..model import Bot
from ..tables import BUILTIN_INTENTS, BUILTIN_SLOTS


@rule("D113", "a form requires a slot the domain does not define")
@rule("D114", "a form has no response or action to ask for one of its slots")
def form_slots(bot: Bot) -> Iterator[Problem]:
    slots, asks = set(bot.slots) | BUILTIN_SLOTS, bot.actions | set(bot.responses)
    for form, settings in sorted(bot.forms.items()):
        required = settings.get("required_slots") or []
        for slot in map(str, required if isinstance(required, (list, dict)) else []):
            if slot not in slots:
                yield Problem(
                    "D113",
                    *bot.where("forms", form),
                    f"form '{form}' requires slot '{slot}', which is not defined under 'slots:'",
                    f"add '{slot}:' under 'slots:' with its type and mappings, or fix the name",
                )
            elif (
                not {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}", f"action_ask_{form}_{slot}", f"action_ask_{slot}"}
                & asks
            ):
                yield Problem(
                    "D114",
                    *bot.where("forms", form),
                    f"form '{form}' has no way to ask for slot '{slot}' (it would wait silently)",
                    f"add a response 'utter_ask_{slot}' under 'responses:' (or an action 'action_ask_{slot}')",
                )


@rule("D115", "a slot mapping names an intent the domain does not declare")
@rule("D116", "a slot mapping is conditioned on an active_loop that is not a form")
def mapping_names(bot: Bot) -> Iterator[Problem]:
    intents, forms = bot.intents | BUILTIN_INTENTS, set(bot.forms)
    for slot, mapping in slot_mappings(bot):
        for key in ("intent", "not_intent"):
            named = mapping.get(key)
            for intent in named if isinstance(named, list) else [named] if named else []:
                if str(intent) not in intents:
                    yield Problem(
                        "D115",
                        *bot.where("slots", slot),
                        f"a mapping of slot '{slot}' names intent '{intent}', which is not declared under 'intents:'",
                        f"add '- {intent}' under 'intents:', or fix the name",
                    )
        for condition in mapping.get("conditions") or []:
            loop = condition.get("active_loop") if isinstance(condition, dict) else None
            if loop and str(loop) not in forms:
                yield Problem(
                    "D116",
                    *bot.where("slots", slot),
                    f"a mapping of slot '{slot}' is conditioned on active_loop '{loop}', which is not a form",
                    f"add '{loop}:' under 'forms:', or use one of: {', '.join(sorted(forms)) or 'no forms yet'}",
                )


@rule("D117", "a response variation is conditioned on a slot the domain does not define")
def response_conditions(bot: Bot) -> Iterator[Problem]:
    slots = set(bot.slots) | BUILTIN_SLOTS
    for response, variations in sorted((bot.domain.get("responses") or {}).items(), key=lambda item: str(item[0])):
        for variation in variations if isinstance(variations, list) else []:
            conditions = variation.get("condition") if isinstance(variation, dict) else None
            for condition in conditions if isinstance(conditions, list) else []:
                name = condition.get("name") if isinstance(condition, dict) else None
                if name and str(name) not in slots:
                    yield Problem(
                        "D117",
                        *bot.where("responses", response),
                        f"a variation of '{response}' is conditioned on slot '{name}', which is not defined",
                        f"add '{name}:' under 'slots:', or fix the name in the condition",
                    )


@rule("D118", "a story has an active_loop that is not a form")
@rule("D119", "a story sets a slot the domain does not define")
def story_loops_and_slots(bot: Bot) -> Iterator[Problem]:
    slots, forms = set(bot.slots) | BUILTIN_SLOTS, set(bot.forms)
    for story in bot.stories:
        for loop in dict.fromkeys(story.loops):
            if loop not in forms:
                yield Problem(
                    "D118",
                    story.file,
                    story.line_of("loops", loop),
                    f"'{story.name}' has active_loop '{loop}', which is not a form of {bot.domain_file}",
                    f"add '{loop}:' under 'forms:' in {bot.domain_file}, or fix the name",
                )
        for slot in dict.fromkeys(story.slots):
            if slot not in slots:
                yield Problem(
                    "D119",
                    story.file,
                    story.line_of("slots", slot),
                    f"'{story.name}' sets slot '{slot}', which {bot.domain_file} does not define",
                    f"add '{slot}:' under 'slots:' in {bot.domain_file}, or fix the name",
                )

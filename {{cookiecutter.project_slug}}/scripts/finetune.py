"""`make dev`'s fine-tuning: may a save fine-tune the last model, and the server side that does it.

A model can be fine-tuned (Rasa 3.x's `rasa train --finetune`) when the save keeps its labels:
the config, the domain's intents, entities, actions, responses' names, forms' names and slots,
and the intents, entities (roles, groups), regexes and lookup tables of the NLU data. New examples,
changed responses' texts, new stories and rules keep them. A fine-tune also keeps the vocabulary
of the last training from scratch (CountVectorsFeaturizer): an example with a word it lacks would
be learned without that word, so a new word trains from scratch too. `changed_labels` says which
label changed, or None; Rasa checks again (its FinetuningValidator) and may still refuse.

Rasa 3.6's POST /model/train has no fine-tune parameter. `install()` (scripts/rasa_run.py calls it
when `make dev` sets $RASA_DEV_FINETUNE) adds two to that endpoint: `finetune=models/<model>` and
`epoch_fraction=F`, passed to rasa.model_training.train as `rasa train --finetune` does. The server
already has Rasa imported, so a fine-tune pays no start-up (12-14 s on 2 cores).

Standard library only; the caller reads the files (dev.training_parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import rasa_http
from bot_files import entity_annotations, entry_name, plain_text, split_examples

# Components whose training runs for `epochs`: only those gain from fine-tuning. Others (the light
# pipeline: a linear classifier, memoization) train from scratch in about a second.
EPOCH_COMPONENTS = {"DIETClassifier", "TEDPolicy", "ResponseSelector", "UnexpecTEDIntentPolicy"}
# The top-level keys of a Rasa 3 domain file.
DOMAIN_KEYS = {"version", "intents", "entities", "slots", "responses", "actions", "forms", "e2e_actions",
               "session_config", "config"}  # fmt: skip
WORD = re.compile(r"\w\w+")  # CountVectorsFeaturizer's default token_pattern, on lowercased text


def fine_tunable(config: dict) -> bool:
    """Does the config train a component for epochs (DIET, TED, ResponseSelector)?"""
    components = [*(config.get("pipeline") or []), *(config.get("policies") or [])]
    return any(isinstance(c, dict) and c.get("name") in EPOCH_COMPONENTS for c in components)


def _names(items: object) -> set[str]:
    return {str(entry_name(item)) for item in items} if isinstance(items, list) else set()


def _annotations(text: str) -> set[str]:
    """The entity labels annotated in one example: 'name', 'city (role from)', 'city (group 1)'."""
    found = set()
    for entity in entity_annotations(text):
        found.add(str(entity["entity"]))
        found |= {f"{entity['entity']} ({key} {entity[key]})" for key in ("role", "group") if key in entity}
    return found


def labels(config: dict, domain: dict, data: list[dict]) -> dict[str, object]:
    """What a model's labels are made of: compare two with changed_labels."""
    intents, entities, patterns, words = set(), set(), set(), set()
    for part in data:
        items = part.get("nlu") if isinstance(part, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if "intent" in item:
                examples = split_examples(item.get("examples"))
                intents |= {str(item["intent"])} if examples else set()
                entities |= {label for example in examples for label in _annotations(example)}
                words |= {w for e in examples for w in WORD.findall(plain_text(e).lower())}
            for kind in ("regex", "lookup"):
                if kind in item:
                    patterns.add(f"{kind} {item[kind]}")
    for item in domain.get("entities") or []:
        name = entry_name(item)
        settings = item.get(name) if isinstance(item, dict) and isinstance(item.get(name), dict) else {}
        entities.add(str(name))
        entities |= {f"{name} ({key[:-1]} {v})" for key in ("roles", "groups") for v in settings.get(key) or []}
    responses = domain.get("responses") if isinstance(domain.get("responses"), dict) else {}
    forms = domain.get("forms") if isinstance(domain.get("forms"), dict) else {}
    return {
        "config": config,
        "intent": _names(domain.get("intents")),
        "intent with examples": intents,
        "entity": entities,
        "action or response": _names(domain.get("actions")) | set(map(str, responses)) | set(map(str, forms)),
        "slot": domain.get("slots") if isinstance(domain.get("slots"), dict) else {},
        "regex or lookup table": patterns,
        "word": words,  # only a new one counts: removing examples keeps the vocabulary
    }


def changed_labels(old: dict[str, object], new: dict[str, object]) -> str | None:
    """None when `new` keeps the labels of `old`; else the first change, e.g. "new intent 'x'"."""
    for kind, after in new.items():
        before = old.get(kind)
        if before == after:
            continue
        if kind == "config" or not isinstance(before, type(after)):
            return "config/config.yml changed" if kind == "config" else f"{kind}s changed"
        if kind == "slot":
            if added := sorted(set(after) - set(before)):
                return f"new slot '{added[0]}'"
            if removed := sorted(set(before) - set(after)):
                return f"slot '{removed[0]}' removed"
            return f"slot '{sorted(name for name in after if before[name] != after[name])[0]}' changed"
        added, removed = sorted(after - before), sorted(before - after)
        if added and kind == "word":
            listed = ", ".join(map(repr, added[:3])) + (" ..." if added[3:] else "")
            return f"new word{'s' if added[1:] else ''} {listed}: a fine-tune keeps the model's vocabulary"
        if added:
            return f"new {kind} '{added[0]}'"
        if kind == "word":
            continue
        if kind == "intent with examples":
            return f"no example left for intent '{removed[0]}'"
        return f"{kind} '{removed[0]}' removed"
    return None


def refusal(message: str) -> str:
    """Rasa's reason for refusing a fine-tune, short: its 'Cannot finetune because ...' sentence."""
    found = re.search(r"(Cannot finetune because[^.]*\.|No model for finetuning[^.]*\.|Finetuning is enabled[^.]*\.)",
                      message)  # fmt: skip
    return found.group(1) if found else " ".join(message.split())[:300]


@dataclass
class Served:
    """The model the server answers with (models/<name>.tar.gz) and its labels, once known."""

    model: str = ""
    labels: dict | None = None
    epoch_fraction: float = 0.0  # of the config's epochs, to fine-tune; 0: never fine-tune (Rasa 2.x)

    def follow(self, model: str, labels: dict, tuned: bool) -> None:
        """The server answers with `model` now. A fine-tuned one kept the vocabulary it started from."""
        self.model, self.labels = model, {**labels, "word": self.labels["word"]} if tuned and self.labels else labels


def why_from_scratch(served: Served, labels: dict, saved: list[str]) -> str | None:
    """None to fine-tune the served model; else why not."""
    if "config/config.yml" in saved:
        return "config/config.yml saved"
    if not served.model or served.labels is None:
        return "no model to fine-tune yet"
    return changed_labels(served.labels, labels)


def train(api: str, token: str, payload: bytes, served: Served, why: str | None) -> tuple[str, str, str]:
    """(the new model, "fine-tuned" or "trained", why). why: None to fine-tune, else why not; ""
    for a bot that never fine-tunes (Rasa 2.x, --from-scratch, no epochs: as it always did)."""
    if why is None:
        try:
            fraction = served.epoch_fraction
            return (
                rasa_http.train(api, token, payload, finetune=served.model, epoch_fraction=fraction),
                "fine-tuned",
                " (labels unchanged)",
            )
        except rasa_http.RasaHTTPError as error:  # Rasa's own check (or a lost server: then this fails too)
            why = f"Rasa refused to fine-tune: {refusal(str(error))}"
    fresh = rasa_http.train(api, token, payload, own_domain=bool(why))  # a model later saves can fine-tune
    return fresh, "trained", f" from scratch ({why})" if why else ""


def install() -> None:
    """Let POST /model/train fine-tune: `?own_domain=true&finetune=models/<model>.tar.gz&epoch_fraction=0.2`.
    own_domain=true alone: a training from scratch whose model can be fine-tuned later."""
    from http import HTTPStatus

    import rasa.server
    import rasa.shared.utils.io

    original = rasa.server._training_payload_from_yaml

    def payload(request, temp_dir: Path, *args, **kwargs) -> dict:
        result = original(request, temp_dir, *args, **kwargs)
        if request.args.get("own_domain") != "true":  # the light pipeline: Rasa's own way, no cost added
            return result
        # Rasa reads the one document as the domain too, and keeps its nlu, stories and rules in the
        # domain: a new example would change the domain's fingerprint, and Rasa would refuse every
        # fine-tune. The domain's own keys, as `rasa train` reads them (the data stays in temp_dir).
        document = rasa.shared.utils.io.read_yaml(request.body.decode("utf-8"))
        domain = {key: value for key, value in document.items() if key in DOMAIN_KEYS}
        rasa.shared.utils.io.write_yaml(domain, temp_dir / "domain.yml")
        result["domain"] = str(temp_dir / "domain.yml")
        model = request.args.get("finetune")
        if not model:
            return result
        if not Path(model).is_file():  # Rasa would sys.exit() inside the server
            raise rasa.server.ErrorResponse(
                HTTPStatus.BAD_REQUEST, "FinetuneError", f"No model for finetuning {model}."
            )
        try:
            fraction = float(request.args.get("epoch_fraction", "1"))
        except ValueError:
            fraction = -1.0
        if not 0 < fraction <= 1:
            raise rasa.server.ErrorResponse(HTTPStatus.BAD_REQUEST, "FinetuneError", "epoch_fraction must be in (0, 1]")
        return {**result, "model_to_finetune": model, "finetuning_epoch_fraction": fraction}

    rasa.server._training_payload_from_yaml = payload

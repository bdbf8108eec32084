"""The NLU pipeline: its language is real, the Rasa image has what it imports (spaCy's image,
model and language agree), and something extracts the entities the examples annotate."""

from __future__ import annotations

from typing import Iterator

from ..core import Problem, rule
from ..deploy import components, installs, rasa_image
from ..entities import annotated_entities
from ..model import Bot
from ..tables import ISO_639_1, PIPELINE_EXTRAS, SPACY_IMAGE_MODELS


@rule("P101", "config.yml's language is not an ISO 639-1 code")
@rule("P102", "the pipeline needs a package the Rasa image lacks")
@rule("P103", "there is no official rasa/rasa -spacy- image for that language")
@rule("P104", "the spaCy image's language is not config.yml's language")
@rule("P105", "the SpacyNLP model is not the one the spaCy image ships")
@rule("P106", "the SpacyNLP model is not a model for config.yml's language")
def pipeline_image(bot: Bot) -> Iterator[Problem]:
    language = str(bot.config.get("language") or "en")
    if language not in ISO_639_1:
        yield Problem(
            "P101",
            bot.file("config"),
            bot.line("config", "language"),
            f"language '{language}' is not an ISO 639-1 code",
            "use the two-letter code of the language (en, de, fr, es, it, ...)",
        )
    image = rasa_image(bot)[1]
    if not image or "$" in image:
        return
    missing = next(missing_packages(bot, language), None)
    if missing is not None:
        yield missing
        return
    model = spacy_model(bot)
    if model is not None and not installs(rasa_image(bot)[3], "spacy"):
        yield from spacy_image(bot, language, model)


def missing_packages(bot: Bot, language: str) -> Iterator[Problem]:
    service, image, where, built = rasa_image(bot)
    version, _, suffix = image.partition(":")[2].partition("-")
    names = [str(c.get("name", "")) for c in components(bot)]
    for prefix, (package, tags) in PIPELINE_EXTRAS.items():
        users = [n for n in names if n.startswith(prefix)]
        if users and not any(t in "-" + suffix for t in tags) and not installs(built, package):
            wanted = f"rasa/rasa:{version}{tags[-1]}"
            if package == "spacy" and language in SPACY_IMAGE_MODELS:
                wanted = f"rasa/rasa:{version}-spacy-{language}"
            yield Problem(
                "P102",
                where,
                None,
                f"the pipeline uses {users[0]}, which needs {package}, but the image has no {package}"
                f" (service '{service}', image {image})",
                f"use the image {wanted}, or install {package} in a Dockerfile FROM rasa/rasa:{version}",
            )


def spacy_model(bot: Bot) -> str | None:
    """The SpacyNLP model the config names ("" for none), or None without SpacyNLP."""
    spacy = next((c for c in components(bot) if c.get("name") == "SpacyNLP"), None)
    return None if spacy is None else str(spacy.get("model") or "")


def spacy_image(bot: Bot, language: str, model: str) -> Iterator[Problem]:
    """An official -spacy-<language> image has one model, for one language (SPACY_IMAGE_MODELS)."""
    _, image, where, _ = rasa_image(bot)
    version, _, suffix = image.partition(":")[2].partition("-")
    named = bool(model) and "/" not in model  # a package name, not a path to a model folder
    image_language = suffix[len("spacy-") :] if suffix.startswith("spacy-") else None
    shipped = SPACY_IMAGE_MODELS.get(image_language or "")
    if language in SPACY_IMAGE_MODELS:
        fix = f"use the image rasa/rasa:{version}-spacy-{language} with model: {SPACY_IMAGE_MODELS[language]}"
    else:
        fix = f"install spacy and a '{language}' model in a Dockerfile FROM rasa/rasa:{version}"
    if image_language is not None and shipped is None:
        official = ", ".join(f"-spacy-{code}" for code in SPACY_IMAGE_MODELS)
        yield Problem("P103", where, None, f"there is no official image {image} (only {official})", fix)
    elif image_language is not None and image_language != language:
        what = f"the image's spaCy language '{image_language}' is not the config's language '{language}'"
        yield Problem("P104", where, None, what, fix)
    elif image_language is not None and named and model != shipped:
        what = "does not match the image's language" if not model.startswith(f"{language}_") else "is not in it"
        yield Problem(
            "P105",
            bot.file("config"),
            None,
            f"SpacyNLP model '{model}' {what} ({image} ships {shipped})",
            f"use model: {shipped} under SpacyNLP, or install {model} in a Dockerfile",
        )
    elif named and not model.startswith(f"{language}_"):
        example = SPACY_IMAGE_MODELS.get(language, f"{language}_core_news_sm")
        yield Problem(
            "P106",
            bot.file("config"),
            None,
            f"SpacyNLP model '{model}' is not a model for the config's language '{language}'",
            f"use a '{language}' model under SpacyNLP, e.g. model: {example}",
        )


# Components that learn entities from the annotations in the examples ([Anna](name)).
ENTITY_LEARNERS = ("CRFEntityExtractor", "MitieEntityExtractor", "DIETClassifier")


@rule("P107", "an NLU example annotates an entity that no component of the pipeline extracts")
def unextracted_entities(bot: Bot) -> Iterator[Problem]:
    pipeline = components(bot)
    names = [str(c.get("name", "")) for c in pipeline]
    if not names or any("." in name for name in names):
        return  # Rasa's default pipeline, or a custom component that may extract them
    if any(c.get("name") in ENTITY_LEARNERS and c.get("entity_recognition", True) is not False for c in pipeline):
        return
    # RegexEntityExtractor finds entities named like a lookup table or regex; Duckling and spaCy their dimensions.
    found = set(bot.patterns) if "RegexEntityExtractor" in names else set()
    found |= {str(d) for c in pipeline for d in c.get("dimensions") or [] if isinstance(c.get("dimensions"), list)}
    fix = f"add '- name: CRFEntityExtractor' before EntitySynonymMapper in {bot.file('config')}"
    if "DIETClassifier" in names:
        fix = f"remove 'entity_recognition: false' under DIETClassifier, or {fix}"
    for intent, examples in bot.examples.items():
        for entity in dict.fromkeys(e for example in examples for e in annotated_entities(example)):
            if entity not in found:
                found.add(entity)  # reported once
                what = f"an example of '{intent}' annotates entity '{entity}', which no pipeline component extracts"
                yield Problem("P107", bot.example_files[intent], bot.example_lines.get(intent), what, fix)

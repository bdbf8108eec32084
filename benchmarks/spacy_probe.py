"""Is an English spaCy model loadable here? Run with the *Rasa* venv's python.

    python spacy_probe.py PREFERRED_MODEL

Prints one JSON object: {"ok": true, "model": NAME_OR_PATH, "note": ...} or {"ok": false,
"reason": ...}. Tries PREFERRED_MODEL (the template's ``SpacyNLP.model``), then any installed
``en_core_web_*`` distribution, also by its model folder (the folder holding config.cfg and
meta.json: re-uploaded model packages sometimes have a broken ``__init__``).
"""

import json
import sys
from pathlib import Path


def candidates(preferred):
    yield preferred, "the template's model"
    from importlib import metadata

    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("-", "_")
        if not name.startswith("en_core_web"):
            continue
        for file in dist.files or ():
            if file.name == "config.cfg":
                folder = Path(dist.locate_file(file)).parent
                if (folder / "meta.json").is_file():
                    yield str(folder), f"model folder of {dist.metadata['Name']} {dist.version}"


def main() -> None:
    preferred = sys.argv[1] if len(sys.argv) > 1 else "en_core_web_md"
    try:
        import spacy
    except Exception as exc:  # noqa: BLE001 - any import failure means "no spaCy"
        print(json.dumps({"ok": False, "reason": f"import spacy failed: {exc!r}"}))
        return
    errors = []
    for model, note in candidates(preferred):
        try:
            nlp = spacy.load(model)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{model}: {type(exc).__name__}")
            continue
        if nlp.lang != "en":
            errors.append(f"{model}: language {nlp.lang}")
            continue
        info = f"{note}; spacy {spacy.__version__}, vectors {nlp.vocab.vectors.shape}"
        print(json.dumps({"ok": True, "model": model, "note": info}))
        return
    reason = f"spacy {spacy.__version__} but no English model loads ({'; '.join(errors)})"
    print(json.dumps({"ok": False, "reason": reason}))


if __name__ == "__main__":
    main()

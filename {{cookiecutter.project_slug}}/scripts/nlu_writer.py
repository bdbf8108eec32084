"""Add one NLU example to the bot's training data, as `make review` does: to the file in data/ that
holds the intent (Rasa 3: YAML, else data/nlu.yml; Rasa 2: Markdown, else data/nlu.md).

The file is edited as text: one line goes in after the intent's last example, so comments, order
and layout stay as they were. Before the file is replaced, Rasa's own reader reads the new file
(in a temporary folder): it must give back the old examples plus exactly this text, with no
entity, else the write is refused with what Rasa would have read. After the write the bot checker
runs; a new error puts the old file back, byte for byte, and refuses with the checker's message (a
new warning, such as "few examples" for an intent's first one, is reported and the example kept).
Nothing is written outside data/.

Needs PyYAML, and Rasa (the bot's venv) for reading the data back.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import bot_files
import check_bot
import yaml

# What YAML cannot hold in a file at all (C0 and C1 controls but tab, DEL, surrogates, U+FFFE/U+FFFF).
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
MARKDOWN_HAZARDS = (("<!--", "opens an HTML comment"), ("-->", "closes an HTML comment"))
MARKDOWN_HEADING = re.compile(r"##\s*(.+?):(.+)")  # Rasa 2's Markdown reader takes such a line for a section
INTENT_PREFIX = "/"  # `/greet`: Rasa takes the intent from the text and skips the NLU pipeline
TEMPORARY_SUFFIX = ".review-tmp"  # no .yml or .md: make dev's watcher sees only the final file
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")


class Refused(Exception):
    """The example was not written; the message says why, in one line (the checker's may be longer)."""


@dataclass
class Added:
    path: Path  # the file, absolute
    written: bool  # False: it was an example of this intent already
    message: str


def same_text(text: str) -> str:
    """What two messages have to share to be one example: the words, whatever the case and spacing
    (Rasa strips a message; its tokenizers split at spaces, its featurizers lowercase)."""
    return " ".join(text.split()).casefold()


# --- Rasa's reader ------------------------------------------------------------------------------


def _rasa_loader():
    try:
        from rasa.shared.nlu.training_data.loading import load_data
    except ImportError as error:
        raise Refused(f"Rasa is not importable here ({error}): run this in the bot's venv (make venv)") from error
    return load_data


def read_examples(path: Path, language: str = "en") -> list[tuple[str, str, bool]]:
    """(text, intent, has entities) of each example in one NLU file, read by Rasa's own reader."""
    load_data = _rasa_loader()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa 2's "Markdown is deprecated", empty intents
        data = load_data(str(path), language)
    return [(m.get("text"), m.get("intent"), bool(m.get("entities"))) for m in data.training_examples]


def known_examples(root: Path) -> dict[str, str]:
    """same_text(example) -> its intent, for every NLU example of the bot: the checker's reading of
    data/ (YAML and Markdown, no Rasa needed), entity annotations replaced by their text as Rasa does.
    plain_text reads the first 5,000 characters: compare a message as same_text(plain_text(message))."""
    known: dict[str, str] = {}
    for intent, examples in check_bot.load_bot(root).examples.items():
        for example in examples:
            known.setdefault(same_text(bot_files.plain_text(example)), intent)
    return known


def example_key(message: str) -> str:
    """A message as known_examples keys it."""
    return same_text(bot_files.plain_text(message))


# --- where the line goes ------------------------------------------------------------------------


def unwritable(text: str, markdown: bool) -> str | None:
    """Why Rasa could not read this text back as it is, or None."""
    if not text:
        return "the message is empty"
    if text.startswith(INTENT_PREFIX):
        return f"a message that starts with '{INTENT_PREFIX}' names an intent (a button's payload): no NLU reads it"
    if len(text.splitlines()) > 1:
        return "it has a line break, and each example is one line"
    if UNPRINTABLE.search(text):
        return "it has a control character, which a YAML file cannot hold"
    if bot_files.plain_text(text) != text[:5000]:  # plain_text reads the first 5,000 characters
        return "Rasa would read its [..](..) as an entity annotation"
    for marker, what in MARKDOWN_HAZARDS if markdown else ():
        if marker in text:
            return f"its '{marker}' {what} in Markdown"
    if markdown and MARKDOWN_HEADING.search(text):
        return "Rasa 2's Markdown reader would take it for a '## section:' heading"
    return None


def _compose(path: Path, text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        problem = str(error).splitlines()[0]
        raise Refused(f"{path.name} is not valid YAML ({problem}): fix it first (make check)") from error


def _value(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of a key in a composed mapping."""
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next(((k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _intent_block(path: Path, node: yaml.Node | None, intent: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(`examples` key node, its value node) of the intent in one YAML file, or None."""
    nlu = _value(node, "nlu") if node is not None else None
    items = nlu[1].value if nlu and isinstance(nlu[1], yaml.SequenceNode) else []
    for item in items:
        name = _value(item, "intent")
        if name and isinstance(name[1], yaml.ScalarNode) and name[1].value == intent:
            found = _value(item, "examples")
            if not found or not isinstance(found[1], yaml.ScalarNode) or found[1].style != "|":
                raise Refused(
                    f"the examples of '{intent}' in {path.name} are not an `examples: |` block: add it by hand"
                )
            return found
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _after_block(lines: list[str], key: yaml.Node, value: yaml.Node) -> tuple[int, str]:
    """(index of the line after the block's last example, the examples' indentation)."""
    indent, last = None, value.start_mark.line
    for index in range(value.start_mark.line + 1, len(lines)):
        line = lines[index].rstrip("\r")
        if not line.strip():
            continue
        if _indent(line) <= key.start_mark.column or (indent is not None and _indent(line) < indent):
            break
        indent = _indent(line) if indent is None else indent
        last = index
    return last + 1, " " * (key.start_mark.column + 2 if indent is None else indent)


def _after_nlu(lines: list[str], root: yaml.Node) -> tuple[int, str]:
    """(index of the line after the last item of `nlu:`, the items' indentation); blank lines and
    comments at column 0 just before the next top-level key stay with that key."""
    keys = [k for k, _ in root.value]
    nlu_key, nlu = _value(root, "nlu")
    following = [k.start_mark.line for k in keys if k.start_mark.line > nlu_key.start_mark.line]
    end = min(following, default=len(lines))
    while end > nlu_key.start_mark.line + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    items = nlu.value if isinstance(nlu, yaml.SequenceNode) else []
    indent = _indent(lines[items[-1].start_mark.line]) if items else 2
    return end, " " * indent


def _yaml_name(intent: str) -> str:
    return intent if SAFE_NAME.fullmatch(intent) else json.dumps(intent, ensure_ascii=False)


def _yaml_edit(root: Path, intent: str, text: str, version: str) -> tuple[Path, str | None, str]:
    """(file, its text now or None, its new text) for a Rasa 3 bot."""
    for path in bot_files.project_files(root / "data", bot_files.YAML_SUFFIXES):
        old = path.read_text(encoding="utf-8")
        block = _intent_block(path, _compose(path, old), intent)
        if block:
            lines = old.split("\n")
            at, indent = _after_block(lines, *block)
            eol = "\r" if lines[at - 1].endswith("\r") else ""
            lines.insert(at, f"{indent}- {text}{eol}")
            return path, old, "\n".join(lines)
    path = root / "data" / "nlu.yml"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    item = ["", "- intent: " + _yaml_name(intent), "  examples: |", f"    - {text}"]
    node = _compose(path, old) if old else None
    if node is None:
        return path, old, f'{old or ""}version: "{version}"\n\nnlu:' + "\n  ".join(item) + "\n"
    if not isinstance(node, yaml.MappingNode):
        raise Refused(f"{path.name} is not a mapping of keys: fix it first (make check)")
    if not _value(node, "nlu"):
        return path, old, old.rstrip("\n") + "\n\nnlu:" + "\n  ".join(item) + "\n"
    lines = old.split("\n")
    at, indent = _after_nlu(lines, node)
    lines[at:at] = [f"{indent}{line}" if line else "" for line in item]
    return path, old, "\n".join(lines)


def _markdown_edit(root: Path, intent: str, text: str) -> tuple[Path, str | None, str]:
    """(file, its text now or None, its new text) for a Rasa 2 bot (Markdown)."""
    for path in bot_files.project_files(root / "data", (".md",)):
        old = path.read_text(encoding="utf-8")
        if not bot_files.is_markdown_training_data(path, old) or intent not in bot_files.read_markdown(old).examples:
            continue
        lines = old.split("\n")
        plain = bot_files.without_comments(old).split("\n")  # the same lines, comments blanked
        heading = next(
            i for i, line in enumerate(plain) if re.fullmatch(rf"##\s*intent:\s*{re.escape(intent)}\s*", line)
        )
        at = heading + 1
        for index in range(heading + 1, len(plain)):
            if plain[index].strip().startswith("##"):
                break
            if plain[index].strip().startswith("- "):
                at = index + 1
        lines.insert(at, f"- {text}")
        return path, old, "\n".join(lines)
    path = root / "data" / "nlu.md"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    start = (old.rstrip("\n") + "\n\n") if old else ""
    return path, old, f"{start}## intent:{intent}\n- {text}\n"


# --- the write ----------------------------------------------------------------------------------


def _read_back(path: Path, old: str | None, new: str, intent: str, text: str) -> None:
    """Rasa's reader on the new file (in a temporary folder) must add exactly (text, intent)."""
    with tempfile.TemporaryDirectory(prefix="nlu-writer-") as folder:
        before, after = Path(folder) / "before" / path.name, Path(folder) / "after" / path.name
        for file, content in ((before, old), (after, new)):
            file.parent.mkdir()
            if content is not None:
                file.write_text(content, encoding="utf-8")
        try:
            was = Counter(read_examples(before)) if old is not None else Counter()
            now = Counter(read_examples(after))
        except Refused:
            raise
        except Exception as error:  # Rasa's reader failed on the new file: its first line says why
            why = (str(error).splitlines() or [type(error).__name__])[0][:300]
            raise Refused(f"not written: Rasa could not read {path.name} with it: {why}") from error
    added, lost = now - was, was - now
    if added != Counter({(text, intent, False): 1}) or lost:
        read = ", ".join(repr(t[:80]) + (" with an entity" if entities else "") for t, _, entities in added)
        raise Refused(f"not written: Rasa would read it back as {read or 'nothing'}, not as the message")


def _replace(path: Path, content: str | None) -> None:
    """Put content in place of path in one step (None: remove it). A name without .yml/.md first,
    so `make dev`'s watcher sees one save."""
    if content is None:
        path.unlink()
        return
    temporary = path.with_name(f".{path.name}{TEMPORARY_SUFFIX}")
    try:
        temporary.write_bytes(content.encode("utf-8"))
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    finally:
        if temporary.exists():  # the write failed (a full disk): the file itself is untouched
            temporary.unlink()


def _problems(root: Path) -> dict[tuple[str, str, str], check_bot.Problem]:
    """The checker's problems, keyed without their line (an added line moves the lines below it)."""
    return {(p.rule, p.file, p.what): p for p in check_bot.check_bot(root)}


def uses_markdown(root: Path) -> bool:
    """Is the bot's NLU data Rasa 2's Markdown (an NLU .md file in data/, no YAML file with `nlu:`)?"""
    data = root / "data"
    for path in bot_files.project_files(data, bot_files.YAML_SUFFIXES):
        node = _compose(path, path.read_text(encoding="utf-8"))
        if node is not None and _value(node, "nlu"):
            return False
    markdown = bot_files.project_files(data, (".md",))
    return any(bot_files.read_markdown(path.read_text(encoding="utf-8")).kind == "nlu" for path in markdown)


def add_example(root: Path, intent: str, text: str) -> Added:
    """Add `text` as an example of `intent` to the bot in `root`; raises Refused with why not."""
    root = Path(root).resolve()
    markdown = uses_markdown(root)
    text = text.strip()  # as Rasa keeps a message
    why = unwritable(text, markdown)
    if why:
        raise Refused(f"not written: {why}")
    owner = known_examples(root).get(example_key(text))
    if owner == intent:
        return Added(root / "data", False, f"already an example of '{intent}'")
    if owner:
        raise Refused(f"not written: it is an example of '{owner}' already (one example, one intent)")
    domain = bot_files.read_domain(root, yaml.safe_load)
    version = str(domain.get("version", "3.1"))
    path, old, new = _markdown_edit(root, intent, text) if markdown else _yaml_edit(root, intent, text, version)
    _read_back(path, old, new, intent, text)
    before = _problems(root)
    _replace(path, new)
    added = [problem for key, problem in _problems(root).items() if key not in before]
    if check_bot.errors(added):
        _replace(path, old)
        raise Refused("not written: the checker refused it:\n" + "\n".join(map(str, check_bot.errors(added))))
    advice = "".join(f"\n{problem}" for problem in added)  # warnings: the example is still right
    return Added(path, True, f"added to '{intent}' in {path.relative_to(root).as_posix()}{advice}")

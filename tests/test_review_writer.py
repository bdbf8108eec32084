"""make review's writer (the bot's scripts/nlu_writer.py) on baked bots, in their pinned Rasa venvs
(marker `rasa`; no training, a few seconds per line): Rasa 3.6's YAML with comments and Rasa 2.8's
Markdown. An example is appended to its intent, once; the file's comments and order stay; hostile
texts are read back by Rasa's own reader (rasa.shared.nlu.training_data.loading.load_data) exactly
as they were, or refused with the reason; a refused write leaves data/ byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from harness import venvs
from harness.bots import bake

pytestmark = pytest.mark.rasa

PLANTED = "wobble snorkel plink"
# Texts Rasa must read back exactly: HTML/JS, RTL and a bidi override, YAML's special characters,
# a leading "- ", 10 kB.
HOSTILE = [
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "مرحبا، كيف حالك؟ \u202eevil",
    "- - a leading dash",
    "# not a comment",
    "key: value",
    "{a: [b, c]} 'single' \"double\"",
    "&anchor *alias !tag | > % @ ` ---",
    "a trailing backslash \\",
    "😀 שלום",
    "ten kilobytes" + " lorem ipsum" * 852,
]
# Refused, with the reason: a line break of any kind, a control character, entity annotations.
REFUSED = {
    "two\nlines": "line break",
    "crlf\r\nline": "line break",
    "line\u2028separator": "line break",
    "next\x85line": "line break",
    "bell\x07": "control character",
    "book [Paris](city) now": "entity annotation",
    'book [Paris]{"entity": "city"} now': "entity annotation",
    "   ": "empty",
    "/greet": "names an intent",
}
MARKDOWN_REFUSED = {"a <!-- comment": "HTML comment", "see ## intent: x": "heading", "tab\there": "could not read"}

# Runs in the bot's venv: each operation's result and a digest of data/ after it, then every example
# of the file Rasa's reader gives.
DRIVER = r"""
import hashlib, json, sys
from pathlib import Path
sys.path.insert(0, "scripts")
import nlu_writer

def digest():
    files = sorted(p for p in Path("data").rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.as_posix().encode() + p.read_bytes() for p in files)).hexdigest()

results = []
for intent, text in json.load(sys.stdin):
    try:
        added = nlu_writer.add_example(Path("."), intent, text)
        results.append({"written": added.written, "message": added.message, "refused": None, "data": digest()})
    except nlu_writer.Refused as refused:
        results.append({"written": False, "message": None, "refused": str(refused), "data": digest()})
examples = [list(e) for path in sorted(Path("data").glob("nlu.*")) for e in nlu_writer.read_examples(path)]
print(json.dumps({"results": results, "examples": examples}))
"""


def run_driver(bot: Path, venv: Path, operations: list[tuple[str, str]]) -> dict:
    env = venvs.rasa_env(bot.parent / "run", venv=venv)
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", DRIVER], cwd=bot, input=json.dumps(operations),
                          capture_output=True, text=True, timeout=600, env=env, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def data_digest(bot: Path) -> str:
    files = sorted(p for p in (bot / "data").rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(bot).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def without_added(text: str, added: list[str], prefix: str) -> str:
    """The file with the lines the writer added taken out."""
    wanted = {f"{prefix}- {line}" for line in added}
    return "\n".join(line for line in text.split("\n") if line not in wanted)


YAML_COMMENTS = {  # test-only comments where an edit could lose them
    "  - intent: greet\n    examples: |\n": "  - intent: greet  # the greetings\n    examples: |  # one per line\n",
    "      - hey you\n\n": "      - hey you\n  # end of greet, a comment at the items' level\n\n",
}


@pytest.fixture(scope="module")
def bot36(tmp_path_factory):
    path = bake({"project_slug": "writer36"}, tmp_path_factory.mktemp("writer36"))
    nlu = path / "data" / "nlu.yml"
    text = nlu.read_text(encoding="utf-8")
    for old, new in YAML_COMMENTS.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    nlu.write_text(text, encoding="utf-8")
    try:
        return path, venvs.rasa_venv(path)
    except venvs.ToolchainUnavailable as error:
        venvs.unavailable(error)


@pytest.fixture(scope="module")
def bot28(tmp_path_factory):
    path = bake({"project_slug": "writer28", "rasa_version": "2.8"}, tmp_path_factory.mktemp("writer28"))
    nlu = path / "data" / "nlu.md"
    text = nlu.read_text(encoding="utf-8")
    nlu.write_text(text.replace("- hey you\n", "- hey you\n<!-- end of greet -->\n", 1), encoding="utf-8")
    try:
        return path, venvs.rasa_venv(path)
    except venvs.ToolchainUnavailable as error:
        venvs.unavailable(error)


def check_writes(bot: Path, venv: Path, nlu: Path, prefix: str, refused: dict[str, str]) -> None:
    original = nlu.read_text(encoding="utf-8")
    operations = [("greet", PLANTED), ("greet", PLANTED), ("greet", "HELLO   there"), ("goodbye", "hello there")]
    operations += [("out_of_scope", text) for text in HOSTILE]
    operations += [("greet", text) for text in refused] + [("no_such_intent", "a new intent nowhere declared")]
    before = data_digest(bot)
    out = run_driver(bot, venv, operations)
    results = dict(zip(range(len(operations)), out["results"]))

    first, again, case, other = (results[i] for i in range(4))
    assert first["written"] and first["message"].startswith("added to 'greet' in data/nlu."), first
    assert not again["written"] and again["data"] == first["data"], "the same example was written twice"
    assert not case["written"] and case["refused"] is None and case["data"] == first["data"], case
    assert "is an example of 'greet' already" in other["refused"] and other["data"] == first["data"]
    for index, text in enumerate(HOSTILE, start=4):
        assert results[index]["written"], (text[:40], results[index])
    last_good = results[3 + len(HOSTILE)]["data"]
    for index, (text, reason) in enumerate(refused.items(), start=4 + len(HOSTILE)):
        assert reason in results[index]["refused"], (text, results[index])
        assert results[index]["data"] == last_good, f"a refused write changed data/: {text!r}"
    checker = results[len(operations) - 1]
    assert "the checker refused it" in checker["refused"] and "D104" in checker["refused"], checker
    assert checker["data"] == last_good, "the checker's refusal did not put the file back"
    assert data_digest(bot) != before

    # Rasa's reader gives back every text exactly, under its intent, with no entity.
    examples = [tuple(e) for e in out["examples"]]
    assert (PLANTED, "greet", False) in examples
    for text in HOSTILE:
        assert examples.count((text, "out_of_scope", False)) == 1, text[:40]
    # Comments, order and everything else: the file is the original plus the added lines.
    now = nlu.read_text(encoding="utf-8")
    assert without_added(now, [PLANTED, *HOSTILE], prefix) == original
    lines = now.split("\n")
    assert lines.index(f"{prefix}- {PLANTED}") == lines.index(f"{prefix}- hey you") + 1, (
        "not after greet's last example"
    )


def test_yaml_writer_keeps_comments_and_round_trips(bot36):
    bot, venv = bot36
    check_writes(bot, venv, bot / "data" / "nlu.yml", "      ", REFUSED)
    text = (bot / "data" / "nlu.yml").read_text(encoding="utf-8")
    assert "      - wobble snorkel plink\n  # end of greet, a comment at the items' level\n" in text


def test_markdown_writer_keeps_comments_and_round_trips(bot28):
    bot, venv = bot28
    check_writes(bot, venv, bot / "data" / "nlu.md", "", {**REFUSED, **MARKDOWN_REFUSED})
    assert "- hey you\n- wobble snorkel plink\n<!-- end of greet -->\n" in (bot / "data" / "nlu.md").read_text()


def test_an_intent_without_examples_gets_its_block_at_the_end(bot36, tmp_path):
    """An intent of the domain with no example yet: a new `- intent:` item after the last one."""
    bot, venv = bot36
    domain = bot / "domain.yml"
    domain_text = domain.read_text(encoding="utf-8")
    nlu_text = (bot / "data" / "nlu.yml").read_text(encoding="utf-8")
    domain.write_text(
        domain_text.replace("  - out_of_scope\n", "  - out_of_scope\n  - ask_weather\n"), encoding="utf-8"
    )
    try:
        out = run_driver(bot, venv, [("ask_weather", "will it rain: tomorrow?")])
        (result,) = out["results"]
        assert result["written"], result
        assert "D102" in result["message"], "the checker's warning (few examples) is reported"
        assert ["will it rain: tomorrow?", "ask_weather", False] in out["examples"]
        now = (bot / "data" / "nlu.yml").read_text(encoding="utf-8")
        added = "\n  - intent: ask_weather\n    examples: |\n      - will it rain: tomorrow?\n"
        assert now == nlu_text.rstrip("\n") + "\n" + added, now[-300:]
    finally:
        domain.write_text(domain_text, encoding="utf-8")
        (bot / "data" / "nlu.yml").write_text(nlu_text, encoding="utf-8")

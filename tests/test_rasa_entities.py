"""Real Rasa 3.6: the `light` pipeline extracts the entities a user marks the way the bot README
says, and DucklingEntityExtractor asks the server that RASA_DUCKLING_HTTP_URL names.

One bake with duckling=yes, one training (the light pipeline: seconds), one process that parses.
Duckling itself is a stand-in here: a small HTTP server in this test that records each request and
answers one fixed `number` match. It proves the wiring (the variable wins over config.yml's url, on a
model trained without it; the request Rasa sends; the answer reaches the parse). It cannot prove
that Duckling parses dates or numbers, nor that the rasa/duckling image starts and answers its
healthcheck: no registry is reachable here, so no real Duckling runs in any tier.
"""

from __future__ import annotations

import json

import pytest

from harness import rasa_cli, stand_ins, venvs
from harness.bots import prepare

pytestmark = pytest.mark.rasa

NAME_EXAMPLES = """
  - intent: tell_name
    examples: |
      - my name is [Anna](name)
      - I am [Carla](name)
      - call me [Dave](name)
      - they call me [Eve](name)
      - [Frank](name) is my name
      - my name's [Bobby](name:Bob)
  - lookup: name
    examples: |
      - Anna
      - Gustav
"""
# One Duckling match, as the real server writes it.
NUMBER = {"body": "two", "start": 0, "end": 3, "dim": "number", "latent": False, "value": {"value": 2, "type": "value"}}
PARSE = """
import asyncio, json, sys
import skops.io  # before Rasa, as scripts/rasa_run.py does (it is slow to import after TensorFlow)
from rasa.core.agent import Agent

agent = Agent.load(sys.argv[1])
print("PARSED " + json.dumps([asyncio.run(agent.parse_message(text)) for text in sys.argv[2:]]))
"""


class Duckling(stand_ins.RecordingAPI):
    """Duckling's POST /parse: answers every text with one number match."""

    calls: list[tuple[str, dict]] = []

    @staticmethod
    def reply(path: str) -> tuple[int, list]:
        return 200, [NUMBER]


@pytest.fixture(scope="module")
def duckling_stand_in():
    with stand_ins.serving(Duckling) as url:
        yield url


def test_light_extracts_marked_entities_and_asks_the_duckling_of_the_environment(tmp_path, duckling_stand_in):
    try:
        bot = prepare({"rasa_version": "3.6", "nlu_pipeline": "light", "duckling": True}, tmp_path)
    except venvs.ToolchainUnavailable as exc:
        venvs.unavailable(exc)
    with (bot.path / "data" / "nlu.yml").open("a") as nlu:
        nlu.write(NAME_EXAMPLES)
    domain = bot.path / "domain.yml"
    domain.write_text(domain.read_text().replace("intents:\n", "entities:\n  - name\n\nintents:\n  - tell_name\n", 1))
    model = rasa_cli.train(bot, tmp_path / "models")  # config.yml's url (localhost:8000) has no server

    script = tmp_path / "parse.py"
    script.write_text(PARSE)
    texts = ["call me Gustav", "my name's Bobby", "hello there"]
    env = {"RASA_DUCKLING_HTTP_URL": duckling_stand_in}
    result = rasa_cli.run(bot, "python", str(script), str(model), *texts, label="parse", env=env).check()
    parsed = json.loads(next(line for line in result.output.splitlines() if line.startswith("PARSED "))[7:])

    found = [{(e["entity"], str(e["value"]), e["extractor"]) for e in p["entities"]} for p in parsed]
    duckling = ("number", "2", "DucklingEntityExtractor")
    assert found[0] == {("name", "Gustav", "CRFEntityExtractor"), duckling}, "a name only the lookup table has"
    assert found[1] == {("name", "Bob", "CRFEntityExtractor"), duckling}, "the synonym maps Bobby to Bob"
    assert found[2] == {duckling}
    assert [p["intent"]["name"] for p in parsed[:2]] == ["tell_name", "tell_name"]
    assert [(path, fields["text"], json.loads(fields["dims"])) for path, fields in Duckling.calls] == [
        ("/parse", text, ["time", "number", "amount-of-money"]) for text in texts
    ]

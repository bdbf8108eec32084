"""Parse texts with a trained model; run by benchmarks/run.py with the *Rasa* venv's Python.

python parse.py MODEL.tar.gz TEXTS.json OUT.json      # OUT: the intent Rasa returns, per text
"""

import asyncio
import json
import sys

from rasa.core.agent import Agent


async def main(model: str, texts: list) -> list:
    agent = Agent.load(model)
    return [(await agent.parse_message(text))["intent"]["name"] for text in texts]


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as file:
        intents = asyncio.run(main(sys.argv[1], json.load(file)))
    with open(sys.argv[3], "w", encoding="utf-8") as file:
        json.dump(intents, file)

"""Parse messages with a trained Rasa model; run with the *Rasa* venv's python (3.10).

    python parse_messages.py MODEL.tar.gz MESSAGES.json OUT.json

MESSAGES.json is a JSON list of texts. OUT.json gets the load time and, per text, the intent
Rasa returns (``nlu_fallback`` when the FallbackClassifier fired) and the full intent ranking,
so that other fallback thresholds can be evaluated without retraining.
"""

import asyncio
import json
import sys
import time


async def parse_all(agent, texts):
    results = []
    for text in texts:
        start = time.perf_counter()
        parsed = await agent.parse_message(text)
        results.append(
            {
                "text": text,
                "intent": parsed["intent"]["name"],
                "confidence": parsed["intent"]["confidence"],
                "ranking": [[r["name"], r["confidence"]] for r in parsed.get("intent_ranking", [])],
                "ms": (time.perf_counter() - start) * 1000,
            }
        )
    return results


def main() -> None:
    model, messages, out = sys.argv[1:4]
    with open(messages, encoding="utf-8") as f:
        texts = json.load(f)
    start = time.perf_counter()
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    load_s = time.perf_counter() - start
    results = asyncio.run(parse_all(agent, texts))
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"load_s": load_s, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()

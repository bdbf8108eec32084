"""`make dev`'s one definition of what it watches (scripts/dev.py: RETRAIN, RESTART), and the bot
README that describes it. No Rasa needed; test_dev_loop.py runs the loop itself."""

from __future__ import annotations

import copy
import re

import pytest

import dev
import finetune


@pytest.mark.parametrize(
    ("path", "retrains", "restarts"),
    [
        ("data/nlu.yml", True, False),
        ("data/stories.md", True, False),
        ("data/more/faq.yaml", True, False),
        ("domain.yml", True, False),
        ("domain/chitchat.yml", True, False),
        ("config/config.yml", True, False),
        ("actions/actions.py", False, True),
        ("actions/sub/helpers.py", False, True),
        ("data/notes.txt", False, False),
        ("config/endpoints.yml", False, False),  # read when Rasa starts, not trained from
        ("actions/__pycache__/actions.cpython-310.pyc", False, False),
        ("actions/jokes.txt", False, False),  # read on every call: no restart needed
        ("tests/test_stories.yml", False, False),
        ("mydata/nlu.yml", False, False),
    ],
)
def test_what_retrains_and_what_restarts_the_action_server(path, retrains, restarts):
    assert (dev.RETRAIN.covers(path), dev.RESTART.covers(path)) == (retrains, restarts)


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


@pytest.mark.parametrize("custom_actions", [True, False])
def test_the_readme_names_exactly_what_dev_py_watches(bake_once, custom_actions):
    readme = bake_once(custom_actions=custom_actions).text("README.md")
    section = readme.split("## Edit and try it at once: `make dev`", 1)[1].split("\n## ", 1)[0]
    sentence = re.search(r"then watches the training files: (.+?)\.(?:\s|$)", section, re.DOTALL)
    assert sentence, section
    retrain = dev.RETRAIN
    assert backticked(sentence.group(1)) == {*retrain.files, *(f"{f}/" for f in retrain.folders), *retrain.suffixes}
    restart = re.search(r"Saving a (.+?) restarts the action server\.", section, re.DOTALL)
    if custom_actions:
        assert restart, section
        assert backticked(restart.group(1)) == {*dev.RESTART.files, *(f"{f}/" for f in dev.RESTART.folders),
                                               *dev.RESTART.suffixes}  # fmt: skip
    else:
        assert not restart and "action server" not in section, section


# -- fine-tune or from scratch (scripts/finetune.py): a pure function of the bot's files ---------------

CONFIG = {
    "language": "en",
    "pipeline": [{"name": "DIETClassifier", "epochs": 100}],
    "policies": [{"name": "TEDPolicy"}],
}
DOMAIN = {
    "intents": ["greet", "goodbye"],
    "entities": ["name"],
    "slots": {"name": {"type": "text", "mappings": [{"type": "from_entity", "entity": "name"}]}},
    "responses": {"utter_greet": [{"text": "Hi!"}], "utter_goodbye": [{"text": "Bye"}]},
    "actions": ["action_hello"],
}
NLU = {"nlu": [{"intent": "greet", "examples": "- hi\n- hello there\n- I am [Anna](name)\n"},
               {"intent": "goodbye", "examples": "- bye\n- see you\n"}]}  # fmt: skip


def changed(edit) -> str | None:
    """Why a bot edited by edit(config, domain, nlu) trains from scratch; None: it is fine-tuned."""
    config, domain, nlu = copy.deepcopy(CONFIG), copy.deepcopy(DOMAIN), copy.deepcopy(NLU)
    edit(config, domain, nlu)
    return finetune.changed_labels(finetune.labels(CONFIG, DOMAIN, [NLU]), finetune.labels(config, domain, [nlu]))


def example(nlu, intent: str, text: str) -> None:
    next(i for i in nlu["nlu"] if i["intent"] == intent)["examples"] += f"- {text}\n"


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda c, d, n: None, None),
        (lambda c, d, n: example(n, "greet", "hello bye"), None),  # a new example of known words
        (lambda c, d, n: example(n, "goodbye", "hi"), None),  # an example moved to another intent
        (lambda c, d, n: n["nlu"][0].update(examples="- hi\n- I am [Anna](name)\n"), None),  # one removed
        (lambda c, d, n: d["responses"]["utter_greet"].append({"text": "Hello!"}), None),  # response texts
        (lambda c, d, n: d["responses"].update(utter_greet=[{"text": "Hey"}]), None),
        (
            lambda c, d, n: n.update(rules=[{"rule": "r", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]}]),
            None,
        ),  # a new rule or story: TED fine-tunes on it
        (
            lambda c, d, n: example(n, "greet", "howdy partner"),
            "new words 'howdy', 'partner': a fine-tune keeps the model's vocabulary",
        ),
        (
            lambda c, d, n: example(n, "greet", "I am [Bob](name)"),
            "new word 'bob': a fine-tune keeps the model's vocabulary",
        ),
        (lambda c, d, n: d["intents"].append("ask_weather"), "new intent 'ask_weather'"),
        (lambda c, d, n: d["intents"].remove("goodbye"), "intent 'goodbye' removed"),
        (lambda c, d, n: n["nlu"].append({"intent": "ask", "examples": "- hi\n"}), "new intent with examples 'ask'"),
        (lambda c, d, n: n["nlu"].pop(), "no example left for intent 'goodbye'"),
        (
            lambda c, d, n: d["responses"].update(utter_weather=[{"text": "Sunny"}]),
            "new action or response 'utter_weather'",
        ),
        (lambda c, d, n: d["actions"].append("action_weather"), "new action or response 'action_weather'"),
        (
            lambda c, d, n: d.update(forms={"weather_form": {"required_slots": ["name"]}}),
            "new action or response 'weather_form'",
        ),
        (lambda c, d, n: d["slots"].update(city={"type": "text", "mappings": []}), "new slot 'city'"),
        (lambda c, d, n: d["slots"]["name"].update(influence_conversation=True), "slot 'name' changed"),
        (lambda c, d, n: d["slots"].clear(), "slot 'name' removed"),
        (lambda c, d, n: d["entities"].append("city"), "new entity 'city'"),
        (lambda c, d, n: d["entities"].__setitem__(0, {"name": {"roles": ["from"]}}), "new entity 'name (role from)'"),
        (
            lambda c, d, n: example(n, "greet", 'I am [Anna]{"entity": "name", "role": "from"}'),
            "new entity 'name (role from)'",
        ),
        (
            lambda c, d, n: n["nlu"].append({"lookup": "name", "examples": "- Anna\n"}),
            "new regex or lookup table 'lookup name'",
        ),
        (lambda c, d, n: c["pipeline"][0].update(epochs=50), "config/config.yml changed"),
        (lambda c, d, n: c.update(language="de"), "config/config.yml changed"),
    ],
)
def test_a_save_fine_tunes_only_when_it_keeps_the_labels(edit, why):
    assert changed(edit) == why


def test_a_fine_tune_keeps_the_vocabulary_of_the_last_training_from_scratch():
    served = finetune.Served("models/a.tar.gz", finetune.labels(CONFIG, DOMAIN, [NLU]), 0.2)
    fewer = copy.deepcopy(NLU)
    fewer["nlu"][0]["examples"] = "- hi\n- I am [Anna](name)\n"  # "hello" and "there" are gone
    served.follow("models/b.tar.gz", finetune.labels(CONFIG, DOMAIN, [fewer]), tuned=True)
    assert finetune.why_from_scratch(served, finetune.labels(CONFIG, DOMAIN, [NLU]), ["data/nlu.yml"]) is None
    served.follow("models/c.tar.gz", finetune.labels(CONFIG, DOMAIN, [fewer]), tuned=False)  # from scratch
    assert "new words 'hello', 'there'" in finetune.why_from_scratch(served, finetune.labels(CONFIG, DOMAIN, [NLU]), [])


def test_a_save_of_the_config_or_no_model_yet_trains_from_scratch():
    labels = finetune.labels(CONFIG, DOMAIN, [NLU])
    served = finetune.Served("models/a.tar.gz", labels, 0.2)
    assert finetune.why_from_scratch(served, labels, ["data/nlu.yml"]) is None
    assert finetune.why_from_scratch(served, labels, ["data/nlu.yml", "config/config.yml"]) == "config/config.yml saved"
    assert finetune.why_from_scratch(finetune.Served(), labels, []) == "no model to fine-tune yet"


@pytest.mark.parametrize(
    ("config", "tunable"),
    [
        (CONFIG, True),
        ({"pipeline": [{"name": "LogisticRegressionClassifier"}], "policies": [{"name": "RulePolicy"}]}, False),
        ({"pipeline": [{"name": "ResponseSelector"}], "policies": None}, True),
        ({"pipeline": None, "policies": None}, False),  # Rasa's defaults: left to a training from scratch
        ({}, False),
    ],
)
def test_only_pipelines_that_train_for_epochs_are_fine_tuned(config, tunable):
    assert finetune.fine_tunable(config) is tunable


def test_rasa_s_refusal_is_one_sentence():
    message = ('Rasa refused the training (HTTP 500): {"message": "An unexpected error occurred during training. '
               "Error: Cannot finetune because keys that affect the training of core components have changed."
               'Please revert all settings in your domain file"}')  # fmt: skip
    assert finetune.refusal(message) == (
        "Cannot finetune because keys that affect the training of core components have changed."
    )
    assert finetune.refusal("cannot reach http://x: refused") == "cannot reach http://x: refused"


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "x", "nan"])
def test_a_bad_epoch_fraction_is_refused_in_one_line(value, capsys):
    parser = dev.argparse.ArgumentParser(prog="dev.py")
    parser.add_argument("--epoch-fraction", type=dev.epoch_fraction)
    with pytest.raises(SystemExit):
        parser.parse_args(["--epoch-fraction", value])
    error = capsys.readouterr().err.splitlines()[-1]
    assert error == f"dev.py: error: argument --epoch-fraction: {value!r} is not a number above 0 and at most 1"
    assert dev.epoch_fraction("0.2") == 0.2


def test_labels_of_malformed_files_are_read_past_not_a_traceback():
    # What the checker reports (dev.py checks first); the labels must not be the one to crash.
    odd = [["not", "a", "mapping"], {"nlu": "text"}, {"nlu": [None, {"intent": ["x"], "examples": 3}]}]
    labels = finetune.labels({}, {"intents": None, "entities": [{"a": "b"}], "slots": []}, odd)
    assert labels["intent"] == set() and labels["entity"] == {"a"} and labels["slot"] == {}
    assert finetune.changed_labels(labels, finetune.labels({}, {}, [])) == "entity 'a' removed"

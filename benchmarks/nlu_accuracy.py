#!/usr/bin/env python3
"""Paraphrase evaluation of the template's NLU pipelines (a measurement, not a test).

For each pipeline: bake a bot, ``rasa train nlu`` on its data/nlu.yml (fresh training cache,
timed), load the model and parse every message of benchmarks/paraphrases/<language>.yml, then print

    pipeline | train s | in-scope accuracy | out-of-scope caught | model size | ...

Pipelines: the template's ``light``, ``diet``, ``spacy`` (skipped when the Rasa venv has no
English spaCy model) and ``rasa-default``: the config.yml that ``rasa init`` writes (copied from
``rasa/cli/initial_project/`` in the venv; its empty pipeline is filled in by Rasa at training
time with ``rasa/engine/recipes/config_files/default_config.yml``: DIET, ResponseSelector,
FallbackClassifier 0.3 / ambiguity 0.1). ``--pipelines`` also accepts the tuning candidates of
CANDIDATES below.

Run with the dev venv (it has cookiecutter); the Rasa venv is the cached pinned one:

    /root/.cache/cookiecutter-rasa/dev-venv/bin/python benchmarks/nlu_accuracy.py --repeats 2
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PARAPHRASES,
    PARSE_SCRIPT,
    SPACY_PROBE,
    bake,
    bytecode_env,
    human_size,
    machine_summary,
    markdown_table,
    rasa_env,
    rasa_venv,
    run_timed,
    tail,
    work_dir,
)

TEMPLATE_PIPELINES = ["light", "diet", "spacy"]
DEFAULT_PIPELINES = [*TEMPLATE_PIPELINES, "rasa-default"]
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"  # the template's intent for messages it cannot help with
REJECTED = {FALLBACK, OUT_OF_SCOPE}  # both are answered with utter_default

# Tuning candidates for the `light` flavour (pipeline blocks; policies do not matter for NLU).
# All keep light's cost (sparse counts + logistic regression, no TensorFlow training).
_LIGHT = """
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: {min_ngram}
    max_ngram: {max_ngram}
  - name: LogisticRegressionClassifier
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: {threshold}
    ambiguity_threshold: 0.1
"""
CANDIDATES: dict[str, str] = {
    # light's features with Rasa's default fallback thresholds (0.3 / ambiguity 0.1)
    "light-t0.3": _LIGHT.format(min_ngram=1, max_ngram=4, threshold=0.3),
    # no single-character n-grams (they occur in every message and drown the signal)
    "light-c24": _LIGHT.format(min_ngram=2, max_ngram=4, threshold=0.3),
    # ... and up to 5-grams (whole short words such as "happy", "human")
    "light-c25": _LIGHT.format(min_ngram=2, max_ngram=5, threshold=0.3),
}


# --------------------------------------------------------------------------------------------
# Data


def normalise(text: str) -> str:
    """Case, punctuation and spacing do not make a new message (Rasa's tokenizer drops them)."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def near_duplicates(texts: list[str], training: dict[str, str], threshold: float = 0.75) -> list[str]:
    """Pairs (paraphrase, training example) whose word sets overlap by >= threshold (Jaccard)."""
    found = []
    for text in texts:
        words = set(normalise(text).split())
        for example in training:
            other = set(example.split())
            if words and other and len(words & other) / len(words | other) >= threshold:
                found.append(f"{text!r} ~ {example!r} ({training[example]})")
    return found


def training_examples(nlu_file: Path) -> dict[str, str]:
    """normalised text -> intent, from a Rasa 3 YAML NLU file."""
    examples = {}
    for block in yaml.safe_load(nlu_file.read_text(encoding="utf-8"))["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            text = line.strip()
            if text.startswith("- "):
                examples[normalise(text[2:])] = block["intent"]
    return examples


def eval_file(language: str) -> Path:
    """The held-out set of one language: paraphrases/<ISO code>.yml (see paraphrases/en.yml)."""
    return PARAPHRASES.with_name(f"{language}.yml")


def load_paraphrases(nlu_file: Path, language: str = "en") -> tuple[list[tuple[str, str]], list[str]]:
    """([(text, intent)], [out-of-scope text]); asserts that no text is a training example."""
    data = yaml.safe_load(eval_file(language).read_text(encoding="utf-8"))
    in_scope = [(text, intent) for intent, texts in data["in_scope"].items() for text in texts]
    out_of_scope = list(data["out_of_scope"])
    training = training_examples(nlu_file)

    all_texts = [text for text, _ in in_scope] + out_of_scope
    leaked = sorted(t for t in all_texts if normalise(t) in training)
    assert not leaked, f"paraphrases that are training examples of {nlu_file}: {leaked}"
    seen: dict[str, int] = {}
    for text in all_texts:
        seen[normalise(text)] = seen.get(normalise(text), 0) + 1
    duplicates = sorted(t for t, n in seen.items() if n > 1)
    assert not duplicates, f"duplicate paraphrases: {duplicates}"
    unknown = {intent for _, intent in in_scope} - set(training.values())
    assert not unknown, f"paraphrase intents missing from {nlu_file}: {unknown}"
    intents = set(training.values()) - {OUT_OF_SCOPE}
    counts = {intent: sum(1 for _, i in in_scope if i == intent) for intent in intents}
    assert min(counts.values()) >= 12, f"need >= 12 paraphrases per intent: {counts}"
    return in_scope, out_of_scope


# --------------------------------------------------------------------------------------------
# Scoring (also offline, from the intent ranking, for other fallback thresholds)


def fallback_decision(ranking: list[list], threshold: float, ambiguity: float) -> str:
    """The intent Rasa's FallbackClassifier would give for this raw ranking."""
    raw = [(name, conf) for name, conf in ranking if name != FALLBACK]
    if not raw:
        return FALLBACK
    top, second = raw[0][1], (raw[1][1] if len(raw) > 1 else None)
    if top < threshold or (second is not None and top - second < ambiguity):
        return FALLBACK
    return raw[0][0]


@dataclass
class Score:
    in_scope_acc: float
    fallback_recall: float  # out-of-scope messages that got nlu_fallback or out_of_scope
    false_fallbacks: int  # in-scope messages that got nlu_fallback or out_of_scope
    raw_acc: float  # top intent ignoring the fallback
    per_intent: dict[str, float]
    errors: list[str] = field(default_factory=list)


def score(results: list[dict], in_scope: list[tuple[str, str]], out_of_scope: list[str], predict=None) -> Score:
    by_text = {r["text"]: r for r in results}
    predict = predict or (lambda r: r["intent"])
    correct, false_fb, raw_ok, errors = 0, 0, 0, []
    # In scope: right intent only. Out of scope: nlu_fallback or the out_of_scope intent.
    per_intent: dict[str, list[int]] = {}
    for text, intent in in_scope:
        r = by_text[text]
        got = predict(r)
        raw_top = next((n for n, _ in r["ranking"] if n != FALLBACK), None)
        ok = got == intent
        correct += ok
        false_fb += got in REJECTED
        raw_ok += raw_top == intent
        per_intent.setdefault(intent, []).append(ok)
        if not ok:
            errors.append(f"{text!r}: want {intent}, got {got} (top {raw_top} {_top_conf(r):.2f})")
    fb_hits = 0
    for text in out_of_scope:
        r = by_text[text]
        got = predict(r)
        fb_hits += got in REJECTED
        if got not in REJECTED:
            errors.append(f"{text!r} (out of scope): got {got} {_top_conf(r):.2f}")
    return Score(
        in_scope_acc=correct / len(in_scope),
        fallback_recall=fb_hits / len(out_of_scope),
        false_fallbacks=false_fb,
        raw_acc=raw_ok / len(in_scope),
        per_intent={i: sum(v) / len(v) for i, v in per_intent.items()},
        errors=errors,
    )


def _top_conf(r: dict) -> float:
    return next((c for n, c in r["ranking"] if n != FALLBACK), 0.0)


# --------------------------------------------------------------------------------------------
# Pipelines


def rasa_init_config(venv: Path) -> Path:
    """The config.yml that `rasa init` copies into a new project (from the venv's rasa package)."""
    matches = sorted((venv / "lib").glob("python3*/site-packages/rasa/cli/initial_project/config.yml"))
    if not matches:
        raise FileNotFoundError(f"no rasa/cli/initial_project/config.yml in {venv}")
    return matches[0]


def probe_spacy(venv: Path, preferred: str, env: dict[str, str]) -> dict:
    import subprocess

    proc = subprocess.run(
        [str(venv / "bin" / "python"), str(SPACY_PROBE), preferred],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"ok": False, "reason": f"probe exited {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


@dataclass
class Prepared:
    name: str
    bot: Path
    config: Path
    note: str = ""
    skipped: str = ""
    env: dict[str, str] = field(default_factory=dict)  # e.g. PYTHONPATH of the spaCy overlay


def spacy_overlay(venv: Path) -> tuple[dict[str, str], str]:
    """The spaCy overlay of tests/rasa_harness.py (spaCy + a stand-in English model on PYTHONPATH,
    never installed into the shared venv), if that module is there: ({PYTHONPATH}, note)."""
    try:
        import rasa_harness
    except ImportError as exc:
        return {}, f"no tests/rasa_harness.py overlay ({exc})"
    try:
        overlay = rasa_harness.spacy_overlay(venv)
    except Exception as exc:  # noqa: BLE001 - report any failure as "skipped"
        return {}, f"the spaCy overlay of tests/rasa_harness.py failed: {exc}"
    return {"PYTHONPATH": str(overlay)}, f"overlay {overlay.name} (tests/spacy-stand-in.txt)"


def prepare(name: str, root: Path, venv_for, env_for, language: str = "en") -> Prepared:
    """Bake the bot for ``name`` and write the config to train with."""
    flavour = name if name in TEMPLATE_PIPELINES else "light"
    if name == "spacy" and language != "en":  # the venv's stand-in model is English
        return Prepared(name, root, root, skipped=f"no {language} spaCy model in this venv")
    bot, _ = bake(root / "bots" / name, nlu_pipeline=flavour, language=language)
    config = bot / "config" / "config.yml"
    if name == "rasa-default":
        source = rasa_init_config(venv_for(bot))
        config = bot / "config" / "rasa-init-config.yml"
        config.write_text(re.sub(r"(?m)^language: en$", f"language: {language}", source.read_text()))
        return Prepared(name, bot, config, note=f"config from {source.relative_to(venv_for(bot))} (= rasa init's)")
    if name in CANDIDATES:
        text = config.read_text()
        start, end = text.index("pipeline:\n") + len("pipeline:\n"), text.index("\npolicies:")
        config = bot / "config" / f"{name}.yml"
        config.write_text(text[:start] + CANDIDATES[name].strip("\n") + "\n" + text[end:])
        return Prepared(name, bot, config, note="candidate config")
    if name == "spacy":
        venv = venv_for(bot)
        configured = yaml.safe_load(config.read_text())["pipeline"][0].get("model", "en_core_web_md")
        probe = probe_spacy(venv, configured, {**rasa_env(root / "spacy-probe", venv=venv), **env_for(bot)})
        overlay_note = ""
        if not probe["ok"]:  # not in the venv itself: try the test-suite's overlay
            overlay_env, overlay_note = spacy_overlay(venv)
            prefix = env_for(bot).get("PYTHONPYCACHEPREFIX")
            if overlay_env and prefix:  # warm bytecode: precompile the overlay too
                bytecode_env(venv, "warm", extra_paths=[Path(overlay_env["PYTHONPATH"])], pycache=Path(prefix))
            if overlay_env:
                probe = probe_spacy(
                    venv, configured, {**rasa_env(root / "spacy-probe", venv=venv), **env_for(bot), **overlay_env}
                )
        if not probe["ok"]:
            reason = probe["reason"] + (f"; {overlay_note}" if overlay_note else "")
            return Prepared(name, bot, config, skipped=f"no spaCy model in this venv: {reason}")
        if probe["model"] != configured:
            text = config.read_text().replace(f"model: {configured}", f"model: {probe['model']}")
            config = bot / "config" / "spacy-local.yml"
            config.write_text(text)
        note = f"spaCy model {probe['model']} ({probe['note']})" + (f", {overlay_note}" if overlay_note else "")
        if probe["model"] != configured:
            note += f" INSTEAD OF the template's {configured}: a stand-in, not the Docker image's model"
        return Prepared(name, bot, config, note=note, env=overlay_env if overlay_note else {})
    return Prepared(name, bot, config, note="template config")


@dataclass
class Run:
    pipeline: str
    repeat: int
    train_s: float
    train_peak_mib: float
    model_bytes: int
    load_s: float
    parse_ms_p50: float
    score: Score
    results: list[dict]


def train_and_parse(
    prep: Prepared, venv: Path, run_dir: Path, texts: list[str], in_scope, out_of_scope, repeat: int
) -> Run:
    env = {**rasa_env(run_dir, venv=venv), **prep.env}
    env["RASA_CACHE_DIRECTORY"] = str(run_dir / "rasa-cache")  # fresh cache: a real, uncached training
    models = run_dir / "models"
    model_name = "nlu-" + re.sub(r"[^A-Za-z0-9_-]", "_", prep.name)  # Rasa cuts names at a dot
    cmd = [str(venv / "bin" / "rasa"), "train", "nlu", "--config", str(prep.config), "--nlu", "data/nlu.yml"]
    cmd += ["--out", str(models), "--fixed-model-name", model_name]
    timed = run_timed(cmd, cwd=prep.bot, env=env, log=run_dir / "train.log")
    model = models / f"{model_name}.tar.gz"
    if timed.returncode != 0 or not model.is_file():
        raise RuntimeError(
            f"{prep.name}: rasa train nlu exited {timed.returncode}, model {model} "
            f"{'exists' if model.is_file() else 'missing'}:\n{tail(timed.log)}"
        )

    messages = run_dir / "messages.json"
    messages.write_text(json.dumps(texts))
    out = run_dir / "parsed.json"
    parse = run_timed(
        [str(venv / "bin" / "python"), str(PARSE_SCRIPT), str(model), str(messages), str(out)],
        cwd=prep.bot,
        env=env,
        log=run_dir / "parse.log",
        timeout=600,
    )
    if parse.returncode != 0 or not out.is_file():
        raise RuntimeError(f"{prep.name}: parsing failed ({parse.returncode}):\n{tail(parse.log)}")
    parsed = json.loads(out.read_text())
    results = parsed["results"]
    return Run(
        pipeline=prep.name,
        repeat=repeat,
        train_s=timed.seconds,
        train_peak_mib=timed.peak_rss_mib,
        model_bytes=model.stat().st_size,
        load_s=parsed["load_s"],
        parse_ms_p50=statistics.median(r["ms"] for r in results),
        score=score(results, in_scope, out_of_scope),
        results=results,
    )


def evaluate(
    pipelines: list[str], repeats: int, root: Path, bytecode: str = "warm", log=print, language: str = "en"
) -> dict:
    """Run the evaluation; returns {"runs": [...], "skipped": {...}, "notes": {...}}.

    ``bytecode``: "warm" or "cold", see common.bytecode_env.
    """
    reference, _ = bake(root / "bots" / "reference", language=language)  # the training data as rendered
    nlu_file = reference / "data" / "nlu.yml"
    in_scope, out_of_scope = load_paraphrases(nlu_file, language)
    texts = [t for t, _ in in_scope] + out_of_scope
    training = training_examples(nlu_file)
    log(
        f"paraphrases: {len(in_scope)} in scope, {len(out_of_scope)} out of scope; none is one of the "
        f"{len(training)} training examples ({', '.join(sorted(set(training.values())))})"
    )
    for pair in near_duplicates(texts, training):
        log(f"  near-duplicate of a training example: {pair}")
    venvs: dict[Path, Path] = {}
    envs: dict[Path, dict[str, str]] = {}

    def venv_for(bot: Path) -> Path:
        if bot not in venvs:
            venvs[bot] = rasa_venv(bot)
        return venvs[bot]

    def env_for(bot: Path) -> dict[str, str]:
        venv = venv_for(bot)
        if venv not in envs:
            envs[venv] = bytecode_env(venv, bytecode, log=log)
        return envs[venv]

    runs, skipped, notes = [], {}, {}
    for name in pipelines:
        prep = prepare(name, root, venv_for, env_for, language)
        prep.env = {**env_for(prep.bot), **prep.env}
        if prep.skipped:
            skipped[name] = prep.skipped
            log(f"{name}: skipped ({prep.skipped})")
            continue
        notes[name] = prep.note
        for repeat in range(1, repeats + 1):
            started = time.perf_counter()
            run = train_and_parse(
                prep, venv_for(prep.bot), root / "runs" / f"{name}-{repeat}", texts, in_scope, out_of_scope, repeat
            )
            runs.append(run)
            log(
                f"{name} #{repeat}: train {run.train_s:.1f} s, in-scope {run.score.in_scope_acc:.1%}, "
                f"out-of-scope caught {run.score.fallback_recall:.0%} ({time.perf_counter() - started:.0f} s in all)"
            )
    return {"runs": runs, "skipped": skipped, "notes": notes, "in_scope": in_scope, "out_of_scope": out_of_scope}


def cross_validate(name: str, root: Path, language: str, folds: int = 5, bytecode: str = "warm") -> str:
    """`rasa test nlu --cross-validation` on the bot's own training data: Rasa's intent summary."""
    prep = prepare(name, root / "cv", rasa_venv, lambda bot: {}, language)
    if prep.skipped:
        return f"{name}: skipped ({prep.skipped})"
    venv = rasa_venv(prep.bot)
    run_dir = root / "cv" / "runs" / name
    env = {**rasa_env(run_dir, venv=venv), **bytecode_env(venv, bytecode), **prep.env}
    cmd = [str(venv / "bin" / "rasa"), "test", "nlu", "--cross-validation", "--folds", str(folds)]
    cmd += ["--config", str(prep.config), "--nlu", "data/nlu.yml", "--out", str(run_dir / "results")]
    timed = run_timed(cmd, cwd=prep.bot, env=env, log=run_dir / "cv.log", timeout=1800)
    text = timed.log.read_text(encoding="utf-8", errors="replace")
    summary = text.split("Intent evaluation results")[-1]
    found = re.findall(r"(train|test) (Accuracy|F1-score): ([\d.]+) \(([\d.]+)\)", summary)
    if timed.returncode != 0 or not found:
        raise RuntimeError(f"{name}: rasa test nlu --cross-validation exited {timed.returncode}:\n{tail(timed.log)}")
    figures = ", ".join(f"{split} {metric} {float(mean):.3f} (± {float(sd):.3f})" for split, metric, mean, sd in found)
    return f"{name}: {folds}-fold intent {figures} ({timed.seconds:.0f} s)"


# --------------------------------------------------------------------------------------------
# Report


def spread(values: list[float], fmt: str) -> str:
    """'x' for one value, 'mean (min-max)' for more."""
    if len(values) == 1 or max(values) == min(values):
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def summary_rows(evaluation: dict) -> tuple[list[str], list[list[str]]]:
    headers = [
        "pipeline",
        "train s",
        "in-scope accuracy",
        "out-of-scope caught",
        "false rejects",
        "top-1 ignoring fallback",
        "model size",
        "train peak RSS",
        "load s",
        "parse ms p50",
        "n",
    ]
    by_pipeline: dict[str, list[Run]] = {}
    for run in evaluation["runs"]:
        by_pipeline.setdefault(run.pipeline, []).append(run)
    rows = []
    for name, runs in by_pipeline.items():
        rows.append(
            [
                name,
                spread([r.train_s for r in runs], ".1f"),
                spread([r.score.in_scope_acc * 100 for r in runs], ".1f") + " %",
                spread([r.score.fallback_recall * 100 for r in runs], ".0f") + " %",
                spread([float(r.score.false_fallbacks) for r in runs], ".1f"),
                spread([r.score.raw_acc * 100 for r in runs], ".1f") + " %",
                human_size(statistics.mean(r.model_bytes for r in runs)),
                spread([r.train_peak_mib for r in runs], ".0f") + " MiB",
                spread([r.load_s for r in runs], ".1f"),
                spread([r.parse_ms_p50 for r in runs], ".1f"),
                str(len(runs)),
            ]
        )
    for name, reason in evaluation["skipped"].items():
        rows.append([name, "skipped", reason[:60], "", "", "", "", "", "", "", "0"])
    return headers, rows


def threshold_sweep(evaluation: dict, thresholds=(0.2, 0.25, 0.3, 0.35, 0.4, 0.5), ambiguity=0.1) -> str:
    """In-scope accuracy / out-of-scope caught per FallbackClassifier threshold, from the first repeat."""
    rows, seen = [], set()
    for run in evaluation["runs"]:
        if run.pipeline in seen:
            continue
        seen.add(run.pipeline)
        cells = [run.pipeline]
        for t in thresholds:
            s = score(
                run.results,
                evaluation["in_scope"],
                evaluation["out_of_scope"],
                predict=lambda r, t=t: fallback_decision(r["ranking"], t, ambiguity),
            )
            cells.append(f"{s.in_scope_acc:.0%} / {s.fallback_recall:.0%}")
        rows.append(cells)
    headers = ["pipeline"] + [f"t={t}" for t in thresholds]
    return markdown_table(headers, rows)


def report(evaluation: dict, details: bool = True) -> str:
    headers, rows = summary_rows(evaluation)
    parts = [markdown_table(headers, rows)]
    for name, note in evaluation["notes"].items():
        parts.append(f"- {name}: {note}")
    if details and evaluation["runs"]:
        parts.append("\nPer-intent in-scope accuracy (mean over repeats):")
        intents = list(dict.fromkeys(i for _, i in evaluation["in_scope"]))
        per_rows, seen = [], {}
        for run in evaluation["runs"]:
            seen.setdefault(run.pipeline, []).append(run)
        for name, runs in seen.items():
            per_rows.append([name] + [f"{statistics.mean(r.score.per_intent[i] for r in runs):.0%}" for i in intents])
        parts.append(markdown_table(["pipeline", *intents], per_rows))
        parts.append(
            "\nFallbackClassifier threshold sweep, ambiguity 0.1 (in-scope accuracy / out-of-scope caught), "
            "recomputed from the first repeat's intent rankings:"
        )
        parts.append(threshold_sweep(evaluation))
        parts.append("\nMistakes (first repeat):")
        for name, runs in seen.items():
            parts.append(f"  {name}: " + ("none" if not runs[0].score.errors else ""))
            parts.extend(f"    {e}" for e in runs[0].score.errors)
    return "\n".join(parts)


def to_json(evaluation: dict) -> dict:
    return {
        "runs": [
            {k: v for k, v in asdict(r).items() if k != "results"} | {"results": r.results} for r in evaluation["runs"]
        ],
        "skipped": evaluation["skipped"],
        "notes": evaluation["notes"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pipelines",
        default=",".join(DEFAULT_PIPELINES),
        help=f"comma-separated; any of {DEFAULT_PIPELINES + list(CANDIDATES)} (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="trainings per pipeline (default: %(default)s)")
    parser.add_argument("--work-dir", help="where bots, models and logs go (default: a new folder in $TMPDIR)")
    parser.add_argument(
        "--bytecode",
        choices=["warm", "cold"],
        default="warm",
        help="warm: Rasa's Python code precompiled (PYTHONPYCACHEPREFIX, see common.py); "
        "cold: compiled from source by every command, as the uv-built venv is (default: %(default)s)",
    )
    parser.add_argument("--json", help="also write the raw figures (and every parse) to this file")
    languages = sorted(p.stem for p in PARAPHRASES.parent.glob("*.yml"))
    parser.add_argument(
        "--language", default="en", choices=languages, help="bake this language, score on paraphrases/<language>.yml"
    )
    parser.add_argument("--cross-validation", type=int, default=0, metavar="FOLDS",
                        help="also run rasa test nlu --cross-validation with FOLDS folds")  # fmt: skip
    parser.add_argument("--cv-pipelines", default="light", help="pipelines to cross-validate (default: %(default)s)")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.pipelines.split(",") if n.strip()]
    unknown = [n for n in names if n not in DEFAULT_PIPELINES and n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown pipelines {unknown}")
    root = work_dir(args.work_dir, "nlu-accuracy-")
    print(f"machine: {machine_summary()}\nwork dir: {root}\nlanguage: {args.language}")
    started = time.perf_counter()
    evaluation = evaluate(names, args.repeats, root, bytecode=args.bytecode, language=args.language)
    evaluation["notes"]["bytecode"] = args.bytecode
    print()
    print(report(evaluation))
    if args.cross_validation:
        print(f"\nCross-validation on the {args.language} training data (nlu_fallback counts as wrong):")
        for name in [n.strip() for n in args.cv_pipelines.split(",") if n.strip()]:
            print("  " + cross_validate(name, root, args.language, args.cross_validation, args.bytecode))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(evaluation), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rasa's command line on a baked bot: runs, validation, training (cached), test-story reports.

Rasa's exit codes are not trusted alone: `train` checks the model file, `run_test_stories`
reads the reports Rasa writes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

import check_bot
from harness.bots import RasaProject
from harness.processes import tail

COMMAND_TIMEOUT = 1200  # seconds for one CLI command (diet trains in 1-2 min on 2 cores)


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    output: str  # stdout and stderr, interleaved
    seconds: float

    def tail(self, lines: int = 60) -> str:
        return tail(self.output, lines)

    def check(self) -> CliResult:
        assert self.returncode == 0, f"{' '.join(self.args)} exited {self.returncode}:\n{self.tail()}"
        return self


def run(bot: RasaProject, *args: str, label: str = "rasa", timeout: float = COMMAND_TIMEOUT, env=None) -> CliResult:
    """Run a command of the bot's venv (`rasa ...` as RasaProject.rasa starts it, `python ...`) in the bot folder."""
    argv = bot.rasa(*args[1:]) if args[0] == "rasa" else [str(bot.venv / "bin" / args[0]), *args[1:]]
    run_env = bot.run_env(label, env)
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=bot.path, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        output = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else exc.output or ""
        raise AssertionError(f"{' '.join(argv)} took more than {timeout} s:\n{tail(output)}") from exc
    (Path(run_env["HOME"]).parent / "output.log").write_text(proc.stdout)  # kept for debugging
    return CliResult(argv, proc.returncode, proc.stdout, time.monotonic() - start)


def validate(bot: RasaProject) -> CliResult:
    return run(bot, "rasa", "data", "validate", "--domain", "domain.yml", "--data", "data",
               "--config", "config/config.yml", label="validate")  # fmt: skip


# --- training, cached by its inputs -----------------------------------------------------------


def model_key(bot: RasaProject) -> str:
    """sha256 of what the model depends on: domain.yml, data/, config/config.yml, the venv and the
    overlay (not the tracker store, endpoints or actions code)."""
    digest = hashlib.sha256(f"{bot.venv.name}\n{bot.env.get('PYTHONPATH', '')}\n".encode())
    files = [bot.path / "domain.yml", bot.path / "config" / "config.yml"]
    files += sorted(p for p in (bot.path / "data").rglob("*") if p.is_file())
    for path in files:
        digest.update(f"{path.relative_to(bot.path)}\n".encode() + path.read_bytes() + b"\n")
    return digest.hexdigest()[:16]


def train(bot: RasaProject, models_dir: Path) -> Path:
    """The model for this bot: trained once per distinct model_key into models_dir."""
    name = f"{bot.answers.get('nlu_pipeline', 'model')}-{model_key(bot)}"
    model = models_dir / f"{name}.tar.gz"
    if model.is_file():
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    result = run(bot, "rasa", "train", "--config", "config/config.yml", "--domain", "domain.yml",
                 "--data", "data", "--out", str(models_dir), "--fixed-model-name", name, label="train")  # fmt: skip
    result.check()
    # Rasa can exit 0 without writing a model (e.g. data it ignores): the file is the proof.
    assert model.is_file() and model.stat().st_size > 0, f"rasa train exited 0 but wrote no {model}:\n{result.tail()}"
    print(f"trained {model.name} in {result.seconds:.0f} s")
    return model


# --- test stories -----------------------------------------------------------------------------


@dataclass
class StoryResults:
    run: CliResult
    stories: int  # test stories in the bot's tests/ folder
    evaluated: int  # conversations in story_report.json
    correct: int  # correct ones in story_report.json
    failed: list[str]  # story names in failed_test_stories.yml
    warned: list[str]  # story names in stories_with_warnings.yml

    @property
    def passed(self) -> bool:
        every_story = self.stories > 0 and self.evaluated == self.correct == self.stories
        return self.run.returncode == 0 and every_story and not self.failed

    def summary(self) -> str:
        return (
            f"rasa test core exit {self.run.returncode}: {self.correct}/{self.evaluated} correct of "
            f"{self.stories} test stories, failed: {self.failed}, with warnings: {self.warned}\n{self.run.tail(40)}"
        )


def _story_names(path: Path) -> list[str]:
    """Story names in a YAML report Rasa wrote (failed_test_stories.yml, ...), [] if none."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return [story.get("story", "?") for story in (data or {}).get("stories") or []]


def count_test_stories(bot: RasaProject) -> int:
    """Test stories in the bot's tests/ folder, YAML or Markdown (read by the bot checker)."""
    return sum(1 for story in check_bot.load_bot(bot.path).stories if story.file.startswith("tests/"))


def run_test_stories(bot: RasaProject, model: Path, out: Path) -> StoryResults:
    """`rasa test core --stories tests --e2e`, judged from the reports it writes, not its exit code
    (which is 0 with failed stories). Without --e2e Rasa 3.x ignores the stories' user messages
    and only replays their intent labels (the NLU would go untested), and Rasa 2.x scores Markdown
    test stories 0 while still exiting 0. Both lines write the same YAML/JSON reports."""
    shutil.rmtree(out, ignore_errors=True)
    result = run(bot, "rasa", "test", "core", "--stories", "tests", "--model", str(model), "--out", str(out),
                 "--e2e", "--no-plot", label="test-core")  # fmt: skip
    report_file = out / "story_report.json"
    report = json.loads(report_file.read_text()) if report_file.is_file() else {}
    conversations = report.get("conversation_accuracy") or {}
    return StoryResults(
        run=result,
        stories=count_test_stories(bot),
        evaluated=int(conversations.get("total", 0)),
        correct=int(conversations.get("correct", 0)),
        failed=_story_names(out / "failed_test_stories.yml"),
        warned=_story_names(out / "stories_with_warnings.yml"),
    )

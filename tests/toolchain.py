"""Cached, pinned Rasa toolchains for the template's test-suite (stdlib only).

A rendered bot carries everything needed to build its own virtualenv:
``.python-version``, ``requirements.txt`` (constrained by
``requirements/rasa-<line>.lock``) and ``scripts/setup_venv.sh``. Building
one takes 10-30 s with uv (~95 s with pip) and ~2.5 GB, so ``rasa_venv()``
builds it once per distinct requirements+lock content under

    ${COOKIECUTTER_RASA_CACHE:-~/.cache/cookiecutter-rasa}/venvs/rasa-<line>-<hash12>

and reuses it across bakes, test runs and parallel workers (fcntl lock).

    bot = cookies.bake(...).project_path
    venv = rasa_venv(bot)
    env = rasa_env(tmp_path, venv=venv)
    subprocess.run([venv / "bin" / "rasa", "train"], cwd=bot, env=env, check=True)
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = [
    "ToolchainError",
    "ToolchainUnavailable",
    "cache_root",
    "python_minor",
    "rasa_env",
    "rasa_line",
    "rasa_venv",
    "requirements_hash",
]

STAMP_FILE = ".lock-sha256"  # written by scripts/setup_venv.sh
BUILD_TIMEOUT = 1800  # seconds; a pip build takes ~95 s, uv 10-30 s
EXIT_UNAVAILABLE = 2  # setup_venv.sh: missing prerequisite (e.g. no Python 3.10)


class ToolchainError(RuntimeError):
    """setup_venv.sh failed to build or verify the venv."""


class ToolchainUnavailable(ToolchainError):
    """A prerequisite is missing (setup_venv.sh exit 2, e.g. no Python 3.10).

    Test-suites may turn this into ``pytest.skip(str(exc))``.
    """


def cache_root() -> Path:
    """``$COOKIECUTTER_RASA_CACHE`` or ``~/.cache/cookiecutter-rasa``."""
    root = os.environ.get("COOKIECUTTER_RASA_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "cookiecutter-rasa"


def _lock_files(bot_dir: Path) -> list[Path]:
    # Same set and order as setup_venv.sh (LC_ALL=C sort of the names).
    return sorted(
        (p for p in (bot_dir / "requirements").glob("*.lock") if p.is_file()),
        key=lambda p: p.name.encode(),
    )


def requirements_hash(bot_dir: Path) -> str:
    """sha256 of requirements.txt followed by requirements/*.lock (name order).

    This is exactly what setup_venv.sh stores in ``<venv>/.lock-sha256``.
    """
    digest = hashlib.sha256((Path(bot_dir) / "requirements.txt").read_bytes())
    for lock in _lock_files(Path(bot_dir)):
        digest.update(lock.read_bytes())
    return digest.hexdigest()


def rasa_line(bot_dir: Path) -> str:
    """The Rasa release line ("3.6") of a rendered bot.

    Taken from the ``requirements/rasa-<line>.lock`` that requirements.txt
    names, else from its ``rasa==X.Y.Z`` pin.
    """
    text = (Path(bot_dir) / "requirements.txt").read_text()
    match = re.search(r"rasa-(\d+\.\d+)\.lock\b", text) or re.search(r"^\s*rasa\s*==\s*(\d+\.\d+)", text, re.MULTILINE)
    if not match:
        raise ToolchainError(f"cannot tell the Rasa line from {bot_dir}/requirements.txt")
    return match.group(1)


def _build_env() -> dict[str, str]:
    """Environment for setup_venv.sh: offer it uv (10x faster than pip).

    uv on PATH is found by the script itself; otherwise use the uv installed
    next to the interpreter running the tests (e.g. the dev venv), if any.
    """
    env = os.environ.copy()
    if "SETUP_VENV_UV" not in env and not shutil.which("uv"):
        uv = Path(sys.executable).parent / "uv"
        if uv.is_file() and os.access(uv, os.X_OK):
            env["SETUP_VENV_UV"] = str(uv)
    return env


def python_minor(bot_dir: Path) -> str:
    """ "X.Y" from bot_dir/.python-version, parsed like setup_venv.sh does."""
    for raw in (Path(bot_dir) / ".python-version").read_text().splitlines():
        text = re.sub(r"\s", "", raw.split("#", 1)[0])
        if text:
            match = re.match(r"(\d+)\.(\d+)(\.|$)", text)
            if not match:
                break
            return f"{match.group(1)}.{match.group(2)}"
    raise ToolchainError(f"{bot_dir}/.python-version must start with a version like 3.10")


def _is_built(venv: Path, digest: str, minor: str) -> bool:
    """Stamped by setup_venv.sh with this digest, for this Python minor."""
    try:
        stamp = (venv / STAMP_FILE).read_text().split()
        cfg = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return False
    version = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+)", cfg, re.MULTILINE)
    return (
        stamp[:1] == [digest]
        and version is not None
        and version.group(1) == minor
        and (venv / "bin" / "rasa").is_file()
    )


def rasa_venv(bot_dir: Path, *, line: str | None = None, timeout: float = BUILD_TIMEOUT) -> Path:
    """Return the cached venv for a rendered bot, building it when missing.

    The venv lives in ``<cache_root>/venvs/rasa-<line>-<first 12 hex of
    requirements_hash(bot_dir)>`` and is built by ``bot_dir/scripts/setup_venv.sh``
    (which reads ``bot_dir/.python-version``). Concurrent callers serialise on
    an fcntl lock next to it; a finished venv is returned without locking.

    Raises ToolchainUnavailable when a prerequisite (e.g. Python 3.10) is
    missing, ToolchainError when the build or its ``rasa --version`` fails.
    """
    bot_dir = Path(bot_dir).resolve()
    script = bot_dir / "scripts" / "setup_venv.sh"
    for needed in (script, bot_dir / "requirements.txt", bot_dir / ".python-version"):
        if not needed.is_file():
            raise ToolchainError(f"{needed} is missing: is {bot_dir} a rendered bot?")

    line = line or rasa_line(bot_dir)
    minor = python_minor(bot_dir)
    digest = requirements_hash(bot_dir)
    venvs = cache_root() / "venvs"
    venv = venvs / f"rasa-{line}-{digest[:12]}"
    if _is_built(venv, digest, minor):
        return venv

    venvs.mkdir(parents=True, exist_ok=True)
    with open(venvs / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _is_built(venv, digest, minor):  # another process built it meanwhile
            return venv
        try:
            proc = subprocess.run(
                ["bash", str(script), str(venv)],
                check=False,
                cwd=bot_dir,
                env=_build_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise ToolchainError(f"{script} took more than {timeout} s") from exc
        if proc.returncode != 0:
            kind = ToolchainUnavailable if proc.returncode == EXIT_UNAVAILABLE else ToolchainError
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
            raise kind(f"{script} {venv} exited {proc.returncode}:\n{tail}")
        if not _is_built(venv, digest, minor):
            raise ToolchainError(
                f"{script} succeeded but {venv} is not stamped {digest} for Python "
                f"{minor}: setup_venv.sh and tests/toolchain.py disagree"
            )
    return venv


def rasa_env(tmp: Path, *, venv: Path | None = None) -> dict[str, str]:
    """A copy of os.environ that keeps Rasa's side effects inside ``tmp``.

    HOME (Rasa writes ~/.config/rasa/global.yml, ~/.keras) and TMPDIR (unpacked
    models) point under ``tmp``; XDG_* dirs follow HOME; telemetry is off and
    TensorFlow/SQLAlchemy noise is quieted. With ``venv``, its bin/ comes first
    on PATH and VIRTUAL_ENV is set.
    """
    tmp = Path(tmp)
    home = tmp / "home"
    tmpdir = tmp / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmpdir.mkdir(parents=True, exist_ok=True)

    env = os.environ.copy()
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "PYTHONHOME",
    ):
        env.pop(var, None)
    env.update(
        HOME=str(home),
        TMPDIR=str(tmpdir),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join([str(Path(venv) / "bin"), env.get("PATH", "")])
    return env

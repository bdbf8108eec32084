"""Pinned, cached virtualenvs for the template's tests: the one place that finds Python and uv.

A rendered bot names its Python in ``.python-version`` and its packages in
``requirements/rasa-<line>.lock``. ``rasa_venv(bot)`` builds that venv the way the bot's
``make venv`` does (``uv venv`` + ``uv pip sync`` of the lock), once per lock content, under

    ${COOKIECUTTER_RASA_CACHE:-~/.cache/cookiecutter-rasa}/venvs/rasa-<line>-<lock sha256[:12]>

plus pip. Builds run in a temporary folder, are renamed into place, then stamped; a file lock
serialises parallel workers. Bytecode is compiled (the Docker stand-in images copy the venv as it is).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

STAMP_FILE = ".lock-sha256"  # the sha256 of the lock the venv was synced from
BUILD_TIMEOUT = 1800  # seconds; uv takes 10-30 s per Rasa venv


class ToolchainError(RuntimeError):
    """A venv could not be built or does not work."""


class ToolchainUnavailable(ToolchainError):
    """A prerequisite is missing (a Python version, uv): tests skip locally and fail in CI."""


def unavailable(exc: ToolchainUnavailable) -> None:
    """A missing toolchain: fails the tier in CI, skips it with why elsewhere."""
    from harness import fail_or_skip

    fail_or_skip("real-Rasa tier", f"toolchain unavailable: {exc}")


def cache_root() -> Path:
    """``$COOKIECUTTER_RASA_CACHE`` or ``~/.cache/cookiecutter-rasa``."""
    root = os.environ.get("COOKIECUTTER_RASA_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "cookiecutter-rasa"


def rasa_line(bot_dir: Path) -> str:
    """The Rasa line ("3.6") of a rendered bot: the one ``requirements/rasa-<line>.lock`` it has."""
    locks = sorted(Path(bot_dir).glob("requirements/rasa-*.lock"))
    if len(locks) != 1:
        raise ToolchainError(f"expected one requirements/rasa-<line>.lock in {bot_dir}, found {len(locks)}")
    return locks[0].name[len("rasa-") : -len(".lock")]


def lock_file(bot_dir: Path) -> Path:
    return Path(bot_dir) / "requirements" / f"rasa-{rasa_line(bot_dir)}.lock"


def lock_hash(bot_dir: Path) -> str:
    """sha256 of the bot's lock: the venv's cache key and stamp."""
    return hashlib.sha256(lock_file(bot_dir).read_bytes()).hexdigest()


def python_minor(bot_dir: Path) -> str:
    """ "X.Y" from the first line of ``.python-version`` that is not a comment."""
    path = Path(bot_dir) / ".python-version"
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.split("#", 1)[0].strip()
        if text:
            match = re.match(r"(\d+)\.(\d+)(\.|$)", text)
            if match:
                return f"{match.group(1)}.{match.group(2)}"
            break
    raise ToolchainError(f"{path} must start with a version like 3.10")


def find_python(minor: str) -> Path:
    """A working CPython ``minor``: pyenv's newest patch release, else ``python<minor>`` on PATH.

    Each candidate is run: a pyenv shim may exist and still fail.
    """
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = pyenv.glob(f"{minor}.*/bin/python")
    by_version = sorted(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    candidates = [str(p) for p in reversed(by_version)]
    candidates.append(shutil.which(f"python{minor}") or "")
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return Path(candidate)
    raise ToolchainUnavailable(f"no working Python {minor}: install it (e.g. `pyenv install {minor}`)")


def find_uv() -> Path:
    """uv on PATH, else the one requirements-dev.txt installs next to this interpreter."""
    found = shutil.which("uv")
    beside = Path(sys.executable).parent / "uv"
    if found:
        return Path(found)
    if os.access(beside, os.X_OK):
        return beside
    raise ToolchainUnavailable("uv not found: run the tests from the dev venv (scripts/run_tests.sh)")


def checked(args: list, what: str, *, timeout: float = 900, cwd: Path | None = None) -> None:
    """Run a command; raise ToolchainError with the end of its output when it fails."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"{what} failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")


def install_once(target: Path, install: Callable[[Path], None], *, stamp: str = "ok") -> Path:
    """Run ``install(tmp)`` into a folder next to ``target``, rename it to ``target``, then stamp it.

    A stamped target is returned at once; parallel callers wait on a file lock; an interrupted
    build leaves only a temporary folder (removed by the next try).
    """
    stamp_file = target / STAMP_FILE

    def done() -> bool:
        return stamp_file.is_file() and stamp_file.read_text().split()[:1] == [stamp]

    if done():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done():
            return target
        tmp = target.parent / f".{target.name}.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            install(tmp)
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        stamp_file.write_text(f"{stamp}\n")
    return target


def build_venv(target: Path, python: Path, lock: Path | None = None, packages: list[str] = (), *,
               stamp: str, verify: list[str] = (), timeout: float = BUILD_TIMEOUT) -> Path:  # fmt: skip
    """A venv of ``python`` holding exactly ``lock`` (``uv pip sync``) or ``packages``, compiled.

    ``verify`` (e.g. ``["rasa", "--version"]``, a command of the venv) must succeed before the
    venv is moved into place.
    """
    uv = find_uv()

    def install(tmp: Path) -> None:
        # --relocatable: scripts find their interpreter relative to themselves, so the rename
        # (and a copy into an image) keeps them working.
        checked([uv, "venv", "--quiet", "--relocatable", "--python", python, tmp], f"uv venv {target.name}")
        into = [uv, "pip", "--quiet"]
        into_rest = ["--compile-bytecode", "--python", tmp / "bin" / "python"]
        if lock:
            checked([*into, "sync", *into_rest, lock], f"uv pip sync {lock.name}", timeout=timeout)
            # pip, as `python -m venv` and the official images have it (the stand-in images run
            # `pip install`, the tests `pip check`): the interpreter's ensurepip version, via uv.
            pip = subprocess.run([python, "-c", "import ensurepip; print(ensurepip.version())"],
                                 capture_output=True, text=True, timeout=60, check=True).stdout.strip()  # fmt: skip
            checked([*into, "install", *into_rest, f"pip=={pip}"], f"uv pip install pip=={pip}")
        else:
            checked([*into, "install", *into_rest, *packages], f"uv pip install {target.name}", timeout=timeout)
        checked([uv, "pip", "check", "--python", tmp / "bin" / "python"], f"uv pip check {target.name}")
        if verify:
            scratch = tmp.parent / f"{tmp.name}-verify"
            try:
                argv = [tmp / "bin" / verify[0], *verify[1:]]
                proc = subprocess.run(argv, env=rasa_env(scratch, venv=tmp), cwd=scratch, capture_output=True,
                                      text=True, timeout=600, check=False)  # fmt: skip
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            if proc.returncode != 0:
                raise ToolchainError(f"{' '.join(verify)} failed in the new {target.name}:\n{proc.stderr[-3000:]}")

    return install_once(target, install, stamp=stamp)


def rasa_venv(bot_dir: Path) -> Path:
    """The cached venv of a rendered bot (``.python-version`` + its lock), built when missing.

    Raises ToolchainUnavailable when the Python version or uv is missing, ToolchainError when the
    build fails or its ``rasa --version`` does not run (nothing is then left in the cache).
    """
    bot_dir = Path(bot_dir).resolve()
    lock, digest = lock_file(bot_dir), lock_hash(bot_dir)
    venv = cache_root() / "venvs" / f"rasa-{rasa_line(bot_dir)}-{digest[:12]}"
    if (venv / STAMP_FILE).is_file() and (venv / "bin" / "pip").is_file():
        return venv
    # Built, then changed: e.g. `make venv` pointed at it re-syncs the lock, and uv removes pip.
    (venv / STAMP_FILE).unlink(missing_ok=True)
    python = find_python(python_minor(bot_dir))
    return build_venv(venv, python, lock, stamp=digest, verify=["rasa", "--version"])


def rasa_env(tmp: Path, *, venv: Path | None = None) -> dict[str, str]:
    """A copy of os.environ that keeps Rasa's side effects inside ``tmp``.

    HOME (Rasa writes ~/.config/rasa, ~/.keras) and TMPDIR (unpacked models) point under ``tmp``;
    telemetry is off, TensorFlow/SQLAlchemy are quieter. With ``venv``, its bin/ comes first on PATH.
    """
    home, tmpdir = Path(tmp) / "home", Path(tmp) / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "PYTHONHOME"}
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

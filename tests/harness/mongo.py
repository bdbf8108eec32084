"""The mongoeco wire-protocol emulator (an emulator, NOT MongoDB) for the `mongo` tracker store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import venvs
from harness.processes import LOCAL, Service, free_port, serve

HERE = Path(__file__).resolve().parent
MONGOECO_PYTHON = "3.13"
# mongoeco[wire]==4.11.0 and what it pulled on 2026-11-25, pinned so the emulator does not drift.
MONGOECO_REQUIREMENTS = [
    "mongoeco[wire]==4.11.0", "attrs==26.1.0", "cxp==5.0.0", "dnspython==2.9.2", "jsonschema==4.26.0",
    "jsonschema-specifications==2025.9.1", "msgspec==0.22.0", "numkong==7.8.6", "numpy==2.5.5", "pymongo==4.20.1",
    "pyuca==1.2", "referencing==0.37.0", "rfc8785==0.1.4", "rpds-py==2026.9.1", "shapely==2.2.0", "tqdm==4.70.1",
    "usearch==2.26.6",
]  # fmt: skip


@dataclass
class MongoEmulator:
    """A running emulator: its URL, its one user, and the emulator venv's Python (has pymongo)."""

    url: str
    user: str
    password: str
    python: Path

    def events(self, config: dict, sender: str) -> list:
        """The stored events of `sender`, read with pymongo (config: the bot's tracker_store section)."""
        proc = subprocess.run(
            [str(self.python), str(HERE / "mongo_reader.py"), self.url, self.user, self.password,
             config.get("auth_source", "admin"), config.get("db", "rasa"), config.get("collection", "conversations"),
             sender],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"reading the Mongo emulator: {proc.stderr[-2000:]}"
        return json.loads(proc.stdout)


def mongoeco_venv() -> Path:
    """The emulator's venv (Python 3.13), built once."""
    digest = hashlib.sha256("\n".join(MONGOECO_REQUIREMENTS).encode()).hexdigest()
    target = venvs.cache_root() / "venvs" / f"mongoeco-4.11.0-{digest[:12]}"
    if (target / venvs.STAMP_FILE).is_file():
        return target
    python = venvs.find_python(MONGOECO_PYTHON)
    return venvs.build_venv(target, python, packages=MONGOECO_REQUIREMENTS, stamp=digest)


@contextlib.contextmanager
def mongo_emulator(workdir: Path, *, timeout: float = 60):
    """Start the emulator with one SCRAM user on a free 127.0.0.1 port; yield a MongoEmulator.

    pymongo 4.3 (Rasa 3.6) falls back to SCRAM-SHA-1 because the emulator does not answer
    saslSupportedMechs, and that login fails against it; so the URL asks for SCRAM-SHA-256
    (which a real MongoDB negotiates by itself). A harness-only tweak, not a template change.
    """
    python = mongoeco_venv() / "bin" / "python"
    port, user, password = free_port(), "rasa", secrets.token_hex(12)
    url = f"mongodb://{LOCAL}:{port}/?authMechanism=SCRAM-SHA-256"

    def ready(service: Service) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((LOCAL, port), timeout=1):
            return True
        return False

    argv = [str(python), str(HERE / "mongo_server.py"), str(port), user, password]
    env = {**os.environ, "HOME": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    with serve("mongo emulator", argv, cwd=workdir, env=env, log=workdir / "mongoeco.log", url=url, ready=ready,
               timeout=timeout):  # fmt: skip
        yield MongoEmulator(url=url, user=user, password=password, python=python)

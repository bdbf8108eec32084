"""`make restore` with a file that is not a usable backup: one `ERROR:` line saying why, exit 1, no
traceback, and nothing of the bot touched. The bot's own scripts/backup.py runs as `make restore`
runs it; Compose is the dev venv's `docker-compose` (`config` needs no engine). Backups and restores
against real stores are the Docker tier's (tests/test_docker_e2e.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

COMPOSE = Path(sys.executable).parent / "docker-compose"


def archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest(**fields) -> bytes:
    return json.dumps({"format": 1, "created": 1.0e9, "stores": ["files"], "model": None, **fields}).encode()


def restore(bot: Path, file: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/backup.py", "restore", file], cwd=bot, capture_output=True,
                          text=True, env={"COMPOSE": str(COMPOSE), "PATH": "/usr/bin:/bin"}, timeout=60)  # fmt: skip


def backup_with(**members: bytes):
    """A function of the test's folder: the path of a .tar.gz holding these members."""
    return lambda folder: str(archive(folder / "x.tar.gz", members))


def not_gzip(folder: Path) -> str:
    (folder / "x.tar.gz").write_text("not gzip")
    return str(folder / "x.tar.gz")


CASES = {
    "no FILE": (lambda folder: "", "name the backup to restore: make restore FILE=backups/<file>.tar.gz"),
    "missing": (lambda folder: str(folder / "missing.tar.gz"), "missing.tar.gz: no such file"),
    "not gzip": (not_gzip, "not a backup of `make backup` (ReadError"),
    "no manifest": (backup_with(env=b"A=1\n"), "not a backup of `make backup` (KeyError"),
    "bad JSON": (backup_with(**{"manifest.json": b"[1, 2"}), "not a backup of `make backup` (JSONDecodeError"),
    "unknown format": (backup_with(**{"manifest.json": manifest(format=7)}), "not a backup this script wrote"),
    "stores not a list": (backup_with(**{"manifest.json": manifest(stores="files")}), "not a backup this script"),
    "store missing": (backup_with(**{"manifest.json": manifest()}), "is incomplete: files missing"),
    "another store": (
        backup_with(**{"manifest.json": manifest(stores=["redis"]), "store/redis": b""}),
        "holds conversations of Redis; this bot keeps them in the rasa-state volume",
    ),
}


@pytest.mark.parametrize(("make", "message"), CASES.values(), ids=CASES.keys())
def test_a_file_that_is_no_usable_backup_is_refused_with_the_reason(bake_once, tmp_path, make, message):
    bot = bake_once(tracker_store="sqlite").path
    before = sorted(p.relative_to(bot) for p in bot.rglob("*"))
    done = restore(bot, make(tmp_path))
    assert done.returncode == 1, done
    assert done.stderr.startswith("ERROR: ") and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.relative_to(bot) for p in bot.rglob("*")) == before, "a refused restore changed the bot"

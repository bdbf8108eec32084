"""Print the pinned Rasa venv of every Rasa line, building it when missing (used by scripts/docker-sandbox).

    python tests/docker/rasa_venv.py [LINE...]   # one output line per Rasa line (default: every line):
    3.6 3.6.21 3.6.2 <cache>/venvs/rasa-3.6-<lock hash> <python prefix, e.g. ~/.pyenv/versions/3.10.13>

The stand-in images rasa/rasa and rasa/rasa-sdk carry this venv (the one the rasa tier of the
tests uses, harness.venvs) and the Python it points to, at the same absolute paths.
Needs cookiecutter and uv (the dev venv has both).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.bots import bake
from harness.combinations import PINS
from harness.venvs import rasa_venv


def python_home(venv: Path) -> Path:
    """The interpreter prefix the venv was made from (`home = <prefix>/bin` in pyvenv.cfg)."""
    match = re.search(r"^home\s*=\s*(.+)$", (venv / "pyvenv.cfg").read_text(encoding="utf-8"), re.M)
    if not match:
        raise SystemExit(f"{venv}/pyvenv.cfg names no interpreter home")
    return Path(match.group(1).strip()).resolve().parent


def main(lines: list[str]) -> int:
    unknown = set(lines) - set(PINS["rasa_lines"])
    if unknown:
        raise SystemExit(f"unknown Rasa line(s) {sorted(unknown)}; cookiecutter.json has {sorted(PINS['rasa_lines'])}")
    for line, pins in PINS["rasa_lines"].items():
        if lines and line not in lines:
            continue
        with tempfile.TemporaryDirectory(prefix="docker-sandbox-") as tmp:
            venv = rasa_venv(bake({"rasa_version": line}, Path(tmp)))
        print(line, pins["rasa"], pins["rasa_sdk"], venv, python_home(venv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

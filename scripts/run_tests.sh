#!/usr/bin/env bash
# The template's test suite from a clean clone:   scripts/run_tests.sh [pytest args]
# Makes the dev venv (requirements-dev.txt, Python >= 3.11; cached by its hash), starts the
# databases of the real-Rasa tier (scripts/services.sh), then runs pytest on two workers. The tests build the
# pinned Rasa venvs themselves (tests/harness/venvs.py). `--dev-venv` only prints the venv's path.
# Cache: ${COOKIECUTTER_RASA_CACHE:-~/.cache/cookiecutter-rasa}; Python: $DEV_PYTHON or python3.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export COOKIECUTTER_RASA_CACHE=${COOKIECUTTER_RASA_CACHE:-$HOME/.cache/cookiecutter-rasa}
VENV=$COOKIECUTTER_RASA_CACHE/dev-venv-$(sha256sum "$ROOT/requirements-dev.txt" | cut -c1-12)
if [[ ! -f $VENV/.complete ]]; then # built in place; the stamp comes last
  rm -rf "$VENV" && mkdir -p "$COOKIECUTTER_RASA_CACHE"
  if command -v uv >/dev/null; then
    uv venv -q --python "${DEV_PYTHON:->=3.11}" "$VENV" >&2
    # Compiled: PYTHONDONTWRITEBYTECODE=1 would otherwise recompile what every worker, hook and
    # helper process imports, at each start.
    uv pip install -q --compile-bytecode --python "$VENV/bin/python" -r "$ROOT/requirements-dev.txt" >&2
  else # pip refuses the pins on Python < 3.11
    "${DEV_PYTHON:-python3}" -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt" >&2
  fi
  touch "$VENV/.complete"
fi
[[ ${1:-} != --dev-venv ]] || {
  echo "$VENV"
  exit 0
}
"$ROOT/scripts/services.sh"
# pytest's temporary folders (every bake, model and run) in memory when /dev/shm has room: the tests
# write many small files, and on a virtual disk the fast tier waited on them about 40 % of its time.
if [[ -z ${PYTEST_DEBUG_TEMPROOT:-} && -w /dev/shm ]] && (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 8 * 1024 * 1024)); then
  export PYTEST_DEBUG_TEMPROOT=/dev/shm
fi
# Two pytest-xdist workers (one per core of a CI machine); tests/conftest.py keeps each slow tier's
# shared state on one worker. TEST_WORKERS=0 (or `-n 0`) runs everything in one process.
cd "$ROOT" && PATH="$VENV/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 exec "$VENV/bin/python" -m pytest \
  -n "${TEST_WORKERS:-2}" --dist loadgroup --no-loadscope-reorder "$@"

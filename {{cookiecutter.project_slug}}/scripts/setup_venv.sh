#!/usr/bin/env bash
# Build the bot's pinned Python virtualenv (Rasa + Rasa SDK + pytest).
#
# Usage: scripts/setup_venv.sh [VENV_DIR]        (default: <bot root>/.venv)
#
# - The bot root is the parent of this script's folder; run it from anywhere.
# - The Python minor version comes from <bot root>/.python-version (e.g. 3.10).
#   Interpreter search order: $PYTHON, then python3.X on PATH, then the
#   highest ${PYENV_ROOT:-~/.pyenv}/versions/3.X.*/bin/python.
# - Installs <bot root>/requirements.txt (pinned through requirements/*.lock)
#   with uv when available ($SETUP_VENV_UV, uv on PATH or `python -m uv`),
#   otherwise with pip. Set SETUP_VENV_NO_UV=1 to force pip.
# - Idempotent: VENV_DIR/.lock-sha256 holds the sha256 of requirements.txt
#   followed by requirements/*.lock (sorted by name); when it matches, nothing
#   is done. Otherwise the venv is built in a temporary folder next to
#   VENV_DIR, renamed into place once installed, then checked with
#   `rasa --version` (removed if that fails) and only then stamped: a failed
#   or interrupted build never leaves a half-built venv at VENV_DIR.
# - Progress goes to stderr; stdout carries only the venv path (last line).
#
# Exit status: 0 ok, 1 install/verification failed, 2 missing prerequisite
# (no suitable Python, no requirements.txt / .python-version, bad VENV_DIR).
set -euo pipefail

log() { printf 'setup_venv: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    printf 'setup_venv: error: %s\n' "$@" >&2
    exit "$code"
}

[[ $# -le 1 ]] || die 2 "usage: $0 [VENV_DIR]"
[[ ${1:-} != -h && ${1:-} != --help ]] || {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 0
}

BOT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Absolute VENV_DIR, relative paths being taken from the caller's directory.
VENV_DIR=${1:-$BOT_ROOT/.venv}
[[ -n $VENV_DIR ]] || die 2 "VENV_DIR must not be empty"
[[ $VENV_DIR == /* ]] || VENV_DIR=$PWD/$VENV_DIR
while [[ $VENV_DIR == */ && $VENV_DIR != / ]]; do VENV_DIR=${VENV_DIR%/}; done
[[ $VENV_DIR != / ]] || die 2 "refusing to use / as VENV_DIR"

REQUIREMENTS=$BOT_ROOT/requirements.txt
[[ -f $REQUIREMENTS ]] || die 2 "missing $REQUIREMENTS"

# --- wanted Python minor version -------------------------------------------
PYVERSION_FILE=$BOT_ROOT/.python-version
[[ -f $PYVERSION_FILE ]] || die 2 "missing $PYVERSION_FILE (it names the Python version, e.g. 3.10)"
WANT=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PYVERSION_FILE" | grep -m1 . || true)
if [[ $WANT =~ ^([0-9]+)\.([0-9]+)(\.|$) ]]; then
    WANT=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
else
    die 2 "$PYVERSION_FILE must start with a version like 3.10 (found: '${WANT}')"
fi

# Print "X.Y" for a working interpreter; fail (quietly) otherwise.
py_minor() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

need_python_help() {
    cat >&2 <<EOF
setup_venv: error: $1
  This bot needs CPython $WANT (from $PYVERSION_FILE) to build its virtualenv.
  Install it with one of:
    pyenv install $WANT                      (found automatically in ~/.pyenv/versions)
    sudo apt-get install python$WANT python$WANT-venv   (Debian/Ubuntu, where packaged)
  or point this script at an interpreter:
    PYTHON=/path/to/python$WANT $0 [VENV_DIR]
EOF
    exit 2
}

PY=""
if [[ -n ${PYTHON:-} ]]; then
    got=$(py_minor "$PYTHON") || need_python_help "PYTHON=$PYTHON does not run"
    [[ $got == "$WANT" ]] || need_python_help "PYTHON=$PYTHON is Python $got, not $WANT"
    PY=$PYTHON
else
    candidates=()
    if command -v "python$WANT" >/dev/null 2>&1; then
        candidates+=("$(command -v "python$WANT")")
    fi
    # Highest patch release first (portable numeric sort, no sort -V).
    pyenv_versions=${PYENV_ROOT:-$HOME/.pyenv}/versions
    while IFS= read -r v; do
        [[ -n $v ]] && candidates+=("$pyenv_versions/$v/bin/python")
    done < <(
        if [[ -d $pyenv_versions ]]; then
            cd "$pyenv_versions" &&
                for d in "$WANT".[0-9]*; do [[ -x $d/bin/python ]] && echo "$d"; done |
                sort -t. -k3,3nr
        fi
    )
    # A pyenv shim on PATH may exist yet fail ("command not found"): probe each.
    for c in ${candidates[@]+"${candidates[@]}"}; do
        if [[ $(py_minor "$c" || true) == "$WANT" ]]; then
            PY=$c
            break
        fi
    done
    [[ -n $PY ]] || need_python_help "no working Python $WANT found (tried \$PYTHON, python$WANT on PATH, $pyenv_versions/$WANT.*)"
fi

# --- stamp: sha256(requirements.txt + requirements/*.lock in name order) ----
sha256_of_stdin() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | cut -d' ' -f1
    else
        shasum -a 256 | cut -d' ' -f1
    fi
}
locks=()
while IFS= read -r f; do locks+=("$f"); done < <(
    for f in "$BOT_ROOT"/requirements/*.lock; do
        [[ -f $f ]] && printf '%s\n' "${f#"$BOT_ROOT"/}"
    done | LC_ALL=C sort
)
STAMP=$(cd "$BOT_ROOT" && cat requirements.txt ${locks[@]+"${locks[@]}"} | sha256_of_stdin)
STAMP_FILE=.lock-sha256

if [[ -d $VENV_DIR && -f $VENV_DIR/$STAMP_FILE ]] &&
    [[ $(head -n1 "$VENV_DIR/$STAMP_FILE") == "$STAMP" ]] &&
    [[ $(py_minor "$VENV_DIR/bin/python" || true) == "$WANT" ]]; then
    log "venv up to date: $VENV_DIR"
    printf '%s\n' "$VENV_DIR"
    exit 0
fi

# Never clobber something that is not a (possibly stale) virtualenv.
if [[ -e $VENV_DIR || -L $VENV_DIR ]]; then
    [[ -d $VENV_DIR && ! -L $VENV_DIR ]] || die 2 "$VENV_DIR exists and is not a directory"
    if [[ ! -f $VENV_DIR/pyvenv.cfg ]] && [[ -n $(ls -A "$VENV_DIR") ]]; then
        die 2 "$VENV_DIR exists, is not empty and is not a virtualenv; remove it or pick another VENV_DIR"
    fi
fi

# --- build in a temporary folder next to VENV_DIR ---------------------------
parent=$(dirname "$VENV_DIR")
name=$(basename "$VENV_DIR")
name=.${name#.} # hidden, without doubling the dot of ".venv"
mkdir -p "$parent"
TMP_VENV=$(mktemp -d "$parent/$name.tmp.XXXXXX")
CHECK_HOME=""
OLD_VENV=""
cleanup() {
    [[ -z $TMP_VENV ]] || rm -rf "$TMP_VENV"
    [[ -z $CHECK_HOME ]] || rm -rf "$CHECK_HOME"
    [[ -z $OLD_VENV ]] || rm -rf "$OLD_VENV"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 0755 "$TMP_VENV"

UV=()
if [[ -z ${SETUP_VENV_NO_UV:-} ]]; then
    if [[ -n ${SETUP_VENV_UV:-} ]]; then
        UV=("$SETUP_VENV_UV")
    elif command -v uv >/dev/null 2>&1; then
        UV=(uv)
    elif "$PY" -m uv --version >/dev/null 2>&1; then
        UV=("$PY" -m uv)
    fi
fi

log "Python $WANT: $PY"
log "building $VENV_DIR (via $TMP_VENV)"
"$PY" -m venv --prompt "$(basename "$VENV_DIR")" "$TMP_VENV" >&2 ||
    die 2 "'$PY -m venv' failed; on Debian/Ubuntu install python$WANT-venv, or use a pyenv Python"

cd "$BOT_ROOT" # requirements.txt refers to requirements/*.lock relatively
start=$SECONDS
if [[ -n ${UV[0]:-} ]]; then # uv found (array length syntax would look like Jinja)
    log "installing requirements.txt with ${UV[*]}"
    # --compile-bytecode: uv writes no .pyc by default, and every Rasa command would then spend
    # ~8 s compiling its ~5,500 modules (pip compiles on install already).
    "${UV[@]}" pip install --compile-bytecode --python "$TMP_VENV/bin/python" -r requirements.txt >&2 ||
        die 1 "installing $REQUIREMENTS failed (uv)"
    "${UV[@]}" pip check --python "$TMP_VENV/bin/python" >&2 ||
        die 1 "dependency check failed (uv pip check)"
else
    log "installing requirements.txt with pip (install uv for a ~10x faster build)"
    # --use-pep517: build source-only packages (e.g. twilio in the 2.8 lock) in
    # an isolated environment, as uv does. Without it, pip < 23.1 falls back to
    # `setup.py install` inside the venv, where the locked setuptools meets the
    # locked (older) packaging and fails (canonicalize_version TypeError).
    "$TMP_VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
        --use-pep517 -r requirements.txt >&2 || die 1 "installing $REQUIREMENTS failed (pip)"
    "$TMP_VENV/bin/python" -m pip check --disable-pip-version-check >&2 ||
        die 1 "dependency check failed (pip check)"
fi
log "installed in $((SECONDS - start)) s"

# Console scripts and activate scripts embed the build path: point them at
# VENV_DIR before the rename (ELF binaries and symlinks are left alone).
# bin/__pycache__ (pip compiles legacy scripts such as jp.py) is just dropped.
"$TMP_VENV/bin/python" - "$TMP_VENV" "$VENV_DIR" <<'PYEOF'
import os, shutil, sys
old, new = (s.encode() for s in sys.argv[1:3])
bindir = os.path.join(sys.argv[1], "bin")
shutil.rmtree(os.path.join(bindir, "__pycache__"), ignore_errors=True)
for name in os.listdir(bindir):
    path = os.path.join(bindir, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    if old in data and not data.startswith(b"\x7fELF"):
        with open(path, "wb") as f:
            f.write(data.replace(old, new))
PYEOF
if grep -lF "$TMP_VENV" "$TMP_VENV"/bin/* "$TMP_VENV/pyvenv.cfg" >&2; then
    die 1 "build path still referenced by the files above"
fi

# Swap into place. os.rename is atomic and refuses a non-empty target.
if [[ -e $VENV_DIR ]]; then
    OLD_VENV=$(mktemp -d "$parent/$name.old.XXXXXX")
    "$PY" -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$VENV_DIR" "$OLD_VENV"
fi
"$PY" -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$TMP_VENV" "$VENV_DIR"
TMP_VENV=""

# Prove the final venv imports Rasa; on failure remove it (no stamp = rebuild).
CHECK_HOME=$(mktemp -d)
mkdir -p "$CHECK_HOME/tmp"
if ! (cd "$CHECK_HOME" &&
    HOME=$CHECK_HOME TMPDIR=$CHECK_HOME/tmp RASA_TELEMETRY_ENABLED=false \
        TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
        "$VENV_DIR/bin/rasa" --version >&2); then
    rm -rf "$VENV_DIR"
    die 1 "'$VENV_DIR/bin/rasa --version' failed: the venv was removed"
fi
printf '%s\n' "$STAMP" >"$VENV_DIR/$STAMP_FILE"

log "venv ready in $SECONDS s: $VENV_DIR"
printf '%s\n' "$VENV_DIR"

#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image for
# @@ASSIGNMENT@@ (built by `grade gradescope-package`).
#
# It makes a virtual environment at $AUTOGRADER_ROOT/venv with Python 3.11, installs
# torch==@@TORCH_VERSION@@ (CPU build) first, then the grader from this folder. Wheels
# bundled in wheels/ (`grade gradescope-package --wheels DIR`) are used first; with
# GRADER_OFFLINE=1 nothing else is downloaded.
#
# Environment: AUTOGRADER_ROOT (default /autograder), GRADER_SKIP_INSTALL=1 (install
# nothing: for tests of the package), GRADER_SETUP_PYTHON (default python3.11).
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"

if [ "${GRADER_SKIP_INSTALL:-0}" = "1" ]; then
    echo "setup.sh: GRADER_SKIP_INSTALL=1, installing nothing"
    exit 0
fi

PYTHON="${GRADER_SETUP_PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check)
if [ -d "$SOURCE/wheels" ]; then
    PIP+=(--find-links "$SOURCE/wheels")
fi
if [ "${GRADER_OFFLINE:-0}" = "1" ]; then
    PIP+=(--no-index)
    "${PIP[@]}" "torch==@@TORCH_VERSION@@"
else
    "${PIP[@]}" "torch==@@TORCH_VERSION@@" --index-url https://download.pytorch.org/whl/cpu
fi
"${PIP[@]}" "$SOURCE"
"$VENV/bin/python" -c "import grader, torch; print('grader ready, torch', torch.__version__)"

#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image for
# @@ASSIGNMENT@@ (built by `grade gradescope-package`).
#
# It makes a virtual environment at $AUTOGRADER_ROOT/venv, installs torch==@@TORCH_VERSION@@
# (CPU build) first, then the grader from this folder. Wheels bundled in wheels/
# (`grade gradescope-package --wheels DIR`) are used first; with GRADER_OFFLINE=1 nothing
# else is downloaded.
#
# Which Python: the grader runs on Python 3.@@MIN_MINOR@@ to 3.@@MAX_MINOR@@. Gradescope's base images ship
# another python3 (Ubuntu 22.04: 3.10; 24.04: 3.12). The first of GRADER_SETUP_PYTHON,
# python3, python3.@@MAX_MINOR@@ ... python3.@@MIN_MINOR@@ on PATH whose version is in that range is used;
# when there is none, Python 3.@@MIN_MINOR@@ is installed: with apt (Ubuntu's python3.@@MIN_MINOR@@ and
# python3.@@MIN_MINOR@@-venv, in 22.04's universe), else with uv from the package index
# (`pip install uv`, then `uv python install 3.@@MIN_MINOR@@`, a standalone build). A course that
# wants no install at build time picks a Gradescope base image with Python 3.@@MIN_MINOR@@-3.@@MAX_MINOR@@.
# `setup.sh --which-python` prints the interpreter it would use ("install" when none
# fits) and installs nothing.
#
# Environment: AUTOGRADER_ROOT (default /autograder), GRADER_SKIP_INSTALL=1 (install
# nothing: for tests of the package), GRADER_SETUP_PYTHON (an interpreter to try first),
# GRADER_TORCH_INDEX (where torch comes from; default PyTorch's CPU index, empty: pip's
# configured indexes).
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"

fits() {  # the interpreter $1 runs and is 3.@@MIN_MINOR@@ <= version <= 3.@@MAX_MINOR@@
    command -v "$1" >/dev/null 2>&1 && "$1" -c \
        'import sys; sys.exit(0 if (3, @@MIN_MINOR@@) <= sys.version_info[:2] <= (3, @@MAX_MINOR@@) else 1)' 2>/dev/null
}

which_python() {
    local candidate
    for candidate in ${GRADER_SETUP_PYTHON:+"$GRADER_SETUP_PYTHON"} python3 $(seq -f 'python3.%g' @@MAX_MINOR@@ -1 @@MIN_MINOR@@); do
        if fits "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    echo install
}

install_python() {  # prints the interpreter it installed
    if command -v apt-get >/dev/null 2>&1 && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq python3.@@MIN_MINOR@@ python3.@@MIN_MINOR@@-venv; } >&2 && fits python3.@@MIN_MINOR@@; then
        command -v python3.@@MIN_MINOR@@
        return 0
    fi
    local boot
    for boot in python3 $(seq -f 'python3.%g' 20 -1 8); do
        if command -v "$boot" >/dev/null 2>&1 && "$boot" -m pip --version >/dev/null 2>&1; then
            "$boot" -m pip install -q --disable-pip-version-check --target "$ROOT/uv" uv >&2
            PYTHONPATH="$ROOT/uv" "$boot" -m uv python install 3.@@MIN_MINOR@@ >&2
            PYTHONPATH="$ROOT/uv" "$boot" -m uv python find 3.@@MIN_MINOR@@
            return 0
        fi
    done
    echo "setup.sh: no Python 3.@@MIN_MINOR@@-3.@@MAX_MINOR@@ here, and neither apt nor pip could install one" >&2
    return 1
}

if [ "${1:-}" = "--which-python" ]; then
    which_python
    exit 0
fi
if [ "${GRADER_SKIP_INSTALL:-0}" = "1" ]; then
    echo "setup.sh: GRADER_SKIP_INSTALL=1, installing nothing"
    exit 0
fi

PYTHON="$(which_python)"
if [ "$PYTHON" = "install" ]; then
    PYTHON="$(install_python)"
fi
echo "setup.sh: using $PYTHON ($("$PYTHON" --version 2>&1))"

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check)
if [ -d "$SOURCE/wheels" ]; then
    PIP+=(--find-links "$SOURCE/wheels")
fi
TORCH_INDEX="${GRADER_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
if [ "${GRADER_OFFLINE:-0}" = "1" ]; then
    PIP+=(--no-index)
    "${PIP[@]}" "torch==@@TORCH_VERSION@@"
elif [ -n "$TORCH_INDEX" ]; then
    "${PIP[@]}" "torch==@@TORCH_VERSION@@" --index-url "$TORCH_INDEX"
else
    "${PIP[@]}" "torch==@@TORCH_VERSION@@"
fi
"${PIP[@]}" "$SOURCE"
"$VENV/bin/python" -c "import grader, torch; print('grader ready, torch', torch.__version__)"

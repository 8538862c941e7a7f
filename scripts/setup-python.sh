#!/usr/bin/env bash
# Installs TensorFlow for Python into .data/venv, for the Python-vs-project benchmark
# (bench/python-compare.ts) and as the source of libtensorflow for scripts/setup-tfjs-node.sh.
# Idempotent: when the venv already imports the pinned versions it returns at once.
# Prints the venv's python path on stdout; progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.data/venv"
# tensorflow-cpu: the CPU-only wheel (no CUDA libraries to download). Both pins have wheels for
# CPython 3.10-3.13 on linux x86_64.
TF_VERSION="${ECGFLOW_PY_TF_VERSION:-2.21.0}"
NUMPY_VERSION="${ECGFLOW_PY_NUMPY_VERSION:-2.2.6}"
PYTHON="${PYTHON:-python3}"

installed() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$TF_VERSION" "$NUMPY_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if (version("tensorflow-cpu"), version("numpy")) == (sys.argv[1], sys.argv[2]) else 1)
EOF
}

if ! installed; then
  command -v "$PYTHON" >/dev/null || { echo "setup-python: $PYTHON not found; install python3 (3.10-3.13)" >&2; exit 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV..." >&2
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV" || { echo "setup-python: '$PYTHON -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
  fi
  echo "installing tensorflow-cpu==$TF_VERSION and numpy==$NUMPY_VERSION into $VENV (about 250 MB)..." >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "tensorflow-cpu==$TF_VERSION" "numpy==$NUMPY_VERSION" >&2
  installed || { echo "setup-python: the venv does not report tensorflow-cpu $TF_VERSION and numpy $NUMPY_VERSION after installing" >&2; exit 1; }
fi
echo "$VENV/bin/python"

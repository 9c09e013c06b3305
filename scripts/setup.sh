#!/usr/bin/env bash
# Set up the project from nothing: a venv in .venv with torch (CPU wheel) and the project.
#   bash scripts/setup.sh          # runtime only
#   bash scripts/setup.sh --test   # plus test tools and Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: this version resolves to the CPU wheel; anything else pulls a CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
.venv/bin/python -c "import rag, torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
echo "setup ok: .venv ready"

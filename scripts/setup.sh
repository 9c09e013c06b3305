#!/usr/bin/env bash
# Set up the project from nothing: a venv in .venv with the project (no torch: the local models
# run on numpy and onnxruntime).
#   bash scripts/setup.sh          # runtime only
#   bash scripts/setup.sh --test   # plus test tools and Debian's chromium for the browser tests
#   bash scripts/setup.sh --torch  # plus the optional torch runtime (RAG_EMBEDDING_RUNTIME=torch)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
EXTRAS=""
for arg in "$@"; do
  case "$arg" in
    --test) EXTRAS="$EXTRAS,test" ;;
    --torch)
      # torch first, pinned: this version resolves to the CPU wheel; anything else pulls a CUDA build.
      .venv/bin/python -m pip install -q torch==2.13.0
      EXTRAS="$EXTRAS,torch" ;;
    *) echo "unknown option $arg (use --test and/or --torch)" >&2; exit 2 ;;
  esac
done
if [ -n "$EXTRAS" ]; then .venv/bin/python -m pip install -q -e ".[${EXTRAS#,}]"; else .venv/bin/python -m pip install -q -e .; fi
if [[ "$EXTRAS" == *test* ]] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# Prepare the int8 MiniLM once (fold + per-channel int8, cached) so the first question is fast; it
# compares sentences at answer time whichever runtime embeds the chunks.
.venv/bin/python -c "from rag.settings import Settings, apply_offline_env; apply_offline_env(); from rag.embeddings import make_embedder, shared_onnx_embedder; s = Settings(); make_embedder(s).embed_documents(['ready']); shared_onnx_embedder(s.resolved_model_cache_dir()).embed_documents(['ready'])"
echo "setup ok: .venv ready"

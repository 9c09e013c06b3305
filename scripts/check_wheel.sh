#!/usr/bin/env bash
# Build the wheel, install it into a clean virtualenv, and use it from a folder outside the
# repository: ingest, answer offline, answer through an OpenAI-compatible server (the scripted
# test server on 127.0.0.1), brief, and evaluate the shipped seed gold file. Used by CI.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'kill ${LLM_PID:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
# Build from a copy of the tracked (and untracked, not ignored) files: building in place would
# leave build/ and egg-info folders in the repository.
mkdir src
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$WORK/src")
"$PY" -m pip wheel -q --no-deps -w dist "$WORK/src" 2>&1 | grep -v "^WARNING: Location" || true
WHEEL=$(ls dist/news_rag-*.whl)
"$PY" - "$WHEEL" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
missing = {"rag/prompt_files/answer.md", "rag/prompt_files/condense.md", "rag/gold/seed.jsonl", "rag/gold/floors.json"} - names
assert not missing, f"wheel lacks {missing}"
PY
"$PY" -m venv venv
venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true

venv/bin/python -m pip install -q "$WHEEL" 2>&1 | grep -v "^WARNING: Location" || true
mkdir elsewhere && cd elsewhere
cp "$REPO/corpus/irgc-militias-iraqi-security-forces.txt" .
export RAG_DATA_DIR="$WORK/data"
RAG="$WORK/venv/bin/rag"
"$RAG" ingest irgc-militias-iraqi-security-forces.txt
"$RAG" ask "Which Iraqi army divisions are named?" --json > offline.json
venv_py="$WORK/venv/bin/python"
"$venv_py" - <<'PY'
import json; a = json.load(open("offline.json"))
assert a["backend"] == "offline-extractive" and not a["refused"] and "fifth" in a["answer"], a
PY
"$venv_py" "$REPO/tests/llm_server.py" "$WORK/llm.url" "The fifth and eighth divisions of the Iraqi Army are named. [1]" &
LLM_PID=$!
for _ in $(seq 50); do [ -s "$WORK/llm.url" ] && break; sleep 0.1; done
RAG_LLM_BASE_URL=$(cat "$WORK/llm.url") RAG_LLM_MODEL=scripted "$RAG" ask "Which Iraqi army divisions are named?" --json > llm.json
"$venv_py" - <<'PY'
import json; a = json.load(open("llm.json"))
assert a["backend"] == "llm:scripted" and not a["notice"] and "[1]" in a["answer"], a
PY
"$RAG" brief "Iran-backed militias and Iraqi security forces" --out briefing.html
grep -q "Content-Security-Policy" briefing.html
"$RAG" eval seed.jsonl --offline --floors "$("$venv_py" -c 'import rag.gold, pathlib; print(pathlib.Path(rag.gold.__file__).with_name("floors.json"))')"
echo "wheel check ok: $(basename "$WHEEL") installed in a clean venv, used from $PWD"

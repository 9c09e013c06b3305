"""The `rag` CLI end to end, in a subprocess like a user runs it."""

import json
import os
import subprocess
import sys

from .conftest import SEED

RAG = [sys.executable, "-m", "rag.cli"]


def run(args, tmp_path, check=True):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    p = subprocess.run(RAG + args, capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_ingest_search_stats_delete(tmp_path):
    p = run(["ingest", str(SEED)], tmp_path)
    assert "added 1" in p.stdout
    p = run(["search", "Which Iraqi army divisions are named?", "-k", "2", "--json"], tmp_path)
    data = json.loads(p.stdout)
    assert set(data) == {"query", "k", "filters", "hits"}
    top = data["hits"][0]
    assert "fifth and eighth divisions" in top["text"] and top["rank"] == 1
    assert set(top) == {"rank", "chunk_id", "article_id", "title", "source", "published_at", "url", "start", "end", "score", "text"}
    stats = json.loads(run(["stats", "--json"], tmp_path).stdout)
    assert stats["articles"] == 1 and stats["embedding_model"] == "all-MiniLM-L6-v2-int8" and stats["embedding_dim"] == 384
    p = run(["delete", top["article_id"][:8]], tmp_path)
    assert "deleted 1" in p.stdout


def test_bad_inputs_each_get_one_line_and_good_files_still_ingest(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "bin.txt").write_bytes(b"\x00\xff\x00\x10garbage")
    (d / "latin.txt").write_bytes("Caf\u00e9\nna\u00efve".encode("latin-1"))
    (d / "broken.json").write_text('{"title": "x", ')
    (d / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (d / "nobody.json").write_text('[{"title": "no body here"}]')
    p = run(["ingest", str(d)], tmp_path)
    lines = [l for l in p.stderr.splitlines() if l.startswith("skipped")]
    assert len(lines) == 6
    for name in ("empty.txt", "bin.txt", "latin.txt", "broken.json", "sheet.xlsx", "nobody.json"):
        assert sum(name in l for l in lines) == 1, name
    assert "added 1" in p.stdout and "Traceback" not in p.stderr


def test_exit_code_is_nonzero_only_when_nothing_could_be_ingested(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    p = run(["ingest", str(bad)], tmp_path, check=False)
    assert p.returncode == 2 and "bad.txt" in p.stderr and "Traceback" not in p.stderr
    p = run(["ingest", str(tmp_path / "missing.txt")], tmp_path, check=False)
    assert p.returncode == 2 and "no such file" in p.stderr


def test_bad_date_is_one_clear_line(tmp_path):
    run(["ingest", str(SEED)], tmp_path)
    p = run(["search", "divisions", "--since", "last tuesday"], tmp_path, check=False)
    assert p.returncode == 1 and "--since 'last tuesday' is not a date" in p.stderr


def test_ask_loads_only_what_answering_needs_and_chromadb_keeps_its_checks_elsewhere(tmp_path):
    # `rag ask` offline must not pay for the UI, the LLM chain, plotting, learning or torch; and the
    # quick chromadb import leaves `overrides` checking every class defined after it.
    run(["ingest", str(SEED)], tmp_path)
    code = """
import runpy, sys
import overrides
real = overrides.override, overrides.overrides
sys.argv = ["rag", "ask", "Which Iraqi army divisions are named?"]
try:
    runpy.run_module("rag.cli", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = [m for m in ("gradio", "langchain", "langchain_core", "openai", "matplotlib", "sklearn", "torch") if m in sys.modules]
assert not heavy, heavy
import chromadb.api.rust
assert chromadb.api.rust.RustBindingsAPI.heartbeat.__override__
assert (overrides.override, overrides.overrides) == real

class Base:
    def f(self):
        return 1

try:
    class Child(Base):
        @overrides.override
        def g(self):
            return 2
except TypeError:
    pass
else:
    raise AssertionError("overrides no longer checks classes defined after the chromadb import")
"""
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "fifth and eighth divisions" in p.stdout

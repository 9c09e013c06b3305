"""Crash safety: SIGKILL an ingest mid-way, re-run, and the store equals a clean ingest."""

import json
import os
import signal
import subprocess
import sys
import time

from rag import Corpus, Retriever, Settings

from .conftest import MULTIHOP


def _ingest(data, src, kill_after=None):
    env = {**os.environ, "RAG_DATA_DIR": str(data)}
    p = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(src)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        assert p.wait(600) == 0
        return
    time.sleep(kill_after)
    p.send_signal(signal.SIGKILL)
    p.wait()


def test_sigkill_then_rerun_converges(tmp_path, embedder):
    src = tmp_path / "slice.json"
    src.write_text(json.dumps(json.loads((MULTIHOP / "corpus.json").read_text())[:8]))
    clean = Corpus(Settings(data_dir=tmp_path / "clean"), embedder=embedder)
    from rag import ingest

    ingest(clean, [str(src)])
    expected = clean.catalog.chunk_ids()
    # Kill once during model load / chunking and once during embedding and storing.
    for delay in (3.0, 5.0):
        _ingest(tmp_path / "stress", src, kill_after=delay)
        _ingest(tmp_path / "stress", src)
        c = Corpus(Settings(data_dir=tmp_path / "stress"), embedder=embedder)
        ids = c.vectors.collection.get(include=[])["ids"]
        assert c.catalog.chunk_ids() == expected
        assert set(ids) == expected and len(ids) == len(expected)
        assert set(c.bm25.ids) == expected
        assert Retriever(c).search("game", 3)
        c.delete([a.id for a in c.catalog.articles()[:4]])  # next round has work to interrupt
        c.close()

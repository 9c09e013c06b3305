"""Ingest into a Chroma server with 1 process vs N embedding worker processes (same articles).

    python bench/ingest_workers.py [--workers 2] [--limit 150] [--data ../shared/data/multihop-rag]

Starts `chroma run` on 127.0.0.1, then ingests the first --limit MultiHop-RAG articles into a fresh
data dir with one process (the model using every core) and again with --workers processes (one
thread each), and prints wall time, chunks/s and the speed-up. Data: MultiHop-RAG (Tang & Yang,
2024), ODC-BY.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from local_server import free_port, wait_until_listening  # noqa: E402
from rag import Corpus, Settings, ingest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def chroma_server(path: Path) -> tuple[subprocess.Popen, str]:
    """`chroma run` on a free port of 127.0.0.1."""
    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    wait_until_listening(proc, port, "chroma server")
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    """Print the 1-process vs N-worker table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=150)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "multihop-rag")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "slice.json"
    src.write_text(json.dumps(json.loads((args.data / "corpus.json").read_text())[: args.limit]))
    proc, url = chroma_server(tmp / "chroma")
    rows = []
    try:
        for workers in (1, args.workers):
            corpus = Corpus(Settings(data_dir=tmp / f"data-{workers}", chroma_url=url))
            corpus.embedder.embed_documents(["warm up"])
            t0 = time.perf_counter()
            report = ingest(corpus, [str(src)], workers=workers)
            rows.append((workers, time.perf_counter() - t0, report.chunks_added))
    finally:
        proc.terminate()
        proc.wait(10)
    t = Table(title=f"ingest of {args.limit} articles into a `chroma run` server, {os.cpu_count()} cores")
    for col in ("embedding processes", "wall s", "chunks", "chunks/s", "speed-up"):
        t.add_column(col, justify="right")
    base = rows[0][1]
    for workers, secs, chunks in rows:
        t.add_row(str(workers), f"{secs:.1f}", str(chunks), f"{chunks / secs:.1f}", f"{base / secs:.2f}x")
    Console().print(t)


if __name__ == "__main__":
    main()

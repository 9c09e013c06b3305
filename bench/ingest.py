"""Ingest benchmark: full ingest vs the raw encoder on the same chunks, then an unchanged re-ingest.

    python bench/ingest.py --data-dir /tmp/mh [--corpus ../shared/data/multihop-rag/corpus.json] [--limit N]

Prints a table: wall time, chunks/s, ratio ingest/raw encoder throughput (goal >= 0.90),
re-ingest time (goal <= 2 s) and peak RSS. The data dir is kept for bench/retrieval.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings, ingest, load_paths  # noqa: E402
from rag.chunking import chunk_article  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/corpus.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles")
    ap.add_argument("--runtime", default="onnx", choices=["onnx", "torch"], help="local embedding runtime")
    args = ap.parse_args()
    shutil.rmtree(args.data_dir, ignore_errors=True)
    src = args.corpus
    if args.limit:
        recs = json.loads(Path(src).read_text())[: args.limit]
        tmp = Path(tempfile.mkdtemp()) / "slice.json"
        tmp.write_text(json.dumps(recs))
        src = str(tmp)
    settings = Settings(data_dir=args.data_dir, embedding_runtime=args.runtime)
    corpus = Corpus(settings)
    corpus.embedder.embed_documents(["warm up"])  # model load is not ingest work

    t0 = time.perf_counter()
    report = ingest(corpus, [src])
    t_ingest = time.perf_counter() - t0
    n_chunks = report.chunks_added

    # Raw encoder on exactly the chunks ingest embedded, same batch size.
    arts = load_paths([src]).articles
    texts = [c.embed_text for a in arts if corpus.catalog.has(a.id)
             for c in chunk_article(a, corpus.embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)]
    t0 = time.perf_counter()
    for i in range(0, len(texts), 1024):
        corpus.embedder.embed_documents(texts[i:i + 1024])
    t_raw = time.perf_counter() - t0

    t0 = time.perf_counter()
    again = ingest(Corpus(settings), [src])
    t_re = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = Table(title=f"ingest bench: {len(arts)} articles, {n_chunks} chunks")
    for col in ("measure", "value"):
        table.add_column(col)
    table.add_row("ingest wall time (s)", f"{t_ingest:.1f}")
    table.add_row("ingest chunks/s", f"{n_chunks / t_ingest:.1f}")
    table.add_row("raw encoder time (s)", f"{t_raw:.1f}")
    table.add_row("raw encoder chunks/s", f"{len(texts) / t_raw:.1f}")
    table.add_row("ratio ingest/raw throughput", f"{(n_chunks / t_ingest) / (len(texts) / t_raw):.3f}")
    table.add_row("duplicates skipped", str(len(report.duplicates)))
    table.add_row("re-ingest unchanged (s)", f"{t_re:.2f} ({len(again.unchanged)} unchanged, {again.chunks_added} chunks embedded)")
    table.add_row("peak RSS (MB)", f"{rss:.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()

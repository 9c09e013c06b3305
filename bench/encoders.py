"""First-stage encoder bench: every variant ingests the same corpus, then answers the same dev queries.

    python bench/encoders.py [--corpus ../shared/data/multihop-rag/corpus.json]
                             [--queries ../shared/data/multihop-rag/queries-dev.json]
                             [--static NAME=DIR ...] [--only NAME ...] [--json OUT]

Variants (each in its own process, one after another, so peak RSS and timings are its own):
  minilm-int8        all-MiniLM-L6-v2 int8 ONNX over the whole chunk (256-token window: the reference)
  minilm-int8-w128   the same model over the first 128 tokens of each chunk (the default)
  static             the packaged model2vec vectors (rag/models/minilm-static)
  NAME               any other model2vec folder given with --static NAME=DIR (PCA size, SIF weighting)
  no-dense           BM25 + hints + reranks alone (the dense list's weight 0), on the static store
Columns: full-corpus ingest wall time and chunks/s, peak RSS, retrieval p50 per query, cold
`rag ask` (packaged runtimes only) and dev Hits@4 / Hits@10 / MRR@10 / MAP@10 of the whole retriever.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "multihop-rag"
PACKAGED = {"minilm-int8": "onnx", "static": "static"}


def make_embedder(variant: str, static_dirs: dict[str, str]):
    """The embedder a variant ingests with (bench-only subclasses for the window experiments)."""
    from rag.embeddings import STATIC_DIR, OnnxEmbedder, StaticEmbedder
    from rag.settings import Settings

    if variant.startswith("minilm-int8"):
        window = int(variant.rsplit("w", 1)[1]) if "-w" in variant else 256
        return OnnxEmbedder(Settings().resolved_model_cache_dir(), window=window)
    if variant in ("static", "no-dense"):
        return StaticEmbedder(STATIC_DIR)
    return StaticEmbedder(Path(static_dirs[variant]))


def child(args) -> None:
    """Ingest and evaluate one variant in this process; print one JSON line."""
    from rag.settings import apply_offline_env

    apply_offline_env()
    from rag import Corpus, Retriever, Settings, ingest
    from rag.evaluate import evaluate

    static_dirs = dict(s.split("=", 1) for s in args.static)
    embedder = make_embedder(args.child, static_dirs)
    overrides = {"dense_weight": 0.0} if args.child == "no-dense" else {}
    settings = Settings(data_dir=args.data_dir, embedding_runtime=PACKAGED.get(args.child, "static"), **overrides)
    corpus = Corpus(settings, embedder=embedder)
    t0 = time.perf_counter()
    report = ingest(corpus, [args.corpus])
    ingest_s = time.perf_counter() - t0
    chunks = len(corpus.catalog.chunk_ids())
    t0 = time.perf_counter()
    again = ingest(corpus, [args.corpus])
    reingest_s = time.perf_counter() - t0
    result = evaluate(corpus, args.queries, retrieval_only=True)
    retriever = Retriever(corpus)
    questions = [q["query"] for q in json.loads(Path(args.queries).read_text())[:100]]
    lat = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, 10)
        lat.append((time.perf_counter() - t) * 1000)
    m = result["metrics"]
    print(json.dumps({"variant": args.child, "ingest_s": ingest_s, "chunks": chunks, "added": len(report.added),
                      "reingest_s": reingest_s, "reingest_unchanged": len(again.unchanged),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "query_p50_ms": statistics.median(lat), "dim": embedder.dim,
                      **{k: m[k] for k in ("hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10")}}))


def cold_ask(data_dir: str, runtime: str) -> float:
    """Wall seconds of a fresh `rag ask` process on the variant's store."""
    env = {**os.environ, "RAG_DATA_DIR": data_dir, "RAG_EMBEDDING_RUNTIME": runtime}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Which company did TechCrunch report raised money?"],
                   env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(SHARED / "corpus.json"))
    ap.add_argument("--queries", default=str(SHARED / "queries-dev.json"))
    ap.add_argument("--static", action="append", default=[], help="NAME=DIR of another model2vec folder")
    ap.add_argument("--only", action="append", default=[], help="run only these variants")
    ap.add_argument("--json", type=Path, help="write the rows here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    from rich.console import Console
    from rich.table import Table

    variants = ["minilm-int8", "minilm-int8-w128", "static"] + [s.split("=", 1)[0] for s in args.static] + ["no-dense"]
    variants = [v for v in variants if not args.only or v in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-enc-") as tmp:
        for v in variants:
            data_dir = str(Path(tmp) / v)
            cmd = [sys.executable, __file__, "--child", v, "--data-dir", data_dir, "--corpus", args.corpus,
                   "--queries", args.queries] + sum((["--static", s] for s in args.static), [])
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"{v}: failed\n{p.stderr[-2000:]}", file=sys.stderr)
                continue
            row = json.loads(p.stdout.strip().splitlines()[-1])
            row["cold_ask_s"] = cold_ask(data_dir, PACKAGED[v]) if v in PACKAGED else None
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    ref = next((r for r in rows if r["variant"] == "minilm-int8"), None)
    t = Table(title=f"First-stage encoders: {Path(args.corpus).name} ingest, {Path(args.queries).name} retrieval "
                    f"({os.cpu_count()} cores)")
    for col in ("variant", "dims", "ingest s", "chunks/s", "× ref", "re-ingest s", "peak RSS MB", "query p50 ms",
                "cold ask s", "Hits@4", "Hits@10", "MRR@10", "MAP@10"):
        t.add_column(col, justify="left" if col == "variant" else "right")
    for r in rows:
        speed = r["chunks"] / r["ingest_s"]
        t.add_row(r["variant"], str(r["dim"]), f"{r['ingest_s']:.0f}", f"{speed:.0f}",
                  f"{ref['ingest_s'] / r['ingest_s']:.1f}" if ref else "–", f"{r['reingest_s']:.1f}", f"{r['peak_rss_mb']:.0f}",
                  f"{r['query_p50_ms']:.0f}", f"{r['cold_ask_s']:.2f}" if r["cold_ask_s"] else "–",
                  *(f"{r[k]:.3f}" for k in ("hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10")))
    Console(width=180).print(t)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

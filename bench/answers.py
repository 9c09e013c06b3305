"""Answer benchmark: offline answerer latency (warm p50/p95), `rag ask` cold start, and answer
quality on MultiHop-RAG dev per question type (all 852 queries).

    python bench/answers.py --data-dir DIR [--limit N]

DIR must hold the ingested MultiHop-RAG corpus (bench/ingest.py leaves one). Data: MultiHop-RAG
(Tang & Yang, 2024), ODC-BY.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
from rag.answerer import Answerer  # noqa: E402
from rag.evaluate import evaluate, metrics_table  # noqa: E402
from rag.metrics import percentile  # noqa: E402

QUERIES = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/queries-dev.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    console = Console()
    cold = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag.cli", "--data-dir", args.data_dir, "ask", "Who is Sam Bankman-Fried?"],
                       capture_output=True, env={**os.environ}, check=True)
        cold.append(time.perf_counter() - t0)
    corpus = Corpus(Settings(data_dir=args.data_dir))
    answerer = Answerer(corpus)
    answerer.ask("warm up", use_llm=False)
    t0 = time.perf_counter()
    result = evaluate(corpus, QUERIES, limit=args.limit, use_llm=False)
    took = time.perf_counter() - t0
    lat = [r["latency_ms"] for r in result["questions"]]
    t = Table(title=f"offline answerer on MultiHop-RAG dev: {len(lat)} queries, {corpus.catalog.stats()['chunks']} chunks")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("warm answer latency p50 ms", f"{percentile(lat, 50):.0f}")
    t.add_row("warm answer latency p95 ms", f"{percentile(lat, 95):.0f}")
    t.add_row("`rag ask` cold start s (median of 5)", f"{sorted(cold)[2]:.2f}")
    t.add_row("eval run time s", f"{took:.0f}")
    console.print(t)
    console.print(metrics_table(result, "answer and citation metrics by question type"))


if __name__ == "__main__":
    main()

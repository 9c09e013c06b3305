"""Briefing benchmark: offline briefing time over N articles (default 30), median of 3 runs.

    python bench/brief.py --data-dir DIR [--topic "..."] [--articles 30]

DIR must hold an ingested corpus (e.g. MultiHop-RAG via bench/ingest.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rag import Corpus, Retriever, Settings  # noqa: E402
from rag.briefing import brief  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--topic", default="Sam Bankman-Fried FTX fraud trial")
    ap.add_argument("--articles", type=int, default=30)
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    Retriever(corpus).search("warm up", 3)
    times, b = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        b = brief(corpus, args.topic, max_articles=args.articles, use_llm=False)
        times.append(time.perf_counter() - t0)
    print(f"briefing on {args.topic!r}: {len(b.articles)} articles, {len(b.sources)} cited spans, "
          f"{sum(len(p) for _, p in b.key_points)} key points, {len(b.timeline)} timeline events, "
          f"{len(b.whos_who)} people/orgs, {len(b.differences)} differences; "
          f"median {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()

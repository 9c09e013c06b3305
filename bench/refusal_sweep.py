"""Refusal-threshold sweep for the offline answerer: unanswerable vs answerable questions refused.

    python bench/refusal_sweep.py --data-dir DIR [--queries FILE] [--limit N] [--half even|odd] [--thresholds 0.3,0.35]

For every question it retrieves the passages the answerer would read and takes the best sentence
score (the quantity compared with RAG_REFUSAL_THRESHOLD, under the judge RAG_JUDGE sets); then, for each threshold, it prints the
share of null (unanswerable) questions refused and of answerable ones refused, per type. DIR must
hold the ingested MultiHop-RAG corpus (bench/ingest.py leaves one). Data: MultiHop-RAG (Tang & Yang,
2024), ODC-BY; default queries ../shared/data/multihop-rag/queries-dev.json.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
from rag.contract import to_sources  # noqa: E402
from rag.offline import OfflineAnswerer  # noqa: E402
from rag.offline import CORROBORATED_MARGIN  # noqa: E402
from rag.evaluate import load_gold  # noqa: E402
from rag.retrieve import Retriever  # noqa: E402
from rag.settings import apply_offline_env  # noqa: E402

DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/queries-dev.json"
THRESHOLDS = [0.32, 0.34, 0.36, 0.38, 0.40, 0.42, 0.44]


def main() -> None:
    """Print the sweep table."""
    apply_offline_env()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--half", choices=["", "even", "odd"], default="", help="only the questions at even / odd positions")
    ap.add_argument("--thresholds", default=",".join(map(str, THRESHOLDS)))
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    retriever, answerer = Retriever(corpus), OfflineAnswerer(corpus)
    current = answerer.threshold
    questions = [q for i, q in enumerate(load_gold(args.queries)) if not args.half or (i % 2 == 0) == (args.half == "even")]
    questions = questions[: args.limit or None]
    # Score each question once; the refusal decision (match + corroboration) is replayed per threshold.
    scored: dict[str, list[tuple]] = defaultdict(list)
    for q in questions:
        question = retriever.analyse(q.question)
        sources = to_sources(retriever.search(question, corpus.settings.top_k), corpus)
        kind = "null" if not q.answerable else (q.question_type or "answerable").replace("_query", "")
        scored[kind].append((question, sources, answerer.score(question, sources)))
    t = Table(title=f"offline refusal sweep: {len(questions)} questions ({len(scored.get('null', []))} null), "
                    f"judge {corpus.settings.judge}, current threshold {current}, corroborated answers down to threshold - {CORROBORATED_MARGIN}")
    t.add_column("threshold", justify="right")
    t.add_column("null refused", justify="right")
    t.add_column("answerable refused", justify="right")
    kinds = sorted(k for k in scored if k != "null")
    for k in kinds:
        t.add_column(f"{k} refused", justify="right")
    for th in [float(x) for x in args.thresholds.split(",")]:
        answerer.threshold = th
        refused = {k: [answerer.compose(*item).refused for item in v] for k, v in scored.items()}
        share = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
        t.add_row(f"{th:.2f}", f"{share(refused.get('null', [])):.3f}", f"{share([r for k in kinds for r in refused[k]]):.3f}",
                  *(f"{share(refused[k]):.3f}" for k in kinds))
    Console().print(t)


if __name__ == "__main__":
    main()

"""How far one quoted sentence per named outlet/report can go: the answerer's citations vs a perfect picker.

    python bench/citation_ceiling.py --data-dir DIR [--depths 6,10] [--limit N] [--half even|odd]

For each answerable dev question and each passage depth k, the passages the answerer reads are
retrieved and split into "sides" the way the offline answerer splits them (one per outlet/report the
question names, else one). A perfect picker quotes, for every side, a gold sentence when the side's
passages hold one, and has to quote something else otherwise. Its citation precision and recall
are the ceiling of any sentence scorer that cites one sentence per side over those passages. The
answerer's own figures (`rag eval` definitions, top_k passages) are printed beside them.

DIR must hold the ingested MultiHop-RAG corpus (bench/ingest.py leaves one). Data: MultiHop-RAG
(Tang & Yang, 2024), ODC-BY; default queries ../shared/data/multihop-rag/queries-dev.json.
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
from rag import metrics as M  # noqa: E402
from rag.answerer import Answerer  # noqa: E402
from rag.contract import to_sources  # noqa: E402
from rag.evaluate import load_gold, resolve_gold  # noqa: E402
from rag.filters import Filters  # noqa: E402
from rag.retrieve import Retriever  # noqa: E402
from rag.settings import apply_offline_env  # noqa: E402
from rag.text import sentence_spans  # noqa: E402

DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/queries-dev.json"
TYPES = ("inference", "comparison", "temporal")


def perfect_picks(gold: list[tuple[str, int, int]], sides: list[list[tuple[str, int, int]]]) -> tuple[float, float]:
    """(precision, recall) of quoting one sentence per side, a gold one whenever the side holds one;
    among a side's gold sentences the one covering a gold fact not yet covered is preferred."""
    covered: set[int] = set()
    right = 0
    for side in sides:
        hits = [{i for i, g in enumerate(gold) if M.overlaps(g, s)} for s in side]
        hits = [h for h in hits if h]
        if hits:
            right += 1
            covered |= max(hits, key=lambda h: len(h - covered))
    return right / len(sides), len(covered) / len(gold)


def main() -> None:
    """Print the ceiling table."""
    apply_offline_env()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--depths", default="6,10", help="passage depths k to measure the perfect picker at")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--half", choices=["", "even", "odd"], default="", help="only the questions at even / odd positions")
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    retriever, answerer = Retriever(corpus), Answerer(corpus)
    depths = [int(k) for k in args.depths.split(",")]
    questions = [q for i, q in enumerate(load_gold(args.queries)) if q.answerable and (not args.half or (i % 2 == 0) == (args.half == "even"))]
    questions = questions[: args.limit or None]
    cache: dict = {}
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        kind = q.question_type.replace("_query", "")
        gold = resolve_gold(corpus, q, cache)
        if not gold:
            continue
        aspects = retriever.analyse(q.question).outlet_day
        aspects = aspects if len(aspects) > 1 else [(None, 0)]
        for k in depths:
            sources = to_sources(retriever.search(q.question, k), corpus)
            sides = [[(s.article_id, sp.start, sp.end) for s in sources if Filters().narrowed(outlet, day).admits(s.source, s.published_at)
                      for sp in sentence_spans(s.article_text, s.start, s.end)] for outlet, day in aspects]
            p, r = perfect_picks(gold, sides)
            for key, v in ((f"perfect picker, k={k}: precision", p), (f"perfect picker, k={k}: recall", r)):
                rows[key][kind].append(v)
                rows[key]["all"].append(v)
        a = answerer.ask(q.question, use_llm=False)
        cited = [(c["article_id"], c["start"], c["end"]) for c in a.citations]
        for key, v in ((f"answerer, k={corpus.settings.top_k}: precision", M.citation_precision(gold, cited)),
                       (f"answerer, k={corpus.settings.top_k}: recall", M.citation_recall(gold, cited))):
            if v is not None:
                rows[key][kind].append(v)
                rows[key]["all"].append(v)
    t = Table(title=f"one cited sentence per side: the answerer vs a perfect picker ({len(questions)} answerable questions)")
    t.add_column("citations")
    for kind in (*TYPES, "all"):
        t.add_column(kind, justify="right")
    mean = lambda xs: f"{sum(xs) / len(xs):.3f}" if xs else "–"  # noqa: E731
    # the answerer first, then the perfect picker by depth; precision before recall
    order = lambda key: (not key.startswith("answerer"), int(key.split("k=")[1].split(":")[0]), key.endswith("recall"))  # noqa: E731
    for key in sorted(rows, key=order):
        t.add_row(key, *(mean(rows[key][kind]) for kind in (*TYPES, "all")))
    Console().print(t)


if __name__ == "__main__":
    main()

"""Fit the learned rerank's weights on MultiHop-RAG dev and show what they do on held-out questions.

    python bench/learn_rerank.py --data-dir /tmp/mh [--queries ../shared/data/multihop-rag/queries-dev.json] [--C 10]

For every answerable dev question the retriever (learned rerank off) returns its top `rerank_depth`
chunks; each chunk gets the features of `Retriever.rerank_features` and the label "holds a gold fact"
(the upstream relevance rule, rag/metrics.py). A logistic regression is fitted

* on half A (even-numbered questions) and measured on half B, and the other way round: the held-out
  figures, the honest estimate of what the weights do on unseen questions;
* on all of dev: the weights to ship, printed as the `LEARNED_WEIGHTS` line for rag/retrieve.py.

The table also measures the weights shipped in rag/retrieve.py, and the list without the rerank.
Metrics: Hits@4, Hits@10, MRR@10 (upstream definitions), per half. Data: MultiHop-RAG (Tang & Yang,
2024), ODC-BY.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from rag import Corpus, Retriever, Settings  # noqa: E402
from rag.metrics import hits_at, mrr_at, relevant  # noqa: E402
from rag.retrieve import LEARNED_FEATURES, LEARNED_WEIGHTS  # noqa: E402

DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/queries-dev.json"


def collect(data_dir: str, queries: list[dict]) -> list[dict]:
    """Per question: its half, the chunk texts in list order, their features and labels."""
    corpus = Corpus(Settings(data_dir=data_dir, learned_rerank=False))
    r = Retriever(corpus)
    out = []
    for i, q in enumerate(queries):
        facts = [e["fact"] for e in q["evidence_list"]]
        hits = r.search(q["query"], corpus.settings.rerank_depth)
        out.append({"half": "AB"[i % 2], "facts": facts, "texts": [h.text for h in hits],
                    "X": r.rerank_features(q["query"], hits), "y": np.array([bool(relevant(h.text, facts)) for h in hits])})
    return out


def measure(rows: list[dict], weights: np.ndarray | None) -> tuple[float, float, float]:
    """Hits@4, Hits@10, MRR@10 with the list reordered by `weights` (None: as retrieved)."""
    h4 = h10 = mrr = 0.0
    for r in rows:
        texts = r["texts"]
        if weights is not None and len(texts):
            s = r["X"] @ weights
            texts = [texts[i] for i in sorted(range(len(texts)), key=lambda i: (-s[i], i))]
        h4 += hits_at(texts, r["facts"], 4)
        h10 += hits_at(texts, r["facts"], 10)
        mrr += mrr_at(texts, r["facts"], 10)
    n = len(rows) or 1
    return h4 / n, h10 / n, mrr / n


def fit(rows: list[dict], C: float) -> np.ndarray:
    """Logistic-regression weights (no intercept: only the order is used)."""
    rows = [r for r in rows if len(r["y"])]
    X = np.vstack([r["X"] for r in rows])
    y = np.concatenate([r["y"] for r in rows])
    return LogisticRegression(C=C, max_iter=5000).fit(X, y).coef_[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--queries", default=str(DEFAULT_QUERIES))
    ap.add_argument("--C", type=float, default=10.0, help="inverse regularisation strength")
    args = ap.parse_args()
    queries = [q for q in json.loads(Path(args.queries).read_text()) if q["question_type"] != "null_query"]
    rows = collect(args.data_dir, queries)
    half = {h: [r for r in rows if r["half"] == h] for h in "AB"}
    w_a, w_b, w_all = fit(half["A"], args.C), fit(half["B"], args.C), fit(rows, args.C)
    table = Table(title=f"Learned rerank on MultiHop-RAG dev ({len(rows)} answerable questions; Hits@4 / Hits@10 / MRR@10)")
    for col in ("order", "half A", "half B", "all"):
        table.add_column(col, justify="right")

    def cells(wa, wb, wall):
        return [" / ".join(f"{x:.3f}" for x in measure(rs, w)) for rs, w in ((half["A"], wa), (half["B"], wb), (rows, wall))]

    table.add_row("as retrieved (no learned rerank)", *cells(None, None, None))
    held_a, held_b = measure(half["A"], w_b), measure(half["B"], w_a)
    both = [(x * len(half["A"]) + y * len(half["B"])) / len(rows) for x, y in zip(held_a, held_b)]
    table.add_row("fitted on the other half (held out)", *(" / ".join(f"{x:.3f}" for x in m) for m in (held_a, held_b, both)))
    table.add_row("fitted on all of dev (in sample)", *cells(w_all, w_all, w_all))
    shipped = np.asarray(LEARNED_WEIGHTS)
    table.add_row("weights shipped in rag/retrieve.py", *cells(shipped, shipped, shipped))
    Console(width=150).print(table)
    print("features:", ", ".join(LEARNED_FEATURES))
    print("LEARNED_WEIGHTS = (" + ", ".join(f"{x:.3f}" for x in w_all) + ")")


if __name__ == "__main__":
    main()

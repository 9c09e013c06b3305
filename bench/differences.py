"""Does the "where outlets differ" detector flag gold evidence that differs, and leave agreeing evidence alone?

    python bench/differences.py --data-dir DIR

On MultiHop-RAG dev it takes two kinds of question whose gold answer says whether two reports differ:

* temporal questions asking whether coverage stayed consistent or changed ("Was there consistency in
  … between the Sporting News report of … and the CBSSports.com report?"): differing when the gold
  answer says it changed (a "no" to a consistency question, a "yes" to a change question);
* comparison questions answered yes / no: "no" counts as differing, "yes" as agreeing.

For each, the first two gold evidence facts from different reports (outlet or day) are the pair. The
detector flags a pair when its two sentences are on the same point (the gate) and `rag.differ.compare_claims`
finds a conflict (figure, date, outcome, denial). Gates compared: none; the sentence embedder's cosine
≥ t; the relevance model's probability that one sentence bears on the other ≥ t. Each gate's t is
fitted on the even half (the largest share of differing pairs flagged with at most 10% of agreeing
pairs flagged) and reported on the odd half. Goal: ≥ 50% of differing pairs flagged, ≤ 10% of
agreeing ones. Data: MultiHop-RAG (Tang & Yang, COLM 2024), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
from rag.differ import compare_claims  # noqa: E402
from rag.text import normalise  # noqa: E402

QUERIES = ROOT.parent / "shared/data/multihop-rag/queries-dev.json"
_SAME = re.compile(r"consisten|\bsame\b|align|agree|similar|\bunchanged\b", re.I)
_CHANGE = re.compile(r"inconsisten|\bchange|\bdiffer|\bshift|contradict", re.I)


def gold_pairs(rows: list[dict]) -> list[dict]:
    """(position, kind, differs, fact a, fact b) for each usable dev question."""
    out = []
    for i, q in enumerate(rows):
        answer = q["answer"].strip(". ").lower()
        if q["question_type"] == "comparison_query" and answer in ("yes", "no"):
            differs = answer == "no"
        elif q["question_type"] == "temporal_query" and (_SAME.search(q["query"]) or _CHANGE.search(q["query"])):
            asks_change = bool(_CHANGE.search(q["query"]))
            if answer in ("consistent", "agree"):
                differs = False
            elif answer in ("yes", "no"):
                differs = (answer == "yes") == asks_change
            else:
                continue
        else:
            continue
        facts, seen = [], set()
        for e in q["evidence_list"]:
            key = (e["source"], e["published_at"][:10])
            if key not in seen:
                seen.add(key)
                facts.append(normalise(e["fact"]))
        if len(facts) >= 2:
            out.append({"i": i, "kind": q["question_type"].replace("_query", ""), "differs": differs, "a": facts[0], "b": facts[1]})
    return out


def fit(scores: np.ndarray, conflict: np.ndarray, differs: np.ndarray, ceiling: float = 0.10) -> float:
    """The gate threshold that flags most differing pairs with at most `ceiling` of agreeing pairs flagged."""
    best_t, best = 1.01, -1.0
    for t in sorted(set(np.round(scores, 3))) + [1.01]:
        flagged = conflict & (scores >= t)
        agree_rate = flagged[~differs].mean() if (~differs).any() else 0.0
        rate = flagged[differs].mean() if differs.any() else 0.0
        if agree_rate <= ceiling and rate > best:
            best_t, best = float(t), rate
    return best_t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--queries", type=Path, default=QUERIES)
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    pairs = gold_pairs(json.loads(args.queries.read_text()))
    t0 = time.perf_counter()
    embedder, judge = corpus.sentence_embedder, corpus.judge
    va = np.asarray(embedder.embed_documents([p["a"] for p in pairs]), dtype=np.float32)
    vb = np.asarray(embedder.embed_documents([p["b"] for p in pairs]), dtype=np.float32)
    cosine = (va * vb).sum(axis=1)
    rel = np.array([max(float(judge.score(p["a"], [p["b"]])[0]), float(judge.score(p["b"], [p["a"]])[0])) for p in pairs])
    conflict = np.array([compare_claims(p["a"], p["b"]) is not None for p in pairs])
    differs = np.array([p["differs"] for p in pairs])
    even = np.array([p["i"] % 2 == 0 for p in pairs])
    kinds = np.array([p["kind"] for p in pairs])
    seconds = time.perf_counter() - t0
    t = Table(title=f"where outlets differ, on MultiHop-RAG dev gold evidence pairs ({len(pairs)} pairs: "
                    f"{differs.sum()} differing, {(~differs).sum()} agreeing); gates fitted on the even half, shown on the odd half")
    for col in ("gate", "t (even)", "half", "differing flagged", "agreeing flagged", "temporal diff/agree", "comparison diff/agree"):
        t.add_column(col, justify="left" if col == "gate" else "right")
    share = lambda m: f"{m.mean():.3f} ({m.sum()}/{m.size})" if m.size else "–"  # noqa: E731
    for name, scores in (("none", np.ones(len(pairs))), ("cosine", cosine), ("relevance model", rel)):
        th = fit(scores[even], conflict[even], differs[even]) if name != "none" else 0.0
        flagged = conflict & (scores >= th)
        for half, mask in (("even (fit)", even), ("odd (held out)", ~even)):
            by_kind = []
            for k in ("temporal", "comparison"):
                m = mask & (kinds == k)
                by_kind.append(f"{flagged[m & differs].mean():.2f} / {flagged[m & ~differs].mean():.2f}" if m.any() else "–")
            t.add_row(name, f"{th:.3f}", half, share(flagged[mask & differs]), share(flagged[mask & ~differs]), *by_kind)
    Console(width=170).print(t)
    found = [(p, compare_claims(p["a"], p["b"])) for p in pairs]
    kinds_found: dict[str, int] = {}
    for _, d in found:
        if d:
            kinds_found[d.kind] = kinds_found.get(d.kind, 0) + 1
    Console().print(f"conflicts found by kind (no gate): {kinds_found}; same-point cosine median: differing "
                    f"{np.median(cosine[differs]):.3f}, agreeing {np.median(cosine[~differs]):.3f}; {seconds:.1f} s")


if __name__ == "__main__":
    main()

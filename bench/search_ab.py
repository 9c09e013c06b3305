"""Search speed of two versions of the code side by side, alternating, on the same ingested corpus.

    python bench/search_ab.py --data-dir DIR [--baseline REF] [--rounds 3] [--limit N]

The code at git REF (default HEAD~1) is checked out into a temporary worktree; each round runs one
fresh process per version (baseline, then working tree), each timing `Retriever.search(q, 10)` over
the same MultiHop-RAG dev questions after a warm-up of five. Alternating rounds spread the machine's
noise over both versions; the table gives each round's median and the median of the rounds, plus
Hits@4 / Hits@10 / MRR@10 of the last round, so a speed-up that changes results shows. DIR must hold
the ingested corpus (bench/ingest.py). Data: MultiHop-RAG (Tang & Yang, 2024), ODC-BY.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared/data/multihop-rag/queries-dev.json"

CHILD = r"""
import json, sys, time, statistics
sys.path.insert(0, sys.argv[1])
from rag.settings import Settings, apply_offline_env
apply_offline_env()
from rag import Corpus, Retriever
from rag.metrics import hits_at, mrr_at
corpus = Corpus(Settings(data_dir=sys.argv[2]))
retriever = Retriever(corpus)
queries = [q for q in json.load(open(sys.argv[3])) if q["question_type"] != "null_query"]
queries = queries[:int(sys.argv[4])] if int(sys.argv[4]) else queries
for q in queries[:5]:
    retriever.search(q["query"], 10)
ms, h4, h10, mrr = [], 0, 0, 0
for q in queries:
    t0 = time.perf_counter()
    hits = retriever.search(q["query"], 10)
    ms.append((time.perf_counter() - t0) * 1000)
    got, facts = [h.text for h in hits], [e["fact"] for e in q["evidence_list"]]
    h4 += hits_at(got, facts, 4); h10 += hits_at(got, facts, 10); mrr += mrr_at(got, facts, 10)
n = len(queries)
print(json.dumps({"p50": statistics.median(ms), "hits_at_4": h4 / n, "hits_at_10": h10 / n, "mrr_at_10": mrr / n}))
"""


def measure(code_root: Path, data_dir: str, limit: int) -> dict:
    """One fresh process timing every search with the code under `code_root`."""
    p = subprocess.run([sys.executable, "-c", CHILD, str(code_root), data_dir, str(QUERIES), str(limit)],
                       capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    """Alternate baseline and working tree, then print the table."""
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--baseline", default="HEAD~1")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="first N answerable questions (0 = all)")
    args = ap.parse_args()
    ref = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp()) / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(work), ref], cwd=ROOT, capture_output=True, check=True)
    try:
        runs: dict[str, list[dict]] = {"baseline": [], "working tree": []}
        for _ in range(args.rounds):
            runs["baseline"].append(measure(work, args.data_dir, args.limit))
            runs["working tree"].append(measure(ROOT, args.data_dir, args.limit))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(work)], cwd=ROOT, capture_output=True)
    table = Table(title=f"hybrid search, MultiHop-RAG dev, {args.rounds} alternating rounds: {ref} vs working tree")
    table.add_column("measure")
    table.add_column(f"baseline ({ref})", justify="right")
    table.add_column("working tree", justify="right")
    for i in range(args.rounds):
        table.add_row(f"round {i + 1}: search p50 ms", *(f"{r[i]['p50']:.1f}" for r in runs.values()))
    table.add_row("median of rounds, ms", *(f"{statistics.median(x['p50'] for x in r):.1f}" for r in runs.values()))
    for key, label in (("hits_at_4", "Hits@4"), ("hits_at_10", "Hits@10"), ("mrr_at_10", "MRR@10")):
        table.add_row(label, *(f"{r[-1][key]:.3f}" for r in runs.values()))
    Console().print(table)


if __name__ == "__main__":
    main()

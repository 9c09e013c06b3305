"""Search speed and cold start of two versions of the code side by side, alternating, on one corpus.

    python bench/search_ab.py --data-dir DIR [--baseline REF] [--rounds 3] [--limit N] [--cold N]

The code at git REF (default HEAD~1) is checked out into a temporary worktree; each round runs one
fresh process per version (baseline, then working tree), each timing `Retriever.search(q, 10)` over
the same MultiHop-RAG dev questions after a warm-up of five. Alternating rounds spread the machine's
noise over both versions; the table gives each round's median and the median of the rounds, plus
Hits@4 / Hits@10 / MRR@10 of the last round, so a speed-up that changes results shows. DIR must hold
the ingested corpus (bench/ingest.py). Data: MultiHop-RAG (Tang & Yang, 2024), ODC-BY.

`--cold N` also times N alternating `rag ask` processes per version (wall time, median). Each
version runs once unmeasured first, with byte-code writing on, so both start from compiled
modules as after any first run; `--rounds 0` gives the cold start alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def cold_start(code_root: Path, data_dir: str) -> float:
    """Wall seconds of one `rag ask` process running the code under `code_root`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"RAG_DATA_DIR": data_dir}
    t0 = time.perf_counter()
    # cwd first on sys.path: `-m rag.cli` imports the package under code_root.
    subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Who is Sam Bankman-Fried?"], cwd=code_root, env=env,
                   capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    """Alternate baseline and working tree, then print the table."""
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--baseline", default="HEAD~1")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="first N answerable questions (0 = all)")
    ap.add_argument("--cold", type=int, default=0, help="also time N cold `rag ask` processes per version")
    args = ap.parse_args()
    ref = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp()) / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(work), ref], cwd=ROOT, capture_output=True, check=True)
    try:
        runs: dict[str, list[dict]] = {"baseline": [], "working tree": []}
        for _ in range(args.rounds):
            runs["baseline"].append(measure(work, args.data_dir, args.limit))
            runs["working tree"].append(measure(ROOT, args.data_dir, args.limit))
        cold: dict[str, list[float]] = {"baseline": [], "working tree": []}
        for i in range(args.cold + 1 if args.cold else 0):
            for name, root in (("baseline", work), ("working tree", ROOT)):
                seconds = cold_start(root, args.data_dir)
                if i:  # the first run of each compiles its byte code
                    cold[name].append(seconds)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(work)], cwd=ROOT, capture_output=True)
    table = Table(title=f"MultiHop-RAG dev, {args.rounds} alternating search rounds, {args.cold} cold starts each: "
                        f"{ref} vs working tree")
    table.add_column("measure")
    table.add_column(f"baseline ({ref})", justify="right")
    table.add_column("working tree", justify="right")
    for i in range(args.rounds):
        table.add_row(f"round {i + 1}: search p50 ms", *(f"{r[i]['p50']:.1f}" for r in runs.values()))
    if args.rounds:
        table.add_row("median of rounds, ms", *(f"{statistics.median(x['p50'] for x in r):.1f}" for r in runs.values()))
        for key, label in (("hits_at_4", "Hits@4"), ("hits_at_10", "Hits@10"), ("mrr_at_10", "MRR@10")):
            table.add_row(label, *(f"{r[-1][key]:.3f}" for r in runs.values()))
    if args.cold:
        table.add_row("`rag ask` cold start, median s", *(f"{statistics.median(c):.2f}" for c in cold.values()))
        table.add_row("  (each run, s)", *(" ".join(f"{x:.2f}" for x in c) for c in cold.values()))
    Console().print(table)


if __name__ == "__main__":
    main()

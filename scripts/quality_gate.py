"""The CI quality gate: retrieval and offline answers on the committed MultiHop-RAG slice vs committed floors.

    python scripts/quality_gate.py [--floors eval/slice-floors.json] [--data-dir DIR] [--self-check] [--json RUN]

Ingests `tests/data/multihop-rag/corpus.json` (60 articles) into a fresh data dir (or reuses
`--data-dir` when it already holds them), answers its 221 dev queries with the offline answerer and
prints every metric, then every floor with its margin; exits 3 naming each metric below its floor.

Then the seed article joins the slice and the two sets written for this project run with their own
floors: `eval/kinds.jsonl` (answers of the kind asked, absent kinds refused) and
`eval/conversations.jsonl` (follow-ups resolved offline).

`--self-check` then shows that the gate can fail: on the same stored slice it re-runs the checks
with a retriever made deliberately worse (dense list only: no BM25, no reranks) and with an answerer
that never refuses, and exits 4 unless each of those fails the floors it should (retrieval metrics;
null questions refused). Needs nothing outside the clone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
SLICE = ROOT / "tests" / "data" / "multihop-rag"
FLOORS = ROOT / "eval" / "slice-floors.json"
SEED = ROOT / "corpus" / "irgc-militias-iraqi-security-forces.txt"
# Gold sets over the slice plus the seed article, each with its floors file.
SETS = {ROOT / "eval" / "kinds.jsonl": ROOT / "eval" / "kinds-floors.json",
        ROOT / "eval" / "conversations.jsonl": ROOT / "eval" / "conversations-floors.json"}
# Query-time settings that break one stage each; the stored slice is the same.
SABOTAGE = {
    "dense list only (no BM25, no reranks)": ({"bm25_weight": 0.0, "rerank_weight": 0.0, "final_rerank_weight": 0.0,
                                               "learned_rerank": False}, True, ("hits_at_4", "hits_at_10", "mrr_at_10")),
    "answerer that never refuses": ({"refusal_threshold": -1.0}, False, ("refusal_recall",)),
}

out = Console(width=150)  # CI logs are not a terminal: keep the tables whole


def open_slice(data_dir: Path):
    """The corpus at `data_dir`, holding the slice's articles (ingested unless already there)."""
    from rag import Corpus, Settings, ingest

    corpus = Corpus(Settings(data_dir=data_dir))
    t0 = time.perf_counter()
    report = ingest(corpus, [str(SLICE / "corpus.json")])
    if report.failed or len(corpus.catalog.articles()) < 60:  # 61 once the seed joined (a reused --data-dir)
        sys.exit(f"{SLICE / 'corpus.json'}: the slice did not ingest cleanly ({len(report.errors)} errors); "
                 "check tests/data/multihop-rag")
    out.print(f"slice: {len(corpus.catalog.articles())} articles, {report.chunks_added} chunks embedded "
              f"in {time.perf_counter() - t0:.1f} s")
    return corpus


def run_gate(corpus, floors: dict, gold: Path, retrieval_only: bool = False, title: str = "",
             partial: bool = False) -> tuple[dict, list[str]]:
    """Evaluate `gold` on `corpus`, print the metrics and the floors table; (result, failed lines).

    `partial` (the self-checks): only the floors this run measures (its question types, its metrics)."""
    from rag.evaluate import check_floors, evaluate, floor_checks, floors_table, metrics_table

    t0 = time.perf_counter()
    result = evaluate(corpus, gold, retrieval_only=retrieval_only, use_llm=False)
    if partial:
        figures = {"all": result["metrics"], **result["by_type"]}
        floors = {scope: {m: f for m, f in metrics.items() if figures[scope].get(m) is not None}
                  for scope, metrics in floors.items() if scope in figures}
    out.print(metrics_table(result, f"{title or gold.name}: {result['metrics']['n']} questions in {time.perf_counter() - t0:.0f} s"))
    out.print(floors_table(floor_checks(result, floors), f"floors ({title or 'gate'})"))
    return result, check_floors(result, floors)


def null_only(gold: Path, folder: Path) -> Path:
    """A gold file of the slice's unanswerable questions and as many answerable ones (for the refusal check)."""
    queries = json.loads(gold.read_text())
    nulls = [q for q in queries if q["question_type"] == "null_query"]
    path = folder / "refusal-check.json"
    path.write_text(json.dumps(nulls + [q for q in queries if q["question_type"] != "null_query"][:len(nulls)]))
    return path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--floors", type=Path, default=FLOORS)
    p.add_argument("--data-dir", type=Path, help="Keep the ingested slice here (default: a temporary folder).")
    p.add_argument("--self-check", action="store_true", help="Also show the gate fails a worse retriever and a never-refusing answerer.")
    p.add_argument("--json", type=Path, help="Write the gate run (metrics, per question) here.")
    args = p.parse_args()
    from rag.evaluate import scoped_floors

    floors = scoped_floors(json.loads(args.floors.read_text()))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-gate-") as tmp:
        corpus = open_slice(args.data_dir or Path(tmp) / "data")
        result, failed = run_gate(corpus, floors, SLICE / "queries.json", title="gate")
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
        from rag import ingest

        ingest(corpus, [str(SEED)])
        for gold, floors_file in SETS.items():
            _, lines = run_gate(corpus, scoped_floors(json.loads(floors_file.read_text())), gold, title=gold.name)
            failed += [f"{gold.name}: {line}" for line in lines]
        for line in failed:
            out.print(f"[red]below floor:[/red] {line}", highlight=False)
        status = 3 if failed else 0
        if args.self_check:
            base = corpus.settings
            for name, (update, retrieval_only, expected) in SABOTAGE.items():
                corpus.settings = base.model_copy(update=update)
                gold = SLICE / "queries.json" if retrieval_only else null_only(SLICE / "queries.json", Path(tmp))
                _, lines = run_gate(corpus, floors, gold, retrieval_only, title=f"self-check: {name}", partial=True)
                named = [m for m in expected if any(line.startswith(m) for line in lines)]
                verdict = "[green]fails, as it must[/green]" if named else "[red]PASSES: the gate cannot see this[/red]"
                out.print(f"self-check, {name}: {verdict} ({'; '.join(lines) or 'no floor failed'})", highlight=False)
                if not named:
                    status = status or 4
            corpus.settings = base
        corpus.close()
    out.print(f"gate {'passed' if status == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s", highlight=False)
    return status


if __name__ == "__main__":
    sys.exit(main())

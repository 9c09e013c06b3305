"""Offline answers on MultiHop-RAG dev, old vs new in one run: short answers, verdicts, refusals, sides.

    python bench/offline_answers.py --data-dir DIR [--baseline REF] [--half odd|even] [--also-judge lexical] [--limit N]

Runs `rag eval QUERIES --offline --json` on the same ingested corpus, one run after the other:
once with the code at git REF (default HEAD~1, checked out into a temporary worktree), once
with the working tree, and once more with the working tree under each `--also-judge` setting
(`RAG_JUDGE`), then prints one table with a column per run. `--half` keeps the dev questions at
odd or even positions only (the relevance model and its thresholds are fitted on the even half, so
the odd half is the held-out figure). Rows:

* inference gold-in-answer: the gold entity appears in the answer (MultiHop-RAG inference questions);
* shown supported, right: of inference answers whose first sentence is "supported", the share with
  the gold entity in the answer; right, shown supported: of right inference answers, the share
  shown "supported" (the rest are "possible answer");
* null refused / answerable refused; citation recall per type and citation precision overall;
* yes/no said (share of comparison + temporal questions) and right when said;
* warm answer latency p50 (ms) of the run.

DIR must hold the ingested MultiHop-RAG corpus (bench/ingest.py leaves one). Data: MultiHop-RAG
(Tang & Yang, 2024), ODC-BY; queries ../shared/data/multihop-rag/queries-dev.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared/data/multihop-rag/queries-dev.json"


def run_eval(code_root: Path, data_dir: str, limit: int, out: Path, queries: Path = QUERIES, env: dict | None = None) -> dict:
    """One offline eval run with the code under `code_root` (imported from there, not from site-packages)."""
    cmd = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from rag.cli import run; sys.argv = ['rag'] + sys.argv[2:]; run()",
           str(code_root), "--data-dir", data_dir, "eval", str(queries), "--offline", "--json", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=tempfile.gettempdir(), env={**os.environ, **(env or {})})
    return json.loads(out.read_text())


def half_queries(half: str, folder: Path) -> Path:
    """A copy of the dev queries holding only the odd or even positions ("" = all of them)."""
    if not half:
        return QUERIES
    rows = json.loads(QUERIES.read_text())
    out = folder / f"queries-{half}.json"
    out.write_text(json.dumps([q for i, q in enumerate(rows) if (i % 2 == 0) == (half == "even")]))
    return out


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def figures(run: dict) -> dict[str, float | None]:
    """The table's rows from one eval run."""
    rows = run["questions"]
    inference = [r for r in rows if r["question_type"] == "inference_query"]
    answered = [r for r in inference if not r["refused"]]
    shown = [r for r in answered if r.get("verdicts") and r["verdicts"][0] == "supported"]
    right = [r for r in answered if r.get("answer_contains_gold")]
    sided = [r for r in rows if r["question_type"] in ("comparison_query", "temporal_query")]
    said = [r for r in sided if not r["refused"] and r["answer"].startswith(("Yes:", "No:"))]
    by_type = run["by_type"]
    return {
        "inference gold-in-answer (goal ≥ .75)": _mean(r.get("answer_contains_gold") or 0 for r in inference),
        "shown supported, right (goal ≥ .90)": _mean(r.get("answer_contains_gold") for r in shown),
        "inference answers shown supported": len(shown) / len(answered) if answered else None,
        "right, shown supported (goal ≥ .65)": _mean(r in shown for r in right),
        "null refused (goal ≥ .93)": run["metrics"].get("refusal_recall"),
        "answerable refused (goal ≤ .06)": _mean(r["refused"] for r in rows if r["answerable"]),
        "citation precision overall (goal ≥ .60)": run["metrics"].get("citation_precision"),
        "citation recall overall (goal ≥ .45)": run["metrics"].get("citation_recall"),
        "citation recall comparison + temporal (goal ≥ .50)": _mean(r.get("citation_recall") for r in sided),
        "citation recall comparison": by_type.get("comparison_query", {}).get("citation_recall"),
        "citation recall temporal": by_type.get("temporal_query", {}).get("citation_recall"),
        "citation recall inference": by_type.get("inference_query", {}).get("citation_recall"),
        "yes/no said (share of comparison+temporal, goal ≥ .30)": len(said) / len(sided) if sided else None,
        "yes/no right when said (goal ≥ .85)": _mean(r["answer"].split(":")[0].lower() == str(r["gold_answer"]).strip(". ").lower() for r in said),
        "warm answer latency p50 ms (goal ≤ 200)": run["metrics"].get("latency_p50_ms"),
    }


def main() -> None:
    """Run both evals and print the side-by-side table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--baseline", default="HEAD~1", help="git ref of the previous answerer")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--half", choices=["", "odd", "even"], default="", help="only the dev questions at odd / even positions")
    ap.add_argument("--also-judge", action="append", default=[], help="one more working-tree run with RAG_JUDGE set to this")
    ap.add_argument("--save", type=Path, help="also keep each run's JSON in this folder")
    args = ap.parse_args()
    runs: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        queries = half_queries(args.half, Path(tmp))
        if args.baseline != "none":
            old_tree = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), args.baseline], check=True, capture_output=True)
            try:
                old = run_eval(old_tree, args.data_dir, args.limit, Path(tmp) / "old.json", queries)
                runs.append((f"old ({old['run'].get('git_commit', args.baseline)})", old))
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False, capture_output=True)
        new = run_eval(ROOT, args.data_dir, args.limit, Path(tmp) / "new.json", queries)
        runs.append((f"new ({new['run'].get('git_commit', 'working tree')})", new))
        for judge in args.also_judge:
            runs.append((f"new, RAG_JUDGE={judge}", run_eval(ROOT, args.data_dir, args.limit, Path(tmp) / f"{judge}.json", queries,
                                                             {"RAG_JUDGE": judge})))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for i, (_, run) in enumerate(runs):
            (args.save / f"run{i}.json").write_text(json.dumps(run))
    half = f", {args.half} half" if args.half else ""
    t = Table(title=f"offline answerer on MultiHop-RAG dev ({len(new['questions'])} questions{half})")
    t.add_column("measure")
    for name, _ in runs:
        t.add_column(name, justify="right")
    cols = [figures(run) for _, run in runs]
    fmt = lambda v: "–" if v is None else (f"{v:.0f}" if v > 2 else f"{v:.3f}")  # noqa: E731
    for key in cols[-1]:
        t.add_row(key, *(fmt(c[key]) for c in cols))
    Console().print(t)


if __name__ == "__main__":
    main()

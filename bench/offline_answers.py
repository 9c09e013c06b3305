"""Offline answers on MultiHop-RAG dev, old vs new in one run: short answers, verdicts, refusals, sides.

    python bench/offline_answers.py --data-dir DIR [--baseline REF] [--limit N]

Runs `rag eval QUERIES --offline --json` twice on the same ingested corpus, one after the other:
once with the code at git REF (default HEAD~1, checked out into a temporary worktree) and once
with the working tree, then prints one table with both columns. Rows:

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
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared/data/multihop-rag/queries-dev.json"


def run_eval(code_root: Path, data_dir: str, limit: int, out: Path) -> dict:
    """One offline eval run with the code under `code_root` (imported from there, not from site-packages)."""
    cmd = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from rag.cli import run; sys.argv = ['rag'] + sys.argv[2:]; run()",
           str(code_root), "--data-dir", data_dir, "eval", str(QUERIES), "--offline", "--json", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=tempfile.gettempdir())
    return json.loads(out.read_text())


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
        "inference gold-in-answer (goal ≥ .70)": _mean(r.get("answer_contains_gold") or 0 for r in inference),
        "shown supported, right (goal ≥ .85)": _mean(r.get("answer_contains_gold") for r in shown),
        "inference answers shown supported": len(shown) / len(answered) if answered else None,
        "right, shown supported (goal ≥ .50)": _mean(r in shown for r in right),
        "null refused (goal ≥ .90)": run["metrics"].get("refusal_recall"),
        "answerable refused (goal ≤ .10)": _mean(r["refused"] for r in rows if r["answerable"]),
        "citation recall comparison (goal ≥ .50)": by_type.get("comparison_query", {}).get("citation_recall"),
        "citation recall temporal (goal ≥ .50)": by_type.get("temporal_query", {}).get("citation_recall"),
        "citation recall inference": by_type.get("inference_query", {}).get("citation_recall"),
        "citation precision overall (goal ≥ .80)": run["metrics"].get("citation_precision"),
        "yes/no said (share of comparison+temporal)": len(said) / len(sided) if sided else None,
        "yes/no right when said (goal ≥ .90)": _mean(r["answer"].split(":")[0].lower() == str(r["gold_answer"]).strip(". ").lower() for r in said),
        "warm answer latency p50 ms (goal ≤ 150)": run["metrics"].get("latency_p50_ms"),
    }


def main() -> None:
    """Run both evals and print the side-by-side table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--baseline", default="HEAD~1", help="git ref of the previous answerer")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), args.baseline], check=True, capture_output=True)
        try:
            old = run_eval(old_tree, args.data_dir, args.limit, Path(tmp) / "old.json")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False, capture_output=True)
        new = run_eval(ROOT, args.data_dir, args.limit, Path(tmp) / "new.json")
    t = Table(title=f"offline answerer on MultiHop-RAG dev ({len(new['questions'])} questions): {args.baseline} vs working tree")
    t.add_column("measure")
    t.add_column(f"old ({old['run'].get('git_commit', args.baseline)})", justify="right")
    t.add_column(f"new ({new['run'].get('git_commit', 'working tree')})", justify="right")
    a, b = figures(old), figures(new)
    fmt = lambda v: "–" if v is None else (f"{v:.0f}" if v > 2 else f"{v:.3f}")  # noqa: E731
    for key in b:
        t.add_row(key, fmt(a[key]), fmt(b[key]))
    Console().print(t)


if __name__ == "__main__":
    main()

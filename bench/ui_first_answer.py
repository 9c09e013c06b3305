"""First answer after the UI starts vs a warm answer, with and without the start-up warm-up.

    python bench/ui_first_answer.py --data-dir DIR [--runs 3]

Each run is a fresh Python process that builds the UI's `App` on DIR (as `rag ui` does), optionally
starts the warm-up and waits until the page would say "Ready", then times the first `/ask` and the
median of five more. Goal: the first answer within 2x a warm answer when the app warms up at start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["Which company is facing an antitrust trial over its search deals?", "Who founded FTX?",
             "What did the Federal Reserve decide about interest rates?", "Which team won the Rugby World Cup final?",
             "Who is Travis Kelce dating?", "What are the best Black Friday deals?"]

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from rag.settings import apply_offline_env; apply_offline_env()
from rag import Settings
from ui.handlers import App
t0 = time.perf_counter()
app = App(Settings(data_dir=sys.argv[2]))
if sys.argv[3] == "warm":
    app.start_warm()
    app.ready.wait(600)
ready = time.perf_counter() - t0
qs = json.loads(sys.argv[4])
t = time.perf_counter(); app.api_ask(qs[0]); first = (time.perf_counter() - t) * 1000
warm = []
for q in qs[1:]:
    t = time.perf_counter(); app.api_ask(q); warm.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ready_s": ready, "first_ms": first, "warm_ms": warm}))
"""


def main() -> None:
    """Print first vs warm answer times for both variants, side by side."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    t = Table(title=f"first answer after start vs warm ({args.runs} fresh processes each, medians)")
    for col in ("variant", "start to ready s", "first answer ms", "warm answer ms", "first / warm"):
        t.add_column(col, justify="right" if col != "variant" else "left")
    for variant in ("warm", "cold"):
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), args.data_dir, variant, json.dumps(QUESTIONS)],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        ready = statistics.median(r["ready_s"] for r in runs)
        first = statistics.median(r["first_ms"] for r in runs)
        warm = statistics.median(statistics.median(r["warm_ms"]) for r in runs)
        name = "warm-up at start (default)" if variant == "warm" else "no warm-up (model loads on the first question)"
        t.add_row(name, f"{ready:.2f}", f"{first:.0f}", f"{warm:.0f}", f"{first / warm:.2f}x")
    Console().print(t)


if __name__ == "__main__":
    main()

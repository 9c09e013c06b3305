"""How the offline answerer should weigh the relevance model: score weights side by side on one dev half.

    python bench/judge_sweep.py --data-dir DIR [--half even] [--variants NAME=rel,cos,focus,cue,refuse_at,supported_at,name_at ...]

Each variant replaces the "model" row of `rag.offline.WEIGHTS` and runs the offline evaluation
(`rag.evaluate.evaluate`) over the dev questions at even (default) or odd positions, all variants
in one process on the same ingested corpus; the table has the rows of bench/offline_answers.py.
The shipped weights were chosen on the even half; bench/offline_answers.py --half odd is the
held-out check. Data: MultiHop-RAG (Tang & Yang, COLM 2024), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import rag.offline as offline  # noqa: E402
from offline_answers import figures, half_queries  # noqa: E402
from rag import Corpus, Settings  # noqa: E402
from rag.evaluate import evaluate  # noqa: E402

DEFAULT_VARIANTS = ["shipped=" + ",".join(str(v) for v in vars(offline.WEIGHTS["model"]).values())]


def main() -> None:
    """Run each variant and print one table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--half", choices=["", "even", "odd"], default="even")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--variants", nargs="*", default=DEFAULT_VARIANTS)
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    cols = []
    with tempfile.TemporaryDirectory() as tmp:
        queries = half_queries(args.half, Path(tmp))
        for spec in args.variants:
            name, values = spec.split("=", 1)
            offline.WEIGHTS["model"] = offline.Weights(*[float(v) for v in values.split(",")])
            run = evaluate(corpus, queries, limit=args.limit, use_llm=False)
            cols.append((name, figures(run)))
            print(name, json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in cols[-1][1].items()}), flush=True)
    t = Table(title=f"relevance-model weights on MultiHop-RAG dev ({args.half or 'all'} half)")
    t.add_column("measure")
    for name, _ in cols:
        t.add_column(name, justify="right")
    fmt = lambda v: "–" if v is None else (f"{v:.0f}" if v > 2 else f"{v:.3f}")  # noqa: E731
    for key in cols[0][1]:
        t.add_row(key, *(fmt(c[key]) for _, c in cols))
    Console().print(t)


if __name__ == "__main__":
    main()

"""The local embedding runtimes side by side on the full MultiHop-RAG corpus, in one run.

    python bench/runtime_compare.py [--runtimes onnx,torch] [--data ../shared/data/multihop-rag] [--workdir DIR [--skip-ingest]]

For each runtime, in a fresh data dir: full ingest (wall time, peak RSS of the ingesting process),
`rag ask` cold start (median of 5 processes, after one that compiles byte code), warm offline answer
p50 (first 100 dev questions), hybrid search p50, and retrieval quality on every answerable dev query
(Hits@4, Hits@10, MRR@10).
Each measurement runs in its own process so memory and imports do not leak between rows.
torch needs the extra (`pip install '.[torch]'`). Data: MultiHop-RAG (Tang & Yang, 2024), ODC-BY.
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
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "multihop-rag"

CHILD = r"""
import json, resource, sys, time
from rag.settings import Settings, apply_offline_env
apply_offline_env()
from rag import Corpus, Retriever, ingest
from rag.answerer import Answerer
from rag.metrics import hits_at, mrr_at, percentile
mode, data_dir, runtime, src = sys.argv[1:5]
settings = Settings(data_dir=data_dir, embedding_runtime=runtime)
corpus = Corpus(settings)
if mode == "ingest":
    corpus.embedder.embed_documents(["warm up"])  # model load is not ingest work
    t0 = time.perf_counter()
    report = ingest(corpus, [src])
    print(json.dumps({"ingest_s": time.perf_counter() - t0, "chunks": report.chunks_added,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
else:
    queries = [q for q in json.load(open(src)) if q["question_type"] != "null_query"]
    r, a = Retriever(corpus), Answerer(corpus)
    a.ask("warm up", use_llm=False)
    answer_ms, search_ms, h4, h10, mrr = [], [], 0, 0, 0
    for i, q in enumerate(queries):
        if i < 100:
            t0 = time.perf_counter(); a.ask(q["query"], use_llm=False); answer_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter(); hits = r.search(q["query"], 10); search_ms.append((time.perf_counter() - t0) * 1000)
        got, facts = [h.text for h in hits], [e["fact"] for e in q["evidence_list"]]
        h4 += hits_at(got, facts, 4); h10 += hits_at(got, facts, 10); mrr += mrr_at(got, facts, 10)
    n = len(queries)
    print(json.dumps({"answer_p50_ms": percentile(answer_ms, 50), "search_p50_ms": percentile(search_ms, 50),
                      "hits_at_4": h4 / n, "hits_at_10": h10 / n, "mrr_at_10": mrr / n, "n": n}))
"""


def child(mode: str, data_dir: Path, runtime: str, src: Path) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, mode, str(data_dir), runtime, str(src)], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if p.returncode:
        raise SystemExit(f"{mode} with {runtime} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def cold_start(data_dir: Path, runtime: str, n: int = 5) -> float:
    """Median wall time of `rag ask` as a fresh process (imports, model and index loading included).

    One unmeasured run goes first with byte-code writing on, so the timed runs start from compiled
    modules, as every run after a user's first does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDING_RUNTIME": runtime}
    times = []
    for _ in range(n + 1):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Who is Sam Bankman-Fried?"], capture_output=True, env=env,
                       check=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])


def main() -> None:
    """Print the side-by-side table."""
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runtimes", default="onnx,torch")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the data dirs here (default: a temporary folder)")
    ap.add_argument("--skip-ingest", action="store_true",
                    help="measure on the data dirs already in --workdir (mh-<runtime>) without ingesting again")
    args = ap.parse_args()
    if args.skip_ingest and not args.workdir:
        ap.error("--skip-ingest needs --workdir holding mh-<runtime> data dirs")
    work = args.workdir or Path(tempfile.mkdtemp())
    rows = {}
    for runtime in args.runtimes.split(","):
        d = work / f"mh-{runtime}"
        ing = ({"ingest_s": None, "rss_mb": None, "chunks": "?"} if args.skip_ingest
               else child("ingest", d, runtime, args.data / "corpus.json"))
        cold = cold_start(d, runtime)
        q = child("query", d, runtime, args.data / "queries-dev.json")
        rows[runtime] = ing | q | {"cold_s": cold}
        print(json.dumps({runtime: rows[runtime]}), flush=True)
    t = Table(title=f"embedding runtimes on MultiHop-RAG ({next(iter(rows.values()))['chunks']} chunks, "
                    f"{next(iter(rows.values()))['n']} answerable dev queries), {os.cpu_count()} cores")
    t.add_column("measure")
    for runtime in rows:
        t.add_column(runtime, justify="right")
    for key, label, fmt in (("ingest_s", "full ingest s", "{:.0f}"), ("rss_mb", "ingest peak RSS MB", "{:.0f}"),
                            ("cold_s", "`rag ask` cold start s (median of 5)", "{:.2f}"),
                            ("answer_p50_ms", "warm offline answer p50 ms", "{:.0f}"), ("search_p50_ms", "hybrid search p50 ms", "{:.1f}"),
                            ("hits_at_4", "Hits@4", "{:.3f}"), ("hits_at_10", "Hits@10", "{:.3f}"), ("mrr_at_10", "MRR@10", "{:.3f}")):
        t.add_row(label, *("not run" if r[key] is None else fmt.format(r[key]) for r in rows.values()))
    Console().print(t)


if __name__ == "__main__":
    main()

"""Crash-safety stress: SIGKILL `rag ingest` at random moments, re-run, check the store converges.

    python bench/crash_stress.py --kills 20 --articles 20 [--seed 7]

Each round deletes a random half of the stored articles, starts `rag ingest` on a MultiHop-RAG
slice, kills it with SIGKILL after a random delay (0.2 s .. 0.8 x a clean ingest's duration;
rounds where ingest finished first do not count towards --kills), re-runs the
ingest to completion and checks: chunk ids and count equal a clean ingest's, Chroma, catalogue
and BM25 hold the same ids, no duplicates, and search returns hits. Prints one line per round and
a summary; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rag import Corpus, Retriever, Settings  # noqa: E402
from rag.bm25 import load_or_build  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/corpus.json"


def run_ingest(data_dir: Path, src: Path, kill_after: float | None = None) -> tuple[str, float]:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(src)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        p.wait()
        return f"exit {p.returncode}", time.perf_counter() - t0
    try:
        p.wait(timeout=kill_after)
        return "finished before kill", time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return f"killed at {kill_after:.1f}s", time.perf_counter() - t0


def check(data_dir: Path, expected: set[str]) -> list[str]:
    corpus = Corpus(Settings(data_dir=data_dir))
    try:
        problems = []
        cat = corpus.catalog.chunk_ids()
        rows = corpus.vectors.collection.get(include=[])["ids"]
        chroma = set(rows)
        bm25 = load_or_build(corpus.catalog, data_dir / "bm25").ids
        if cat != expected:
            problems.append(f"catalogue {len(cat)} ids != expected {len(expected)}")
        if chroma != cat:
            problems.append(f"chroma {len(chroma)} != catalogue {len(cat)}")
        if len(rows) != len(chroma) or len(bm25) != len(set(bm25)):
            problems.append("duplicate ids")
        if set(bm25) != cat:
            problems.append(f"bm25 {len(bm25)} != catalogue {len(cat)}")
        if not Retriever(corpus).search("latest news", 3):
            problems.append("search returned nothing")
        return problems
    finally:
        corpus.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-"))
    src = work / "slice.json"
    src.write_text(json.dumps(json.loads(CORPUS.read_text())[: args.articles]))
    clean = work / "clean"
    status, t_clean = run_ingest(clean, src)
    c = Corpus(Settings(data_dir=clean))
    expected = c.catalog.chunk_ids()
    c.close()
    print(f"clean ingest: {status}, {t_clean:.1f}s, {len(expected)} chunks")
    stress = work / "stress"
    failures = kills = 0
    i = 0
    while kills < args.kills and i < 3 * args.kills:  # rounds where ingest finished first don't count
        i += 1
        if stress.exists():
            corpus = Corpus(Settings(data_dir=stress))
            ids = [a.id for a in corpus.catalog.articles()]
            corpus.delete(rng.sample(ids, len(ids) // 2))
            corpus.close()
        kill_at = rng.uniform(0.2, 0.8 * t_clean)
        status, _ = run_ingest(stress, src, kill_after=kill_at)
        kills += status.startswith("killed")
        rerun, t_re = run_ingest(stress, src)
        problems = check(stress, expected)
        failures += bool(problems)
        print(f"round {i:2d}: {status:>20} -> re-run {rerun} in {t_re:.1f}s: {'OK' if not problems else '; '.join(problems)}", flush=True)
    print(f"{i} rounds, {kills} SIGKILLs, {failures} rounds with problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

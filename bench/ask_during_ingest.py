"""Ask latency while an upload is being embedded, against idle (medians of 20 questions each).

    python bench/ask_during_ingest.py [--data DIR_WITH_corpus.json] [--n 20]

A corpus of 40 MultiHop-RAG articles is built in a temporary folder; then 20 offline answers are
timed idle, and 20 more while another thread keeps ingesting (and deleting again) an upload of
about 50 chunks. Goal: the busy median within 1.5x of idle. Data: MultiHop-RAG (Tang & Yang, 2024),
ODC-BY; default: the slice in tests/data/multihop-rag.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings, ingest  # noqa: E402
from rag.answerer import Answerer  # noqa: E402
from rag.ingest import lower_thread_priority  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["Who is facing a criminal trial on fraud charges?", "Which team won the game?",
             "What did the company announce about its new product?", "Who said the deal would close this year?"]


def main() -> None:
    """Print idle vs busy answer latency."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "multihop-rag")
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    records = json.loads((args.data / "corpus.json").read_text())
    tmp = Path(tempfile.mkdtemp())
    (tmp / "base.json").write_text(json.dumps(records[:40]))
    corpus = Corpus(Settings(data_dir=tmp / "data"))
    ingest(corpus, [str(tmp / "base.json")])
    as_ui = Corpus(Settings(data_dir=tmp / "data", ingest_threads=1), embedder=corpus.embedder)  # the UI's setting
    upload = []
    for r in records[40:]:  # articles adding up to about 50 chunks
        upload.append(r)
        (tmp / "upload.json").write_text(json.dumps(upload))
        if sum(len(x["body"]) for x in upload) > 50 * 900:
            break
    answerer = Answerer(corpus)
    answerer.ask("warm up", use_llm=False)

    def timed(n: int) -> list[float]:
        out = []
        for i in range(n):
            t0 = time.perf_counter()
            answerer.ask(QUESTIONS[i % len(QUESTIONS)] + f" ({i})", use_llm=False)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    idle = timed(args.n)
    chunks: list[int] = []

    def during_upload(ingesting: Corpus, low_priority: bool = False) -> tuple[list[float], int]:
        """Answer latencies while another thread keeps ingesting (and deleting again) the upload."""
        stop, rounds = threading.Event(), [0]

        def uploader():
            if low_priority:
                lower_thread_priority()  # as the UI's upload handler does
            while not stop.is_set():
                report = ingest(ingesting, [str(tmp / "upload.json")])
                chunks.append(report.chunks_added)
                ingesting.delete([a["id"] for a in report.added])
                rounds[0] += 1

        t = threading.Thread(target=uploader)
        t.start()
        time.sleep(0.5)
        got = timed(args.n)
        stop.set()
        t.join()
        return got, rounds[0]

    all_cores, n_all = during_upload(corpus)
    one_core, n_one = during_upload(as_ui)
    one_core_low, n_low = during_upload(as_ui, low_priority=True)
    table = Table(title=f"offline answer latency, {corpus.catalog.stats()['chunks']} chunks stored; "
                        f"an upload of {max(chunks or [0])} chunks ingested over and over meanwhile")
    for col in ("condition", "median ms", "p90 ms", "ratio to idle", "uploads done"):
        table.add_column(col, justify="right")
    mi = statistics.median(idle)
    for name, xs, n in (("idle", idle, 0), ("during upload, ingest on every core (CLI)", all_cores, n_all),
                        ("during upload, ingest on 1 core", one_core, n_one),
                        ("during upload, ingest on 1 core at low priority (UI)", one_core_low, n_low)):
        table.add_row(name, f"{statistics.median(xs):.0f}", f"{sorted(xs)[int(0.9 * (len(xs) - 1))]:.0f}",
                      f"{statistics.median(xs) / mi:.2f}", str(n))
    Console().print(table)


if __name__ == "__main__":
    main()

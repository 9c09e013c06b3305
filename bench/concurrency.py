"""Concurrency: 20 gradio_client users asking while one ingests; errors and latency under load.

    python bench/concurrency.py --data-dir DIR [--users 20] [--questions 5]

Starts the app on 127.0.0.1 over DIR (ingest something there first, e.g. corpus/), runs the
users as threads (each its own Client), one more thread uploads articles through /ingest, and
prints a table: requests, errors, distinct answers per question, p50/p95 latency.
"""

from __future__ import annotations

import argparse
import json
import socket
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

from rag import Settings  # noqa: E402
from rag.metrics import percentile  # noqa: E402

QUESTIONS = ["Which Iraqi army divisions are named?", "Which ministry oversees the Iraqi Federal Police?",
             "Who heads the Republican Study Committee's national security task force?",
             "When did Iraq witness a wave of escalation between American forces and the PMF?",
             "What is the capital of France?"]
CORPUS = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/corpus.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--questions", type=int, default=5)
    args = ap.parse_args()
    from gradio_client import Client, handle_file

    from ui.app import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo, url = launch(Settings(data_dir=args.data_dir), "127.0.0.1", port, block=False)
    lat, errors, answers = [], [], {}
    lock = threading.Lock()

    def user(u: int) -> None:
        client = Client(url, verbose=False)
        for i in range(args.questions):
            q = QUESTIONS[(u + i) % len(QUESTIONS)]
            t0 = time.perf_counter()
            try:
                a = client.predict(q, [], "", "", api_name="/ask")["answer"]
                with lock:
                    lat.append((time.perf_counter() - t0) * 1000)
                    answers.setdefault(q, set()).add(a)
            except Exception as exc:
                with lock:
                    errors.append(repr(exc))

    ingest_rows = []

    def ingester() -> None:
        tmp = Path(tempfile.mkdtemp())
        client = Client(url, verbose=False)
        for k, rec in enumerate(json.loads(CORPUS.read_text())[:10]):
            f = tmp / f"article-{k}.json"
            f.write_text(json.dumps([rec]))
            try:
                ingest_rows.extend(client.predict([handle_file(str(f))], api_name="/ingest"))
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=user, args=(u,)) for u in range(args.users)] + [threading.Thread(target=ingester)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    demo.close()
    table = Table(title=f"{args.users} concurrent users x {args.questions} questions + 1 ingesting client")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("ask requests", str(len(lat)))
    table.add_row("errors", str(len(errors)))
    table.add_row("articles ingested meanwhile", str(sum(1 for r in ingest_rows if r[1] == "ingested")))
    table.add_row("questions with >1 distinct answer", str(sum(1 for v in answers.values() if len(v) > 1)))
    table.add_row("latency p50 ms", f"{percentile(lat, 50):.0f}")
    table.add_row("latency p95 ms", f"{percentile(lat, 95):.0f}")
    table.add_row("mean ms", f"{statistics.mean(lat):.0f}")
    table.add_row("wall s", f"{wall:.1f}")
    Console().print(table)
    for e in errors[:5]:
        print("error:", e)


if __name__ == "__main__":
    main()

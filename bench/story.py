"""What is new since a saved briefing: how long the diff takes, and what it finds, on the full corpus.

    python bench/story.py --data-dir DIR [--new 20] [--runs 3]

For each topic, the most recently published articles about it (`--new`, or all but three when fewer
are about it) are treated as added since the save, and for the whole library (no topic) the `--new`
newest articles: a briefing is built without them and saved (its known articles are every stored
article but those), then `rag.story.since_last` is timed (median of `--runs`, offline). Goal: ≤ 5 s
for a diff over 20 new articles on 2 cores. The saved files are removed afterwards. Data: MultiHop-RAG (Tang & Yang, COLM
2024), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
from rag import story  # noqa: E402
from rag.briefing import brief, select_articles  # noqa: E402

TOPICS = ["Sam Bankman-Fried FTX fraud trial", "OpenAI board ousts Sam Altman", "Israel Hamas war in Gaza",
          "Google antitrust trial over search and ads"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--new", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    corpus = Corpus(Settings(data_dir=args.data_dir))
    every = {a.id: a for a in corpus.catalog.articles()}
    brief(corpus, TOPICS[0], use_llm=False)  # warm up: models loaded, index built
    t = Table(title=f"what is new since a saved briefing ({args.new} newest articles per topic held back), offline, median of {args.runs}")
    for col in ("topic", "added", "on topic", "new points", "changed", "not repeated", "seconds"):
        t.add_column(col, justify="left" if col == "topic" else "right")
    for topic in TOPICS + [None]:
        ids, _ = select_articles(corpus, topic, max_articles=len(every))
        held = args.new if topic is None else min(args.new, len(ids) - 3)
        newest = sorted(ids, key=lambda i: every[i].published_at, reverse=True)[:held]
        before = set(every) - set(newest)
        name = "bench-" + "-".join((topic or "all articles").lower().split()[:3])
        path = story.save(corpus, name, brief(corpus, topic, use_llm=False, among=before))
        record = json.loads(path.read_text())
        record["known_articles"] = sorted(before)
        path.write_text(json.dumps(record))
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            diff = story.since_last(corpus, name)
            times.append(time.perf_counter() - t0)
        path.unlink()
        t.add_row(topic or "(all articles, newest first)", str(diff.added), str(diff.on_topic), str(sum(len(p) for _, p in diff.new_points)), str(len(diff.changed)),
                  str(len(diff.not_repeated)), f"{statistics.median(times):.2f}")
    Console(width=150).print(t)


if __name__ == "__main__":
    main()

"""Briefing selection on topic: share of selected articles that are about the topic, on 10 topics.

    python bench/brief_topics.py --data-dir DIR

Topics are written from MultiHop-RAG titles; each has a gold rule (a regular expression over the
article's title and text, written by hand) saying which stored articles are about it.
One topic has no article at all and must answer "no articles on this topic". For each topic the
bench prints how many articles the briefing selected, how many of them are on topic (precision, goal
≥ 90% overall) and how many gold articles it found (recall, informative). DIR must hold the ingested
MultiHop-RAG corpus (bench/ingest.py leaves one). Data: MultiHop-RAG (Tang & Yang, 2024), ODC-BY.

`--check` also builds each offline briefing (and the seed topic, when the seed article is stored) and
counts, per briefing: theme headings used twice, bullets with a `rag.spans.point_defects` reason
(questions, photo captions, "Sure, ..." chatter, a headline run into the body, debris, orders to a
model), and timeline sentences repeated on two dates. Goal: 0 of each.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
import rag.briefing as brief_mod  # noqa: E402
from rag.briefing import select_articles  # noqa: E402

TOPICS = [
    ("Sam Bankman-Fried FTX fraud trial", r"Bankman|\bFTX\b|\bSBF\b"),
    ("OpenAI board ousts Sam Altman", r"Altman|OpenAI"),
    ("Google antitrust trial over search and app store", r"Google.{0,200}(antitrust|trial|monopol|Epic|DOJ|Justice)|(antitrust|Epic).{0,200}Google"),
    ("Israel Hamas war in Gaza", r"Israel|Hamas|Gaza"),
    ("Taylor Swift and Travis Kelce relationship", r"Swift|Kelce"),
    ("Rugby World Cup final All Blacks Springboks", r"Rugby|All Blacks|Springbok|\bBoks\b"),
    ("Black Friday deals", r"Black Friday"),
    ("Sportsbook promo codes and betting bonuses", r"promo code|bonus|sportsbook|betting offer|bet \$"),
    ("Tyreek Hill receiving yards record", r"Tyreek.{0,400}(yards|receiv)|(yards|receiv).{0,400}Tyreek"),
    ("narwhal kite contest", r"narwhal"),
]


def main() -> None:
    """Print the per-topic table and the overall on-topic share."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--max-articles", type=int, default=20)
    ap.add_argument("--floors", default="", help="comma-separated relevance floors to compare (default: the setting)")
    ap.add_argument("--check", action="store_true", help="also build each offline briefing and count what reads badly")
    args = ap.parse_args()
    if args.check:
        check(args)
    for floor in [float(f) for f in args.floors.split(",") if f] or [brief_mod.TOPIC_FLOOR]:
        brief_mod.TOPIC_FLOOR = floor
        run(args, floor)


def run(args, floor: float) -> None:
    """One table for one relevance floor."""
    corpus = Corpus(Settings(data_dir=args.data_dir))
    arts = corpus.catalog.articles()
    t = Table(title=f"briefing selection on {len(TOPICS)} topics ({len(arts)} articles, max {args.max_articles} per briefing), floor {floor}")
    for col in ("topic", "gold", "selected", "on topic", "precision", "recall"):
        t.add_column(col, justify="left" if col == "topic" else "right")
    sel_total = on_total = 0
    empty_ok = True
    for topic, rule in TOPICS:
        gold = {a.id for a in arts if re.search(rule, f"{a.title}\n{a.text if 'Tyreek' in rule else a.text[:600]}", re.I | re.S)}
        ids, _ = select_articles(corpus, topic, max_articles=args.max_articles)
        on = sum(1 for i in ids if i in gold)
        sel_total += len(ids)
        on_total += on
        if not gold:
            empty_ok = empty_ok and not ids
        t.add_row(topic, str(len(gold)), str(len(ids)), str(on), f"{on / len(ids):.2f}" if ids else "–",
                  f"{on / len(gold):.2f}" if gold else "–")
    Console().print(t)
    Console().print(f"on topic overall: {on_total}/{sel_total} = {on_total / max(sel_total, 1):.3f} (goal ≥ .90); "
                    f"topic without articles answered with none: {empty_ok}")



SEED_TOPIC = "Iran-backed militias and Iraqi security forces"


def check(args) -> None:
    """Build each topic's offline briefing and count what reads badly (goal: 0 of each)."""
    from collections import Counter

    from rag.briefing import brief
    from rag.spans import point_defects
    from rag.errors import RagError

    corpus = Corpus(Settings(data_dir=args.data_dir))
    t = Table(title="briefing checker (offline briefings; goal 0 in every column)")
    for col in ("topic", "key points", "themes twice", "questions", "captions", "chatter", "headline run-ons",
                "other defects", "timeline repeats"):
        t.add_column(col, justify="left" if col == "topic" else "right")
    totals: Counter = Counter()
    for topic in [x for x, _ in TOPICS] + [SEED_TOPIC]:
        try:
            b = brief(corpus, topic, max_articles=args.max_articles, use_llm=False)
        except RagError:  # a topic no article is about (or the seed topic without the seed article)
            continue
        titles = {int(src["n"]): src["title"] for src in b.sources}
        themes = Counter(name for name, _ in b.key_points)
        found: Counter = Counter()
        for p in b.bullets():
            title = titles.get(p.cites[0], "") if p.cites else ""
            found.update(point_defects(p.text, title))
        row = Counter({"themes twice": sum(n - 1 for n in themes.values() if n > 1),
                       "questions": found["question"], "captions": found["caption"], "chatter": found["chatter"],
                       "headline run-ons": found["headline run-on"],
                       "other defects": found["debris"] + found["order to a model"],
                       "timeline repeats": len(b.timeline) - len({p.text for p in b.timeline})})
        totals.update(row)
        n_points = sum(len(ps) for _, ps in b.key_points)
        t.add_row(topic, str(n_points), *(str(row[c]) for c in ("themes twice", "questions", "captions", "chatter",
                                                                 "headline run-ons", "other defects", "timeline repeats")))
    t.add_row("all", "", *(str(totals[c]) for c in ("themes twice", "questions", "captions", "chatter", "headline run-ons",
                                                    "other defects", "timeline repeats")))
    Console(width=160).print(t)


if __name__ == "__main__":
    main()

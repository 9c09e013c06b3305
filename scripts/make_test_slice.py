"""Cut the small MultiHop-RAG slice the tests use from the full dataset.

    python scripts/make_test_slice.py [--data ../shared/data/multihop-rag]

Articles: the first 40 of `corpus.json` plus the first 26 that mention Bankman-Fried or crypto
(60 distinct, kept in corpus order). Queries: every dev query whose evidence lies wholly inside
those articles, plus the first 15 null (unanswerable) dev queries. Records are copied unchanged.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "multihop-rag"
N_FIRST, N_TOPIC, N_NULL = 40, 26, 15


def main() -> None:
    """Write tests/data/multihop-rag/corpus.json and queries.json from the full dataset."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "multihop-rag")
    args = ap.parse_args()
    corpus = json.loads((args.data / "corpus.json").read_text())
    queries = json.loads((args.data / "queries-dev.json").read_text())
    topical = [r for r in corpus if "Bankman-Fried" in r["body"] or "crypto" in r["body"]][:N_TOPIC]
    keep = {r["title"] for r in corpus[:N_FIRST] + topical}
    articles = [r for r in corpus if r["title"] in keep]
    answerable = [q for q in queries if q["evidence_list"] and all(e["title"] in keep for e in q["evidence_list"])]
    null = [q for q in queries if q["question_type"] == "null_query"][:N_NULL]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "corpus.json").write_text(json.dumps(articles, indent=1) + "\n")
    (OUT / "queries.json").write_text(json.dumps(answerable + null, indent=1) + "\n")
    print(f"{len(articles)} articles, {len(answerable)} answerable + {len(null)} null queries -> {OUT}")


if __name__ == "__main__":
    main()

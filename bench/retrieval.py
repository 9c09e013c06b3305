"""Retrieval benchmark on MultiHop-RAG dev: quality and latency, several retrievers side by side.

    python bench/retrieval.py --data-dir /tmp/mh [--queries ../shared/data/multihop-rag/queries-dev.json] [--limit N]

The data dir must hold the ingested corpus (bench/ingest.py leaves one). Metrics follow the
upstream definitions (rag/metrics.py); null queries are excluded. Rows:
  naive-langchain  LangChain's Chroma vector store similarity_search on the same collection
  dense            our dense retriever alone
  bm25             bm25s alone (same chunks)
  hybrid           dense + BM25, weighted reciprocal rank fusion, sentence-coverage rerank; no outlet/day hints
  previous-default hints, dense weight 0.3, no rerank (the default before the rerank)
  dense-0.15       hints, dense weight 0.15, no rerank
  rerank-lists-only  hints, each list reranked, the interleaved list not
  coverage-only    hints, dense 0.15, each list and the interleaved list reranked, no learned rerank
  default          the same, then the learned rerank of the head (what `rag` uses; bench/learn_rerank.py)
Data: MultiHop-RAG (Tang & Yang, 2024), ODC-BY.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag import Corpus, Retriever, Settings  # noqa: E402
from rag.metrics import hits_at, map_at, mrr_at, percentile  # noqa: E402

DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "shared/data/multihop-rag/queries-dev.json"


def naive_langchain(corpus: Corpus):
    from langchain_chroma import Chroma

    from rag.langchain_adapters import LangChainEmbeddings

    store = Chroma(client=corpus.vectors.client, collection_name=corpus.collection_name,
                   embedding_function=LangChainEmbeddings(corpus.embedder))
    return lambda q, k: [d.page_content for d in store.similarity_search(q, k=k)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--queries", default=str(DEFAULT_QUERIES))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--rows", default="naive-langchain,dense,bm25,hybrid,previous-default,dense-0.15,rerank-lists-only,"
                                      "coverage-only,default")
    args = ap.parse_args()
    queries = [q for q in json.loads(Path(args.queries).read_text()) if q["question_type"] != "null_query"]
    if args.limit:
        queries = queries[: args.limit]
    corpus = Corpus(Settings(data_dir=args.data_dir))
    r = Retriever(corpus)
    r.search("warm up", 10)
    no_rerank = {"rerank_weight": 0.0, "final_rerank_weight": 0.0, "learned_rerank": False}

    def variant(**overrides):
        """The default retriever with some settings changed (a kept or rejected attempt)."""
        c = Corpus(Settings(data_dir=args.data_dir, **overrides), embedder=corpus.embedder)
        rv = Retriever(c)
        return lambda q, k: [h.text for h in rv.search(q, k)]

    plain = Retriever(Corpus(Settings(data_dir=args.data_dir, learned_rerank=False), embedder=corpus.embedder))
    systems = {
        "naive-langchain": naive_langchain(corpus),
        "dense": lambda q, k: [h.text for h in plain.search(q, k, mode="dense", query_hints=False)],
        "bm25": lambda q, k: [h.text for h in plain.search(q, k, mode="bm25", query_hints=False)],
        "hybrid": lambda q, k: [h.text for h in plain.search(q, k, query_hints=False)],
        "previous-default": variant(dense_weight=0.3, **no_rerank),  # hints, dense 0.3, no rerank
        "dense-0.15": variant(**no_rerank),  # hints, dense 0.15, no rerank
        "rerank-lists-only": variant(final_rerank_weight=0.0, learned_rerank=False),
        "coverage-only": variant(learned_rerank=False),
        "default": variant(),
    }
    table = Table(title=f"MultiHop-RAG dev retrieval: {len(queries)} answerable queries, "
                        f"{corpus.catalog.stats()['chunks']} chunks")
    for col in ("retriever", "Hits@4", "Hits@10", "MRR@10", "MAP@10", "p50 ms", "p95 ms"):
        table.add_column(col, justify="right")
    per_type_rows = []
    for name in args.rows.split(","):
        fn = systems[name]
        sums = defaultdict(float)
        by_type: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            got = fn(q["query"], 10)
            lat.append((time.perf_counter() - t0) * 1000)
            facts = [e["fact"] for e in q["evidence_list"]]
            m = {"Hits@4": hits_at(got, facts, 4), "Hits@10": hits_at(got, facts, 10),
                 "MRR@10": mrr_at(got, facts, 10), "MAP@10": map_at(got, facts, 10)}
            for key, v in m.items():
                sums[key] += v
                by_type[q["question_type"]][key] += v
            by_type[q["question_type"]]["n"] += 1
        n = len(queries)
        table.add_row(name, *(f"{sums[key] / n:.3f}" for key in ("Hits@4", "Hits@10", "MRR@10", "MAP@10")),
                      f"{percentile(lat, 50):.1f}", f"{percentile(lat, 95):.1f}")
        for t, d in sorted(by_type.items()):
            per_type_rows.append((name, t, int(d["n"]), *(d[key] / d["n"] for key in ("Hits@4", "Hits@10", "MRR@10", "MAP@10"))))
    console = Console()
    console.print(table)
    t2 = Table(title="by question type")
    for col in ("retriever", "type", "n", "Hits@4", "Hits@10", "MRR@10", "MAP@10"):
        t2.add_column(col, justify="right")
    for row in per_type_rows:
        t2.add_row(row[0], row[1], str(row[2]), *(f"{x:.3f}" for x in row[3:]))
    console.print(t2)


if __name__ == "__main__":
    main()

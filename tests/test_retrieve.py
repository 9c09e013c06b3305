"""Query hints, the LangChain retriever adapter, and exact ranking of small filtered sets."""

import numpy as np
import pytest

from rag import Retriever
from rag.dates import named_days
from rag.filters import Filters
from rag.langchain_adapters import HybridLangChainRetriever
from rag.retrieve import query_aspects, strip_hints


SOURCES = ["TechCrunch", "The Verge", "Sporting News"]


def test_named_days_and_aspects():
    q = "After the TechCrunch report on October 7, 2023, and the Sept. 30, 2023 piece, did The Verge agree?"
    assert [d for _, d in named_days(q)] == [20231007, 20230930]
    assert query_aspects(q, SOURCES) == [("TechCrunch", 20231007), (None, 20230930), ("The Verge", 0)]
    assert strip_hints(q, SOURCES) == "After the report on , and the piece, did agree?"


def test_langchain_retriever_adapter(seed_corpus):
    docs = HybridLangChainRetriever(retriever=Retriever(seed_corpus), k=2).invoke("Which Iraqi army divisions are named?")
    assert "fifth and eighth divisions" in docs[0].page_content
    assert {"article_id", "start", "end", "title"} <= set(docs[0].metadata)


def test_small_filtered_sets_rank_like_chroma(multihop_corpus):
    corpus, records = multihop_corpus(30)
    r = Retriever(corpus)
    vec = corpus.embedder.embed_query("who won the game")
    source = records[0]["source"]
    exact = r._dense_restricted(vec, 10, Filters(sources=(source,)))
    chroma = corpus.vectors.query(vec, 10, {"source": {"$in": [source]}})
    assert [cid for cid, _ in exact] == [cid for cid, _ in chroma]


def test_one_filters_value_agrees_across_bm25_chroma_sql_and_articles(multihop_corpus):
    from rag.errors import ConfigError

    corpus, records = multihop_corpus(25)
    r = Retriever(corpus)
    source = records[0]["source"]
    f = r.filters([source], "2023-10", "2023-12")
    assert f.until == 20231231 and f.since == 20231000
    admitted = {a.id for a in corpus.catalog.articles() if f.admits(a.source, a.published_at, a.id)}
    assert corpus.catalog.count_articles(f) == len(admitted) > 0
    index = corpus.bm25
    from_mask = {index.article_ids[i] for i in np.flatnonzero(index.mask(f))}
    assert from_mask == admitted
    got = corpus.vectors.collection.get(where=f.where(), include=["metadatas"])
    assert {m["article_id"] for m in got["metadatas"]} == admitted
    assert f.narrowed(day=20231015).since == f.narrowed(day=20231015).until == 20231015
    assert "from " + source in f.describe()
    for bad, message in (((["Nope"], None, None), "not a stored outlet"), (([], "2023-02-30", None), "calendar date"),
                         (([], "2023-12-01", "2023-11-01"), "swap them")):
        with pytest.raises(ConfigError, match=message):
            r.filters(*bad)

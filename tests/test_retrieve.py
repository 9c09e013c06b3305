"""Query hints, the LangChain retriever adapter, and exact ranking of small filtered sets."""

from rag import Retriever
from rag.langchain_adapters import HybridLangChainRetriever
from rag.retrieve import named_days, query_aspects, strip_hints


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
    exact = r._dense_restricted(vec, 10, [source], 0, 0, None)
    chroma = corpus.vectors.query(vec, 10, {"source": {"$in": [source]}})
    assert [cid for cid, _ in exact] == [cid for cid, _ in chroma]

"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s), fused by reciprocal rank fusion.

    score(chunk) = 1 / (rrf_k + dense_rank) + 1 / (rrf_k + bm25_rank)

Filters (sources, published date range) apply to both retrievers before fusion. News
questions often name outlets ("as reported by The Verge and TechCrunch"): when a question
names outlets of the corpus and no explicit source filter is given, the fused list restricted
to each named outlet is interleaved ahead of the unrestricted list, so each named outlet's best
passage ranks near the top. The bench measures the gain (bench/retrieval.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .corpus import Corpus
from .errors import ConfigError
from .store import date_key


@dataclass
class Hit:
    """A retrieved chunk with its article metadata and exact span."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    published_at: str
    url: str
    text: str
    start: int
    end: int
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def parse_day(value: str | date | None, field: str = "date") -> int:
    """A --since/--until value (YYYY-MM-DD, YYYY-MM or YYYY) as a YYYYMMDD int; 0 for none."""
    if value in (None, ""):
        return 0
    if isinstance(value, date):
        return int(value.strftime("%Y%m%d"))
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value.strip())
    if not m:
        raise ConfigError(f"{field} {value!r} is not a date; use YYYY-MM-DD")
    y, mo, d = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    return y * 10000 + mo * 100 + d


def named_sources(query: str, sources: list[str]) -> list[str]:
    """Outlets of the corpus that the question names, in order of mention."""
    q = query.lower()
    found = []
    for s in sources:
        name = s.lower()
        variants = {name}
        if name.startswith("the "):
            variants.add(name[4:])
        for v in variants:
            m = re.search(r"(?<![\w])" + re.escape(v) + r"(?![\w])", q)
            if m and len(v) >= 3:
                found.append((m.start(), s))
                break
    return [s for _, s in sorted(found)]


class Retriever:
    """Hybrid retriever over a `Corpus`."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self._sources: list[str] | None = None
        self._generation = -1

    def known_sources(self) -> list[str]:
        gen = self.corpus.catalog.generation
        if self._sources is None or gen != self._generation:
            self._sources = self.corpus.catalog.sources()
            self._generation = gen
        return self._sources

    def search(self, query: str, k: int | None = None, sources: list[str] | None = None,
               since: str | None = None, until: str | None = None, query_hints: bool = True,
               mode: str = "hybrid", article_ids: list[str] | None = None) -> list[Hit]:
        """Top-k chunks for `query` under the filters; mode is hybrid, dense or bm25."""
        if not query or not query.strip():
            raise ConfigError("empty query; type a question or keywords")
        k = k or self.corpus.settings.top_k
        lo, hi = parse_day(since, "--since"), parse_day(until, "--until")
        if hi and hi % 100 == 0:  # a month or year given as the upper bound means its end
            hi += 31 if hi % 10000 else 1231
        sources = [s for s in (sources or []) if s]
        if self.corpus.catalog.stats()["chunks"] == 0:
            return []
        vec = self.corpus.embedder.embed_query(query) if mode != "bm25" else None
        fused = self._fused(query, vec, k, sources, lo, hi, mode, article_ids)
        if query_hints and not sources and not article_ids:
            named = named_sources(query, self.known_sources())
            if named:
                per_source = [self._fused(query, vec, k, [s], lo, hi, mode, None) for s in named]
                fused = _interleave(per_source + [fused])
        return self._hydrate(fused[:k])

    def _fused(self, query, vec, k, sources, lo, hi, mode, article_ids=None) -> list[tuple[str, float, int | None, int | None]]:
        s = self.corpus.settings
        fetch = max(s.fetch_k, k)
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.corpus.vectors.query(vec, fetch, _where(sources, lo, hi, article_ids))
        bm: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            index = self.corpus.bm25
            mask = index.mask(sources, lo, hi)
            if article_ids:
                allowed = np.isin(np.asarray(index.article_ids, dtype=object), article_ids)
                mask = allowed if mask is None else mask & allowed
            bm = index.top(query, fetch, mask)
        scores: dict[str, float] = {}
        dr = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        br = {cid: r for r, (cid, _) in enumerate(bm, 1)}
        for cid, r in dr.items():
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (s.rrf_k + r)
        for cid, r in br.items():
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (s.rrf_k + r)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [(cid, sc, dr.get(cid), br.get(cid)) for cid, sc in ranked]

    def _hydrate(self, ranked) -> list[Hit]:
        hits = []
        cat = self.corpus.catalog
        for cid, score, d, b in ranked:
            aid, span = cid.rsplit(":", 1)
            start, end = (int(x) for x in span.split("-"))
            art = cat.article(aid)
            if art is None:  # deleted between the two look-ups
                continue
            hits.append(Hit(cid, aid, art.title, art.source, art.published_at, art.url, art.text[start:end],
                            start, end, round(score, 6), d, b))
        return hits


def _where(sources: list[str], lo: int, hi: int, article_ids: list[str] | None = None) -> dict | None:
    clauses = []
    if article_ids:
        clauses.append({"article_id": {"$in": list(article_ids)}})
    if sources:
        clauses.append({"source": {"$in": sources}})
    if lo:
        clauses.append({"published": {"$gte": lo}})
    if hi:
        clauses.append({"published": {"$lte": hi}})
        clauses.append({"published": {"$gt": 0}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _interleave(lists):
    seen, out = set(), []
    longest = max((len(x) for x in lists), default=0)
    for i in range(longest):
        for lst in lists:
            if i < len(lst) and lst[i][0] not in seen:
                seen.add(lst[i][0])
                out.append(lst[i])
    return out


class HybridLangChainRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search; metadata carries ids, spans and outlet."""

    retriever: Retriever
    k: int = 6
    sources: list[str] | None = None
    since: str | None = None
    until: str | None = None

    model_config = {"arbitrary_types_allowed": True}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.retriever.search(query, self.k, self.sources, self.since, self.until)
        return [Document(page_content=h.text, metadata={k: v for k, v in h.as_dict().items() if k != "text"}) for h in hits]

"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s), fused by weighted reciprocal rank fusion.

    score(chunk) = dense_weight / (rrf_k + dense_rank) + bm25_weight / (rrf_k + bm25_rank)

(defaults 0.3 and 1.0: on MultiHop-RAG dev, MiniLM alone is far weaker than BM25, and equal
weights pull the fused list below BM25; see bench/retrieval.py.)

Filters (sources, published date range) apply to both retrievers before fusion. News
questions often name outlets and days ("as reported by The Verge and TechCrunch", "the
TechCrunch report on October 7, 2023"): when a question names outlets of the corpus or calendar
days and no explicit filter is given, each (outlet, day) it names gets its own retrieval
restricted to that outlet and day (the names stripped from the query), and those lists are
interleaved ahead of the unrestricted list, so each named source's best passage ranks near the
top. The bench measures the gain.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

from .corpus import Corpus
from .errors import ConfigError
from .store import date_key
from .text import MONTHS, month_number


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
    try:
        date(y, mo or 1, d or 1)
    except ValueError:
        raise ConfigError(f"{field} {value!r} is not a calendar date; use YYYY-MM-DD") from None
    return y * 10000 + mo * 100 + d


def check_filters(known_sources: list[str], sources: list[str] | None, since, until,
                  names: tuple[str, str, str] = ("--source", "--since", "--until")) -> tuple[list[str], int, int]:
    """(outlets, lo, hi) after checking them: known outlets, real dates, since <= until.

    Raises ConfigError naming the argument (`names` gives the caller's spelling of each).
    `hi` is inclusive; a month or year as the upper bound means its last day.
    """
    sources = [s for s in (sources or []) if s]
    unknown = [s for s in sources if s not in known_sources]
    if unknown:
        listing = ", ".join(known_sources[:12]) + (" …" if len(known_sources) > 12 else "")
        raise ConfigError(f"{names[0]} {unknown[0]!r} is not a stored outlet; choose one of: {listing or '(none stored yet)'}")
    lo, hi = parse_day(since, names[1]), parse_day(until, names[2])
    if hi and hi % 100 == 0:
        hi += 31 if hi % 10000 else 1231
    if lo and hi and lo > hi:
        raise ConfigError(f"{names[1]} {since} is after {names[2]} {until}; swap them")
    return sources, lo, hi


def describe_filters(sources: list[str] | None, since, until) -> str:
    """Plain words for a filter: "from The Verge between 2023-10-01 and 2023-10-31"."""
    parts = []
    if sources:
        parts.append("from " + " or ".join(sources))
    if since and until:
        parts.append(f"between {since} and {until}")
    elif since:
        parts.append(f"published on or after {since}")
    elif until:
        parts.append(f"published on or before {until}")
    return " ".join(parts)


_DAY_RE = re.compile(r"\b(" + "|".join(MONTHS) + r"|sept|" + "|".join(m[:3] for m in MONTHS) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b"
                     r"|\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b", re.I)


def named_days(query: str) -> list[tuple[int, int]]:
    """Calendar days the question names ("October 7, 2023", "2023-10-07"): (position, YYYYMMDD)."""
    out = []
    for m in _DAY_RE.finditer(query):
        if m.group(1):
            mon = month_number(m.group(1))
            out.append((m.start(), int(m.group(3)) * 10000 + mon * 100 + int(m.group(2))))
        else:
            out.append((m.start(), int(m.group(4)) * 10000 + int(m.group(5)) * 100 + int(m.group(6))))
    return out


def query_aspects(query: str, sources: list[str]) -> list[tuple[str | None, int]]:
    """(outlet, day) pairs the question points at, in order: each named outlet with the day named
    closest after it (within 80 characters), and days named on their own."""
    outlets = _mentions(query, sources)
    days = named_days(query)
    found: list[tuple[int, str | None, int]] = []
    used_days = set()
    for pos, s in outlets:
        day = 0
        for dpos, d in days:
            if 0 <= dpos - pos <= 80 and dpos not in used_days:
                day = d
                used_days.add(dpos)
                break
        found.append((pos, s, day))
    for dpos, d in days:
        if dpos not in used_days:
            found.append((dpos, None, d))
    found.sort()
    return list(dict.fromkeys((s, d) for _, s, d in found))


def named_sources(query: str, sources: list[str]) -> list[str]:
    """Outlets of the corpus that the question names, in order of mention."""
    return list(dict.fromkeys(s for _, s in _mentions(query, sources)))


def _mentions(query: str, sources: list[str]) -> list[tuple[int, str]]:
    q = query.lower()
    found = []
    for s in sources:
        name = s.lower()
        variants = {name}
        if name.startswith("the "):
            variants.add(name[4:])
        for v in variants:
            if len(v) < 3:
                continue
            hits = list(re.finditer(r"(?<![\w])" + re.escape(v) + r"(?![\w])", q))
            if hits:
                found.extend((m.start(), s) for m in hits)
                break
    return sorted(found)


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
        sources, lo, hi = check_filters(self.known_sources(), sources, since, until)
        if self.corpus.catalog.is_empty():
            return []
        vec = self.corpus.embedder.embed_query(query) if mode != "bm25" else None
        fused = self._fused(query, vec, k, sources, lo, hi, mode, article_ids)
        if query_hints and not sources and not article_ids:
            known = self.known_sources()
            aspects = query_aspects(query, known)
            if aspects:
                # Outlets and days become filters, so their words only add noise to the keyword query.
                bare = strip_hints(query, known)
                # One wide dense query and one BM25 scoring serve every aspect (post-filtered), instead
                # of a filtered Chroma query per aspect; a thin pool falls back to a filtered query.
                pool = self.corpus.vectors.query(vec, HINT_POOL, _where([], lo, hi)) if mode != "bm25" else None
                bm_scores = self.corpus.bm25.scores(bare) if mode != "dense" else None
                lists = []
                for outlet, day in aspects:
                    a_lo, a_hi = max(lo, day), (min(hi, day) if hi and day else (day or hi))
                    got = self._fused(bare, vec, k, [outlet] if outlet else [], a_lo, a_hi, mode, pool=pool, bm_scores=bm_scores)
                    if not got and day and outlet:  # the day may be off; keep the outlet alone
                        got = self._fused(bare, vec, k, [outlet], lo, hi, mode, pool=pool, bm_scores=bm_scores)
                    if got:
                        lists.append(got)
                if lists:
                    fused = _interleave(lists + [fused])
        return self._hydrate(fused[:k])

    def _fused(self, query, vec, k, sources, lo, hi, mode, article_ids=None, pool=None, bm_scores=None):
        """Weighted RRF of the dense and BM25 lists under the filters: [(chunk id, score, dense rank, bm25 rank)]."""
        s = self.corpus.settings
        fetch = max(s.fetch_k, k)
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            if pool is not None:
                dense = [x for x in pool if self._passes(x[0], sources, lo, hi)][:fetch]
            if pool is None or (len(dense) < min(fetch, MIN_POOLED) and len(pool) >= HINT_POOL):
                dense = self._dense_restricted(vec, fetch, sources, lo, hi, article_ids)
        bm: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            index = self.corpus.bm25
            mask = index.mask(sources, lo, hi)
            if article_ids:
                allowed = np.isin(np.asarray(index.article_ids, dtype=object), article_ids)
                mask = allowed if mask is None else mask & allowed
            bm = index.top(query, fetch, mask, scores=bm_scores)
        scores: dict[str, float] = {}
        dr = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        br = {cid: r for r, (cid, _) in enumerate(bm, 1)}
        for cid, r in dr.items():
            scores[cid] = scores.get(cid, 0.0) + s.dense_weight / (s.rrf_k + r)
        for cid, r in br.items():
            scores[cid] = scores.get(cid, 0.0) + s.bm25_weight / (s.rrf_k + r)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [(cid, sc, dr.get(cid), br.get(cid)) for cid, sc in ranked]

    def _dense_restricted(self, vec, fetch, sources, lo, hi, article_ids) -> list[tuple[str, float]]:
        """Dense ranking under filters: exact over cached vectors when the filtered set is small
        (an outlet on one day), else a filtered Chroma query."""
        index = self.corpus.bm25
        mask = index.mask(sources, lo, hi)
        if mask is not None and not article_ids:
            allowed = [index.ids[i] for i in np.flatnonzero(mask)]
            if len(allowed) <= SMALL_SET:
                vecs = self.corpus.vectors.embeddings(allowed)
                if len(vecs) == len(allowed):
                    q = np.asarray(vec, dtype=np.float32)
                    scored = sorted(((cid, float(v @ q)) for cid, v in vecs.items()), key=lambda x: -x[1])
                    return scored[:fetch]
        return self.corpus.vectors.query(vec, fetch, _where(sources, lo, hi, article_ids))

    def _passes(self, chunk_id: str, sources: list[str], lo: int, hi: int) -> bool:
        art = self.corpus.catalog.article(chunk_id.split(":", 1)[0])
        if art is None or (sources and art.source not in sources):
            return False
        day = date_key(art.published_at)
        return not ((lo and day < lo) or (hi and not 0 < day <= hi))

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


HINT_POOL = 400  # dense candidates shared by the outlet/day aspects
MIN_POOLED = 20  # fewer survivors than this after post-filtering -> an exact or filtered ranking
SMALL_SET = 400  # filtered sets up to this size are ranked exactly from cached vectors


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


def strip_hints(query: str, sources: list[str]) -> str:
    """The question without outlet names and dates (they are applied as filters instead)."""
    q = _DAY_RE.sub(" ", query)
    for s in sorted(sources, key=len, reverse=True):
        if len(s) >= 3:
            q = re.sub(r"(?<![\w])" + re.escape(s) + r"(?![\w])", " ", q, flags=re.I)
    return " ".join(q.split())


def _interleave(lists):
    seen, out = set(), []
    longest = max((len(x) for x in lists), default=0)
    for i in range(longest):
        for lst in lists:
            if i < len(lst) and lst[i][0] not in seen:
                seen.add(lst[i][0])
                out.append(lst[i])
    return out

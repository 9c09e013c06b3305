"""Briefings: a cited one-page summary of many articles on a topic.

Sections: Key points (3-8 bullets grouped by theme), Timeline, Who's who, Where sources differ,
Sources. Every line cites exact spans of stored articles, numbered [1]..[n] in the Sources list.

Offline (default), extractive:
* selection: hybrid retrieval for the topic, grouped by article, capped at max_articles (or the
  explicit articles / filters given);
* salience: LexRank-style centrality (PageRank over TF-IDF cosine similarities between the
  candidate sentences) times relevance to the topic, then MMR (lambda 0.7) for non-redundancy;
* syndicated copies: sentences with TF-IDF cosine >= 0.8 across articles become one bullet
  citing every copy;
* themes: the chosen bullets are clustered (agglomerative, cosine) and each group is named by
  its top TF-IDF terms;
* entities (Who's who): a documented heuristic, since no English NER model installs offline
  from a package: capitalised multi-word names, titled people (Rep., President, Gen., ...) and
  organisation words (Ministry, Council, Corps, Police, ...), ranked by frequency;
* timeline: sentences stating a date (month + year, full dates, years) plus article dates;
* where sources differ: sentence pairs from different outlets, or one outlet on different days,
  about the same thing (TF-IDF cosine 0.4-0.8) whose claims conflict (rag/differ.py: a figure, a
  date, an outcome, a denial), each pair labelled with the kind of difference.

LLM path: map (prompts/brief_map.md, per article) then reduce (prompts/brief_reduce.md, batched
so long corpora fit the context), keeping the global citation numbers; every bullet is checked
by the citation validator and dropped (and counted) if its citations do not resolve or support it.
"""

from __future__ import annotations

import html as html_lib
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .bm25 import tokenize, weighted_share
from .llm import ChatLLM, LLMError
from .citations import SUPPORTED, WEAK, Source, validate
from .corpus import Corpus
from .errors import RagError
from .filters import Filters
from .prompts import load_prompt
from .safe import CSP_META, md_readable, plain_text, safe_url
from .dates import find_dates
from .retrieve import Retriever
from .differ import compare_claims
from .spans import briefable, entities
from .text import normalise, sentence_spans




@dataclass
class Point:
    """One cited line of a briefing."""

    text: str
    cites: list[int]
    date: str = ""
    label: str = ""

    def as_dict(self) -> dict:
        """The JSON form (date and label only when set)."""
        return {"text": self.text, "citations": self.cites, **({"date": self.date} if self.date else {}),
                **({"label": self.label} if self.label else {})}


@dataclass
class Briefing:
    """A briefing: sections of cited points and the numbered sources they cite."""

    topic: str
    scope: str
    key_points: list[tuple[str, list[Point]]] = field(default_factory=list)
    timeline: list[Point] = field(default_factory=list)
    whos_who: list[Point] = field(default_factory=list)
    differences: list[tuple[Point, Point]] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    backend: str = "offline-extractive"
    notice: str = ""
    dropped_bullets: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """The JSON form."""
        return {"topic": self.topic, "scope": self.scope, "backend": self.backend, "notice": self.notice,
                "key_points": [{"theme": t, "points": [p.as_dict() for p in ps]} for t, ps in self.key_points],
                "timeline": [p.as_dict() for p in self.timeline], "whos_who": [p.as_dict() for p in self.whos_who],
                "differences": [[a.as_dict(), b.as_dict()] for a, b in self.differences], "sources": self.sources,
                "articles": self.articles, "dropped_bullets": self.dropped_bullets, "seconds": self.seconds}

    def bullets(self) -> list[Point]:
        """Every cited line in the briefing."""
        out = [p for _, ps in self.key_points for p in ps] + self.timeline + self.whos_who
        return out + [p for pair in self.differences for p in pair]

    def markdown(self, link_sources: bool = True) -> str:
        """The briefing as Markdown; citations link to the Sources entries.

        Every article-derived string (and the topic) goes through `md_readable`, so it renders as the
        characters it holds and still reads as typed in the .md file ("Iran-backed", not character
        references); only headings, bullets, citation links and anchors are markup.
        """
        return self._render(md_readable, link_sources)

    def text(self) -> str:
        """The briefing for a terminal: the same layout, article strings as plain text (no escapes)."""
        return self._render(plain_text, link_sources=False)

    def _render(self, t, link_sources: bool) -> str:

        def cite(p: Point) -> str:
            return "".join(f"[[{int(n)}]](#src-{int(n)})" if link_sources else f"[{int(n)}]" for n in p.cites)
        lines = [f"# Briefing: {t(self.topic)}", "", f"_{t(self.scope)}_", ""]
        if self.notice:
            lines += [f"> {t(self.notice)}", ""]
        lines += ["## Key points", ""]
        if self.backend.startswith("llm:"):
            # Only the key points are written by the model; every other section quotes the articles.
            lines += [f"_Key points written by the LLM ({t(self.backend[4:])}) from the cited passages: each citation was "
                      "checked, and a source's attribution the model dropped is put back in brackets. The sections below "
                      "quote the articles._", ""]
        for theme, pts in self.key_points:
            lines.append(f"**{t(theme)}**")
            lines += [f"- {t(p.text)} {cite(p)}" for p in pts]
            lines.append("")
        lines += ["## Timeline", ""]
        lines += [f"- **{t(p.date)}** — {t(p.text)} {cite(p)}" for p in self.timeline] or ["- no dated events found"]
        lines += ["", "## Who's who", ""]
        lines += [f"- **{t(p.label)}** — {t(p.text)} {cite(p)}" for p in self.whos_who] or ["- none found"]
        lines += ["", "## Where sources differ", ""]
        lines += [f"- **{t(a.label)}** — {t(a.text)} {cite(a)} **vs** {t(b.text)} {cite(b)}" if a.label else
                  f"- {t(a.text)} {cite(a)} **vs** {t(b.text)} {cite(b)}" for a, b in self.differences] or ["- none found"]
        lines += ["", "## Sources", ""] + source_lines(self.sources, t, link_sources)
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        """A standalone, inert HTML page of the briefing (no script, no remote load: see CSP_META)."""
        return page_html(f"Briefing: {self.topic}", self.markdown())


def source_lines(sources: list[dict], t, link_sources: bool) -> list[str]:
    """The numbered Sources list: title (a link only for an http(s) URL), outlet, date and the quoted span,
    each article string through `t`; a span from an earlier, saved briefing says so."""
    lines = []
    for s in sources:
        meta = t(", ".join(x for x in (s["source"], s["published_at"]) if x))
        url = safe_url(s["url"])
        # The URL sits inside <...>, where backslash escapes are read back to the plain address.
        link = f"{t(s['title'])} <{t(url)}>" if t is plain_text else f"[{t(s['title'])}](<{t(url)}>)"
        title = link if url else t(s["title"])
        anchor = f'<a id="src-{int(s["n"])}"></a>' if link_sources else ""
        lines.append(f"{int(s['n'])}. {anchor}{title}" + (f" ({meta})" if meta else "") + f": \u201c{t(s['quote'])}\u201d"
                     + (" (earlier briefing)" if s.get("earlier") else ""))
    return lines


def page_html(title: str, markdown: str) -> str:
    """A standalone, inert HTML page (no script, no remote load: see CSP_META) of Markdown whose article
    strings are already escaped."""
    from markdown_it import MarkdownIt

    # Raw HTML stays on only for our own anchors: article text reaches Markdown already escaped.
    body = MarkdownIt("commonmark", {"html": True}).render(markdown)
    return (f"<!doctype html><html><head><meta charset='utf-8'>{CSP_META}<meta name='referrer' content='no-referrer'>"
            f"<title>{html_lib.escape(title)}</title>"
            f"<style>body{{font-family:sans-serif;max-width:860px;margin:2em auto;line-height:1.45}}</style></head>"
            f"<body>{body}</body></html>")


class SpanNumbering:
    """Numbers cited spans [1]..[n] in order of first use (the Sources list is `entries`)."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.entries: list[dict] = []
        self._index: dict[tuple[str, int, int], int] = {}

    def cite(self, article_id: str, start: int, end: int) -> int:
        """The number of a span of a stored article."""
        if (article_id, start, end) in self._index:
            return self._index[(article_id, start, end)]
        art = self.corpus.catalog.article(article_id)
        src = Source(article_id, art.title, art.source, art.published_at, art.url, art.text, start, end)
        return self.cite_record(src.quote_record(start, end))

    def cite_record(self, record: dict, earlier: bool = False) -> int:
        """The number of a quoted span given as its record (one kept in a saved briefing, whose article may
        since have been deleted); `earlier` marks it as the saved briefing's."""
        key = (record["article_id"], record["start"], record["end"])
        if key not in self._index:
            self.entries.append({"n": len(self.entries) + 1}
                                | {k: record[k] for k in ("article_id", "title", "source", "published_at", "url", "quote", "start", "end")}
                                | ({"earlier": True} if earlier else {}))
            self._index[key] = len(self.entries)
        return self._index[key]

    def renumber(self, p: Point, by_n: dict[int, dict], earlier: bool = False) -> Point:
        """`p`, whose citations are numbers into another list (`by_n`: number -> record), numbered here."""
        return Point(p.text, [self.cite_record(by_n[n], earlier) for n in p.cites if n in by_n], p.date, p.label)


@dataclass
class BriefSentence:
    """A sentence of a selected article: where it is, its text, and its passage's retrieval rank."""

    article_id: str
    start: int
    end: int
    text: str
    rank: int


TOPIC_FLOOR = 0.8  # share of the topic's words (IDF-weighted) an article must hold to be briefed on it


def topic_coverage(words: dict[str, float], tokens: set[str]) -> float:
    """IDF-weighted share of the topic's words among `tokens` (1.0 for an empty topic)."""
    return weighted_share(words, tokens) if sum(words.values()) else 1.0


def select_articles(corpus: Corpus, topic: str | None, sources=None, since=None, until=None,
                    article_ids: list[str] | None = None, max_articles: int = 20,
                    filters: Filters | None = None, among: set[str] | None = None) -> tuple[list[str], dict[str, list[tuple[int, int, int]]]]:
    """Articles for the briefing and, per article, its relevant chunk spans (start, end, rank); `among`:
    only these articles may be chosen (what was added since a saved briefing)."""
    cat = corpus.catalog
    if article_ids:
        resolved = []
        for ref in article_ids:
            found = cat.find(ref)
            if not found:
                raise RagError(f"no stored article matches {ref!r}; see `rag stats` or `rag search`")
            resolved.extend(a.id for a in found)
        article_ids = list(dict.fromkeys(resolved))
    retriever = Retriever(corpus)
    filters = replace(filters, article_ids=tuple(article_ids or ())) if filters else retriever.filters(sources, since, until, article_ids)
    if among is not None:  # searched among those articles only (an empty set leaves nothing to brief on)
        allowed = set(filters.article_ids) & among if filters.article_ids else among
        if not allowed:
            return [], {}
        filters = replace(filters, article_ids=tuple(sorted(allowed)))
    sources = list(filters.sources)
    chunks: dict[str, list[tuple[int, int, int]]] = {}
    if topic:
        hits = retriever.search(topic, k=max(40, max_articles * 5), filters=filters, query_hints=not sources)
        words = {t: corpus.bm25.idf(t) for t in set(tokenize(topic))}
        seen_text: dict[str, set[str]] = {}
        for h in hits:  # per-sentence tokens are cached by the corpus (the retriever's rerank read them already)
            seen_text.setdefault(h.article_id, set(tokenize(h.title))).update(*corpus.sentence_tokens(h.chunk_id))
        # Relevance floor: an article is about the topic when its title and retrieved passages hold
        # most of the topic's words by weight (bench/brief_topics.py); otherwise it is only near it.
        about = {aid for aid, toks in seen_text.items() if topic_coverage(words, toks) >= TOPIC_FLOOR}
        for rank, h in enumerate(hits):
            if h.bm25_rank is None or h.article_id not in about:
                continue  # dense-only neighbours share no topic word; below the floor: off topic
            if h.article_id not in chunks and len(chunks) >= max_articles:
                continue
            chunks.setdefault(h.article_id, []).append((h.start, h.end, rank))
        return list(chunks), chunks
    pool = [a for a in cat.articles() if filters.admits(a.source, a.published_at, a.id)]
    pool.sort(key=lambda a: a.published_at, reverse=True)
    for a in pool[:max_articles]:
        chunks[a.id] = [(0, len(a.text), 0)]
    return list(chunks), chunks


def candidate_sentences(corpus: Corpus, chunks: dict[str, list[tuple[int, int | None, int]]]) -> list[BriefSentence]:
    """Each sentence worth a bullet (`spans.briefable`) of the given article spans {id: [(start, end, rank)]}, once
    (end None: to the end of the article)."""
    out, seen = [], set()
    for aid, spans in chunks.items():
        art = corpus.catalog.article(aid)
        for start, end, rank in spans:
            for sp in sentence_spans(art.text, start, end):
                text = art.text[sp.start:sp.end]
                if (aid, sp.start) in seen or not briefable(text, art.title):
                    continue
                seen.add((aid, sp.start))
                out.append(BriefSentence(aid, sp.start, sp.end, text, rank))
    return out


def _pagerank(sim: np.ndarray, damping: float = 0.85, iters: int = 50) -> np.ndarray:
    n = sim.shape[0]
    m = sim.copy()
    np.fill_diagonal(m, 0)
    rows = m.sum(axis=1, keepdims=True)
    m = np.divide(m, rows, out=np.full_like(m, 1.0 / max(n, 1)), where=rows > 0)
    r = np.full(n, 1.0 / n)
    for _ in range(iters):
        r = (1 - damping) / n + damping * (m.T @ r)
    return r


def brief(corpus: Corpus, topic: str | None = None, sources: list[str] | None = None, since: str | None = None,
          until: str | None = None, article_ids: list[str] | None = None, max_articles: int = 20,
          use_llm: bool | None = None, filters: Filters | None = None, among: set[str] | None = None) -> Briefing:
    """Build a cited briefing on `topic` (or on the given articles / filters / whole corpus); `filters`,
    parsed once by the caller, stands for sources / since / until; `among` limits it to those articles."""
    t0 = time.perf_counter()
    ids, chunks = select_articles(corpus, topic, sources, since, until, article_ids, max_articles, filters, among)
    label = topic or ("selected articles" if article_ids else "all articles")
    if not ids:
        if topic:
            raise RagError(f"no articles on this topic (“{topic}”); try other words, or widen or clear the filters")
        raise RagError("no articles match this briefing's filters; ingest articles or widen the filters")
    arts = [corpus.catalog.article(a) for a in ids]
    b = Briefing(topic=label, scope=_scope(arts), articles=[a.as_dict() for a in arts])
    reg = SpanNumbering(corpus)
    cands = candidate_sentences(corpus, chunks)
    if not cands:
        raise RagError("the selected articles have no sentences to brief on")
    S, vec, sim, salience = _salience(cands, topic)
    if corpus.settings.llm_enabled if use_llm is None else use_llm:
        try:
            b.key_points, b.dropped_bullets = _llm_key_points(corpus, label, chunks, reg)
            b.backend = f"llm:{corpus.settings.llm_model}"
        except LLMError as exc:  # only the LLM's failures fall back; our own errors propagate
            b.notice = f"{exc.notice}; key points written offline instead."
            b.key_points = []
    if not b.key_points:
        key_sents = _mmr(salience, sim, k=min(8, max(3, len(cands) // 3)), lam=0.7)
        b.key_points = _themes(_merge_copies(key_sents, sim, cands), cands, S, vec, reg)
    b.timeline = _timeline(cands, arts, sim, salience, reg)
    b.whos_who = _whos_who(cands, salience, reg)
    b.differences = _differences(cands, sim, reg, salience)
    b.sources = reg.entries
    b.scope = _scope(arts, {e["source"] for e in reg.entries if e["source"]})
    b.seconds = round(time.perf_counter() - t0, 2)
    return b


def _scope(arts, cited_outlets: set[str] | None = None) -> str:
    """"n article(s), first to last date; sources: ..." for the briefing header (only outlets it cites, once known)."""
    dates = sorted(a.published_at for a in arts if a.published_at)
    outlets = sorted(cited_outlets if cited_outlets is not None else {a.source for a in arts if a.source})
    return (f"{len(arts)} article(s)" + (f", {dates[0]} to {dates[-1]}" if dates else "")
            + (f"; sources: {', '.join(outlets)}" if outlets else ""))


def _salience(cands: list[BriefSentence], topic: str | None):
    """TF-IDF of the candidate sentences, their similarity matrix and a salience per sentence:
    0.45 centrality (PageRank) + 0.35 relevance to the topic + 0.2 retrieval rank."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    X = vec.fit_transform([normalise(c.text) for c in cands] + [topic or ""])
    S, q = X[:-1], X[-1]
    sim = (S @ S.T).toarray()
    central = _pagerank(sim)
    central = central / (central.max() or 1)
    rel = (S @ q.T).toarray().ravel() if topic else np.zeros(len(cands))
    rel = rel / (rel.max() or 1)
    rank_prior = np.array([1.0 / (1 + c.rank / 10) for c in cands])
    return S, vec, sim, 0.45 * central + 0.35 * rel + 0.2 * rank_prior


def _timeline(cands: list[BriefSentence], arts, sim: np.ndarray, salience: np.ndarray, reg: SpanNumbering) -> list[Point]:
    """Dated events: sentences stating a date (most salient, not repeating), then each article's date."""
    events = sorted(((d, salience[i], i) for i, c in enumerate(cands) if (d := find_dates(c.text))), key=lambda e: -e[1])
    chosen: list[tuple[str, int]] = []
    said: set[str] = set()  # a sentence syndicated in several articles is one event, on one date
    for d, _, i in events:
        if len(chosen) >= 8:
            break
        if any(sim[i, j] > 0.6 for _, j in chosen) or normalise(cands[i].text) in said:
            continue
        chosen.append((d, i))
        said.add(normalise(cands[i].text))
    for a in arts:
        if a.published_at and len(chosen) < 12:
            first = next((i for i, c in enumerate(cands) if c.article_id == a.id), None)
            if first is not None and first not in {i for _, i in chosen} and normalise(cands[first].text) not in said:
                chosen.append((a.published_at, first))
                said.add(normalise(cands[first].text))
    return [Point(normalise(cands[i].text), [reg.cite(cands[i].article_id, cands[i].start, cands[i].end)], date=d)
            for d, i in sorted(chosen, key=lambda e: e[0])]


def _whos_who(cands: list[BriefSentence], salience: np.ndarray, reg: SpanNumbering) -> list[Point]:
    """The most mentioned entities, each with its most salient sentence."""
    counts: dict[str, int] = {}
    where: dict[str, int] = {}
    for i, c in enumerate(cands):
        for e in dict.fromkeys(entities(c.text)):  # in text order: ties resolve the same way every run
            counts[e] = counts.get(e, 0) + 1
            if e not in where or salience[i] > salience[where[e]]:
                where[e] = i
    kept: list[tuple[str, int]] = []
    used: set[int] = set()
    for e in sorted(counts, key=lambda e: (-counts[e], -salience[where[e]])):
        if any(e in k or k in e for k, _ in kept):
            continue
        # Each line its own sentence: the most salient one naming this entity that no line above uses.
        options = [i for i, c in enumerate(cands) if i not in used and e in entities(c.text)]
        if not options:
            continue
        best = max(options, key=lambda i: salience[i])
        used.add(best)
        kept.append((e, best))
        if len(kept) == 10:
            break
    return [Point(normalise(cands[i].text), [reg.cite(cands[i].article_id, cands[i].start, cands[i].end)], label=e)
            for e, i in kept]


def _mmr(salience: np.ndarray, sim: np.ndarray, k: int, lam: float) -> list[int]:
    chosen: list[int] = []
    remaining = list(np.argsort(-salience))
    while remaining and len(chosen) < k:
        best, best_score = None, -1e9
        for i in remaining[:200]:
            red = max((sim[i, j] for j in chosen), default=0.0)
            score = lam * salience[i] - (1 - lam) * red
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
        remaining.remove(best)
    return chosen


def _merge_copies(chosen: list[int], sim: np.ndarray, cands: list[BriefSentence]) -> list[list[int]]:
    """Each chosen sentence with its near-identical copies in other articles (syndication)."""
    groups, taken = [], set()
    for i in chosen:
        if i in taken:
            continue
        group = [i] + [j for j in range(len(cands)) if j != i and sim[i, j] >= 0.8 and cands[j].article_id != cands[i].article_id]
        copies = {}
        for j in group:
            copies.setdefault(cands[j].article_id, j)
        group = list(copies.values())
        taken.update(group)
        groups.append(group)
    return groups


def _themes(groups: list[list[int]], cands: list[BriefSentence], S, vec, reg: SpanNumbering) -> list[tuple[str, list[Point]]]:
    points = [Point(normalise(cands[g[0]].text), [reg.cite(cands[j].article_id, cands[j].start, cands[j].end) for j in g]) for g in groups]
    if len(groups) <= 3:
        return [(_theme_name([g[0] for g in groups], S, vec, cands), points)]
    from sklearn.cluster import AgglomerativeClustering

    rows = S[[g[0] for g in groups]].toarray()
    n_clusters = min(3, len(groups) // 2)
    labels = AgglomerativeClustering(n_clusters=n_clusters, metric="cosine", linkage="average").fit_predict(rows + 1e-9)
    named: dict[str, list[Point]] = {}
    for lab in dict.fromkeys(labels):
        idx = [i for i, l in enumerate(labels) if l == lab]
        # Two clusters that share their heading are one theme to a reader: their points go together.
        named.setdefault(_theme_name([groups[i][0] for i in idx], S, vec, cands), []).extend(points[i] for i in idx)
    return list(named.items())


def _theme_name(rows: list[int], S, vec, cands: list[BriefSentence] | None = None) -> str:
    """A readable heading: the name the theme's sentences share most, else its two strongest words."""
    if cands is not None:
        counts: dict[str, int] = {}
        for r in rows:
            for e in dict.fromkeys(entities(cands[r].text)):
                counts[e] = counts.get(e, 0) + 1
        if counts:
            name = max(counts, key=lambda e: (counts[e], len(e)))
            if counts[name] >= 2 or len(rows) == 1:
                return name
    weights = np.asarray(S[rows].sum(axis=0)).ravel()
    terms = vec.get_feature_names_out()
    top = [terms[i] for i in np.argsort(-weights)[:2] if weights[i] > 0]
    return " and ".join(top).capitalize() or "General"


def _differences(cands: list[BriefSentence], sim: np.ndarray, reg: SpanNumbering, salience: np.ndarray) -> list[tuple[Point, Point]]:
    """Up to 4 pairs of salient sentences on the same point (TF-IDF cosine 0.4-0.8: related, not copies)
    from two outlets, or one outlet on two days, whose claims conflict; the first point's label says how."""
    out, used = [], set()
    cat = reg.corpus.catalog
    order = np.argsort(-salience)[:150]
    art = {c.article_id: cat.article(c.article_id) for c in cands}
    for i in order:
        if i in used:
            continue
        for j in order:
            if j == i or j in used or cands[j].article_id == cands[i].article_id or not (0.4 <= sim[i, j] < 0.8):
                continue
            ai, aj = art[cands[i].article_id], art[cands[j].article_id]
            if ai.source == aj.source and ai.published_at == aj.published_at:
                continue  # one outlet on one day: not two reports
            diff = compare_claims(cands[i].text, cands[j].text)
            if diff is None:
                continue
            a, c = cands[i], cands[j]
            out.append((Point(normalise(a.text), [reg.cite(a.article_id, a.start, a.end)], label=diff.describe()),
                        Point(normalise(c.text), [reg.cite(c.article_id, c.start, c.end)])))
            used.update((i, j))
            break
        if len(out) >= 4:
            break
    return out


MAP_MAX_TOKENS = 200  # 2-4 one-sentence bullets; a local CPU model writes them in seconds, not minutes


def _llm_key_points(corpus: Corpus, topic: str, chunks: dict[str, list[tuple[int, int, int]]], reg: SpanNumbering):
    """Map per article, reduce in batches; citations are kept by construction.

    Each map call sees only its article's numbered passages, and each note it writes is checked
    (and its citation repaired) against those passages before it is kept, so every note entering
    the reduce step cites a known source. No cited note means no reduce call at all. Returns
    (themes, dropped) where dropped counts every bullet thrown away, in map and in reduce.
    """
    llm = ChatLLM(corpus.settings)
    map_prompt, reduce_prompt = load_prompt("brief_map"), load_prompt("brief_reduce")
    sources: list[Source] = []
    notes: list[str] = []
    dropped = 0
    for aid, spans in chunks.items():
        art = corpus.catalog.article(aid)
        local = [Source(aid, art.title, art.source, art.published_at, art.url, art.text, start, end) for start, end, _ in spans[:4]]
        numbered = "\n".join(f"[{i}] {' '.join(src.text.split())}" for i, src in enumerate(local, 1))
        reply = llm.complete(map_prompt.messages(topic=topic, sources=numbered), max_tokens=MAP_MAX_TOKENS)
        offset = len(sources)
        sources.extend(local)
        for line in _bullets(reply):
            v = validate(line, local, corpus.sentence_embedder, mark_unsupported=False, repair=True)
            if not v.sentences or any(s.verdict not in (SUPPORTED, WEAK) or not s.cites for s in v.sentences):
                dropped += 1
                continue
            notes.append(_globally_numbered(v, local, offset))
    if not notes:
        raise LLMError(f"the LLM wrote no note its sources support ({dropped} dropped); no merge step run", "no_citations")
    outputs = _reduce(llm, reduce_prompt, topic, notes)
    themes: list[tuple[str, list]] = []
    theme = "Key points"
    for line in "\n".join(outputs).splitlines():
        s = line.strip()
        if s.startswith("#"):
            theme = s.lstrip("#").strip() or theme
            continue
        if not s.startswith("-"):
            continue
        v = validate(s.lstrip("- ").strip(), sources, corpus.sentence_embedder, mark_unsupported=False, repair=True)
        if not v.sentences or any(x.verdict not in (SUPPORTED, WEAK) or not x.cites for x in v.sentences):
            dropped += 1
            continue
        cites = [reg.cite(c["article_id"], c["start"], c["end"]) for c in v.citations]
        if not themes or themes[-1][0] != theme:
            themes.append((theme, []))
        themes[-1][1].append(Point(" ".join(x.text for x in v.sentences), cites))
    if not themes:
        raise LLMError(f"the LLM's merged key points had no supported citation ({dropped} dropped)", "unsupported")
    return themes, dropped


def _globally_numbered(v, local: list[Source], offset: int) -> str:
    """A validated note with its citations renumbered from the map call's [1..4] to the briefing's sources."""
    index = {(src.start, src.end): i for i, src in enumerate(local)}

    def number(n: int) -> int:
        c = v.citations[n - 1]
        return offset + index[(c["passage_start"], c["passage_end"])] + 1

    return " ".join(s.text + "".join(f"[{number(n)}]" for n in s.cites) for s in v.sentences)


def _bullets(reply: str) -> list[str]:
    """The "- " lines of a reply, without the marker; "- none" means no bullet."""
    out = []
    for ln in reply.splitlines():
        s = ln.strip()
        if s.startswith(("-", "*", "•")):
            s = s.lstrip("-*• ").strip()
            if s and s.lower().rstrip(".") != "none":
                out.append(s)
    return out


def _reduce(llm: ChatLLM, prompt, topic: str, notes: list[str]) -> list[str]:
    """Merge notes in batches that fit a small context window, then merge the results, until one batch."""
    while True:
        batches, cur = [], []
        for n in notes:
            if sum(len(x) for x in cur) + len(n) > 6000 and cur:
                batches.append(cur)
                cur = []
            cur.append(n)
        if cur:
            batches.append(cur)
        outputs = [llm.complete(prompt.messages(topic=topic, notes="\n".join(f"- {n}" for n in batch))) for batch in batches]
        if len(batches) <= 1:
            return outputs
        notes = [b for o in outputs for b in _bullets(o)]

"""Cited answers: one entry point over the generators.

`answer()` / `Answerer.ask` checks the filters, writes out a follow-up (the first generator that can:
the LLM's condensing, else rag/followup.py), analyses the question once (rag/question.py), retrieves
passages once, and asks the generators in order: the LLM (rag/chat.py) when one is configured, then
the offline extractive answerer (rag/offline.py), which also answers, with a visible notice, whenever
the LLM fails or says nothing the sources support, and reviews the LLM's answer when it gave one. The
generators are reached only through their seam (`Generator`, rag/contract.py), so another one is a
list entry. It always returns the same contract (`Answer`; README "Answer JSON").
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Iterator

from .chat import ChatGenerator
from .contract import REFUSAL, Answer, Generator, to_sources
from .corpus import Corpus
from .errors import RagError
from .filters import Filters
from .followup import chat_turns, is_follow_up
from .offline import OfflineAnswerer
from .retrieve import Retriever
from .settings import Settings

__all__ = ["Answer", "Answerer", "REFUSAL", "answer", "stream_answer"]


class Answerer:
    """Answers questions over a corpus: one analysis and one retrieval, then the first generator that answers."""

    def __init__(self, corpus: Corpus, settings: Settings | None = None, generators: list[Generator] | None = None):
        self.corpus = corpus
        self.settings = settings or corpus.settings
        self.retriever = Retriever(corpus)
        if generators is None:
            generators = [ChatGenerator(corpus, self.settings)] if self.settings.llm_enabled else []
            generators.append(OfflineAnswerer(corpus, self.settings.refusal_threshold))
        self.all_generators = generators

    def generators(self, use_llm: bool) -> list[Generator]:
        """Who answers, in order (those that call an LLM only when one is wanted)."""
        return [g for g in self.all_generators if use_llm or not g.uses_llm]

    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None, sources: list[str] | None = None,
            since: str | None = None, until: str | None = None, on_token: Callable[[str], None] | None = None,
            use_llm: bool | None = None, filters: Filters | None = None) -> Answer:
        """Answer `question` (with optional chat history) under the filters (as values, or parsed once: `filters`)."""
        t0 = time.perf_counter()
        question = (question or "").strip()
        if not question:
            raise RagError("empty question; type a question")
        k = k or self.settings.top_k
        use_llm = self.settings.llm_enabled if use_llm is None else use_llm
        generators = self.generators(use_llm)
        filters = filters or self.retriever.filters(sources, since, until)
        if filters.active and not self.corpus.catalog.count_articles(filters):
            # Not a refusal on the evidence: the filter left nothing to read.
            return Answer(question, f"No articles {filters.describe()}.", refused=True,
                          backend=generators[-1].backend, notice="no stored article matches the filters; widen or clear them",
                          latency_ms=round((time.perf_counter() - t0) * 1000, 1))
        notice = ""
        standalone, search_filters = question, filters
        if history and is_follow_up(question) and chat_turns(history):
            standalone, search_filters, notice = self._resolve_follow_up(question, history, generators, filters, k)
        q = self.retriever.analyse(standalone, asked=question)  # the one analysis of this question
        hits = self.retriever.search(q, k, filters=search_filters)  # once: our errors are never LLM failures
        sources_ = to_sources(hits, self.corpus)
        result: Answer | None = None
        raw, fallbacks = "", []
        for i, generator in enumerate(generators):
            outcome = generator.answer(q, sources_, on_token)
            notice += outcome.notice
            raw = raw or outcome.raw
            if outcome.fallback:
                fallbacks.append(outcome.fallback)
            if outcome.answer is not None:
                result = outcome.answer
                break
        for reviewer in generators[i + 1:]:  # the later generators' second opinion
            outcome = reviewer.review(q, sources_, result)
            result = outcome.answer
            notice += outcome.notice
            fallbacks += [outcome.fallback] if outcome.fallback else []
        result.llm_raw = result.llm_raw or raw
        result.fallback = fallbacks[0] if fallbacks else ""
        result.hits = hits
        if result.refused and filters.active:
            # The answer may sit in articles the filters hide: say which were on.
            result.notice = (result.notice.rstrip(". ") + f"; only articles {filters.describe()} were searched: "
                             "clear the filters to search every article").strip("; ")
        result.notice = (notice + result.notice).strip()
        result.standalone_question = standalone if standalone != question else ""
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        return result

    def _resolve_follow_up(self, question: str, history: list[dict], generators: list[Generator], filters: Filters,
                           k: int) -> tuple[str, Filters, str]:
        """(standalone question, filters to search with, notice) for a follow-up question.

        The first generator that writes it out wins (with an LLM, its condensing; offline, the earlier
        turns' names in place of its pronouns); when none can, it is searched within the previous
        question's articles with the previous question's words added.
        """
        notice = ""
        outlets = self.retriever.known_sources()
        for generator in generators:
            written, note = generator.condense(question, history, outlets)
            notice += note
            if written and written.strip().lower() != question.strip().lower():
                return written, filters, notice
        previous = chat_turns(history)[-1][0]
        prev_hits = self.retriever.search(previous, k, filters=filters)
        if prev_hits:
            filters = replace(filters, article_ids=tuple(sorted({h.article_id for h in prev_hits})))
        return f"{question} {previous}", filters, notice


def answer(corpus: Corpus, question: str, history: list[dict] | None = None, **kwargs) -> Answer:
    """Answer a question over `corpus` (see `Answerer.ask` for the options)."""
    return Answerer(corpus).ask(question, history, **kwargs)


def stream_answer(corpus: Corpus, question: str, history: list[dict] | None = None, **kwargs) -> Iterator[str | Answer]:
    """Yield LLM text pieces as they arrive, then the final validated `Answer`."""
    import queue
    import threading

    q: queue.Queue = queue.Queue()

    def work():
        try:
            q.put(Answerer(corpus).ask(question, history, on_token=q.put, **kwargs))
        except Exception as exc:  # surfaced to the caller below
            q.put(exc)

    threading.Thread(target=work, daemon=True).start()
    while True:
        item = q.get()
        if isinstance(item, Exception):
            raise item
        yield item
        if isinstance(item, Answer):
            return

"""Cited answers: one entry point over the generators.

`answer()` / `Answerer.ask` checks the filters, writes out a follow-up (rag/followup.py, or the LLM's
condensing), retrieves passages once, and asks the generators in order: the LLM (rag/chat.py) when one
is configured, then the offline extractive answerer (rag/offline.py), which also answers, with a
visible notice, whenever the LLM fails or says nothing the sources support. It always returns the
same contract (`Answer`, rag/contract.py; README "Answer JSON").
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Callable, Iterator

from .chat import ChatGenerator, message_text
from .citations import SUPPORTED, WEAK, Source
from .contract import REFUSAL, Answer, Generator, to_sources
from .corpus import Corpus
from .errors import RagError
from .filters import Filters
from .followup import is_follow_up, rewrite
from .llm import LLMError
from .offline import OfflineAnswerer
from .retrieve import Retriever
from .settings import Settings

__all__ = ["Answer", "Answerer", "ChatGenerator", "OfflineAnswerer", "REFUSAL", "answer", "stream_answer", "to_sources"]


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

def chat_turns(history: list[dict] | None) -> list[tuple[str, str]]:
    """The history as (question, answer) turns, oldest first."""
    turns: list[tuple[str, str]] = []
    for msg in history or []:
        if msg.get("role") == "user" and message_text(msg):
            turns.append((message_text(msg), ""))
        elif msg.get("role") == "assistant" and turns and not turns[-1][1]:
            turns[-1] = (turns[-1][0], message_text(msg))
    return turns


class Answerer:
    """Answers questions over a corpus: retrieval once, then the first generator that answers."""

    def __init__(self, corpus: Corpus, settings: Settings | None = None):
        self.corpus = corpus
        self.settings = settings or corpus.settings
        self.retriever = Retriever(corpus)
        self.offline = OfflineAnswerer(corpus, self.settings.refusal_threshold)
        self.chat = ChatGenerator(corpus, self.settings) if self.settings.llm_enabled else None

    def generators(self, use_llm: bool) -> list[Generator]:
        """Who answers, in order: the LLM (when configured and wanted), then the offline answerer."""
        return ([self.chat] if use_llm and self.chat else []) + [self.offline]

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
        filters = filters or self.retriever.filters(sources, since, until)
        if filters.active and not self.corpus.catalog.count_articles(filters):
            # Not a refusal on the evidence: the filter left nothing to read.
            return Answer(question, f"No articles {filters.describe()}.", refused=True,
                          backend=OfflineAnswerer.backend, notice="no stored article matches the filters; widen or clear them",
                          latency_ms=round((time.perf_counter() - t0) * 1000, 1))
        notice = ""
        standalone, search_filters = question, filters
        turns = chat_turns(history)
        if turns and is_follow_up(question):
            standalone, search_filters, notice = self._resolve_follow_up(question, turns, history, filters, k, use_llm)
        hits = self.retriever.search(standalone, k, filters=search_filters)  # once: our errors are never LLM failures
        sources_ = to_sources(hits, self.corpus)
        context = standalone if standalone != question else None
        result: Answer | None = None
        raw, fallbacks = "", []
        for generator in self.generators(use_llm):
            outcome = generator.answer(question, sources_, context, on_token)
            notice += outcome.notice
            raw = raw or outcome.raw
            if outcome.fallback:
                fallbacks.append(outcome.fallback)
            if outcome.answer is not None:
                result = outcome.answer
                break
        if result.backend != OfflineAnswerer.backend and use_llm:
            result, why, note = self._second_opinion(question, sources_, context, result)
            fallbacks += [why] if why else []
            notice += note
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

    def _second_opinion(self, question: str, sources: list[Source], context: str | None, result: Answer) -> tuple[Answer, str, str]:
        """(answer to show, fallback reason, notice) when the LLM refused, or answered a when / how-many
        question with no date or number: a confident extractive answer is shown instead, marked as such.

        Small models often say "the article doesn't say" when it does, or restate the event without
        its date; the offline answer only replaces them when it clears the calibrated threshold.
        """
        missing = "" if result.refused else self.offline.missing_kind(question, result.answer)
        if not result.refused and not missing:
            return self._name_check(question, sources, context, result)
        second = self.offline.answer(question, sources, context).answer
        if not second.refused and (result.refused or second.short_answer):  # the offline answer holds the date / number
            second.llm_raw = result.llm_raw or result.answer
            if result.refused:
                return second, "llm_refused", "the LLM said the articles don't say, but this passage answers it (offline answerer). "
            return second, "llm_no_" + missing, f"the LLM's answer gives no {missing}; this passage does (offline answerer). "
        if missing:
            # Nothing better to show: the LLM's answer stays, but it does not answer what was asked.
            _at_most_weak(result)
            return result, "", f"the answer gives no {missing}, which the question asks for. "
        return result, "", ""

    def _name_check(self, question: str, sources: list[Source], context: str | None, result: Answer) -> tuple[Answer, str, str]:
        """The LLM's answer checked against the offline answerer's (relevance model + agreement across
        articles): for a who / which / where question the reply must give the name it finds; for any
        other question one of the reply's quotes must overlap a sentence it quotes. Otherwise none of
        the reply's sentences stays "supported". Small models restate a passage's words around the
        wrong entity or about the wrong thing ("The Pentagon's inspector-general oversees ..."), which
        overlap alone passes."""
        second = self.offline.answer(question, sources, context).answer
        if second.refused:
            return result, "", ""
        if self.offline.shape(context or question).wants_name:
            if not second.short_answer or _names_agree(second.short_answer, result.answer):
                return result, "", ""
            _at_most_weak(result)
            return result, "", f"the answer does not name {second.short_answer}, which the closest passage gives; check the sources. "
        theirs = [(c["article_id"], c["start"], c["end"]) for c in second.citations if c.get("field") != "title"]
        if any(c["article_id"] == a and c["start"] < e and s < c["end"] for c in result.citations for a, s, e in theirs):
            return result, "", ""
        _at_most_weak(result)
        return result, "", "the answer quotes other passages than the ones closest to the question; check the sources. "

    def _resolve_follow_up(self, question, turns, history, filters, k, use_llm):
        """(standalone question, filters to search with, notice) for a follow-up question.

        With an LLM the question is condensed; offline, or when condensing fails or returns the
        question unchanged, its pronouns are replaced by the earlier turns' names (rag/followup.py);
        when none can be, it is searched within the previous question's articles with the previous
        question's words added.
        """
        notice = ""
        if use_llm and self.chat:
            try:
                condensed = self.chat.condense(question, history)
                if condensed.strip().lower() != question.strip().lower():
                    return condensed, filters, ""
                notice = "the LLM returned the follow-up unchanged; used the previous question's articles instead. "
            except LLMError as exc:
                notice = f"{exc.notice} while condensing the follow-up; resolved it offline instead. "
        written = rewrite(question, turns, self.retriever.known_sources())
        if written and written.strip().lower() != question.strip().lower():
            return written, filters, notice
        previous = turns[-1][0]
        prev_hits = self.retriever.search(previous, k, filters=filters)
        if prev_hits:
            filters = replace(filters, article_ids=tuple(sorted({h.article_id for h in prev_hits})))
        return f"{question} {previous}", filters, notice


def _at_most_weak(result: Answer) -> None:
    """Every "supported" sentence and citation of `result` down to "weak" (in place)."""
    for s in result.sentences:
        s["verdict"] = WEAK if s["verdict"] == SUPPORTED else s["verdict"]
    for c in result.citations:
        c["support"] = WEAK if c["support"] == SUPPORTED else c["support"]


def _names_agree(name: str, text: str) -> bool:
    """Whether `text` gives `name`: at least half of the name's words appear in it ("Free Beacon" gives
    "Washington Free Beacon")."""
    words = [w for w in re.findall(r"[\w'’-]+", name.lower()) if len(w) > 2 or w.isdigit()] or [name.lower()]
    have = set(re.findall(r"[\w'’-]+", text.lower()))
    return sum(w in have for w in words) * 2 >= len(words)


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

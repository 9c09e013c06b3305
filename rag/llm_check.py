"""`rag llm check`: is the configured LLM reachable, how fast, and does it follow the citation format?

It asks three questions of the shipped seed gold file about the seed article (which must be
ingested), through the same prompt, chain and checks as `rag ask`, and reports per question
whether the reply cited in the `[n]` form, needed its citations repaired, or fell back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .corpus import Corpus
from .errors import ConfigError
from .evaluate import load_gold, resolve_gold

SMALL_MODEL_ADVICE = ("models under ~3B parameters rarely cite reliably: expect repaired citations and offline fallbacks; "
                      "a 7B+ instruct model (or a hosted API) follows the [n] format")


@dataclass
class Probe:
    """One question's outcome."""

    question: str
    first_token_s: float | None
    total_s: float
    outcome: str  # cited | repaired | refused (every probe is answerable: a wrong refusal) | fallback:<reason>
    reply: str


@dataclass
class CheckReport:
    """What `check` found, and advice in plain words."""

    endpoint: str
    model: str
    reachable: bool
    probes: list[Probe] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def followed_format(self) -> int:
        """Probes whose reply answered and cited in the [n] form by itself. Every probe is answered by the
        seed article, so a refusal is a wrong answer, not a followed format."""
        return sum(p.outcome == "cited" for p in self.probes)


def check(corpus: Corpus, n_questions: int = 3) -> CheckReport:
    """Ask the seed questions through the LLM path and report reachability, latency and citation habits."""
    from .chat import ChatGenerator
    from .contract import to_sources
    from .retrieve import Retriever

    s = corpus.settings
    if not s.llm_enabled:
        raise ConfigError("no LLM configured: set RAG_LLM_BASE_URL (and RAG_LLM_MODEL), e.g. http://127.0.0.1:11434/v1 for Ollama")
    questions = [q for q in load_gold("seed.jsonl") if q.answerable]
    if not resolve_gold(corpus, questions[0], {}):
        raise ConfigError("the check asks the seed questions about the seed article: run `rag ingest corpus/` first")
    report = CheckReport(endpoint=s.llm_base_url or "https://api.openai.com/v1", model=s.llm_model, reachable=False)
    chat, retriever = ChatGenerator(corpus, s), Retriever(corpus)
    for q in questions[:n_questions]:
        question = retriever.analyse(q.question)
        sources = to_sources(retriever.search(question, s.top_k), corpus)
        first: list[float] = []
        t0 = time.perf_counter()
        outcome = chat.answer(question, sources, on_token=lambda _: first.append(time.perf_counter()) if not first else None)
        total = time.perf_counter() - t0
        if outcome.fallback in ("unreachable", "timeout") and not first:
            report.probes.append(Probe(q.question, None, total, f"fallback:{outcome.fallback}", ""))
            report.advice.append(f"{outcome.notice.split(';')[0]} at {report.endpoint}: is the server running, and is the URL's /v1 right?")
            return report
        report.reachable = True
        a = outcome.answer
        if a is None:
            kind = f"fallback:{outcome.fallback}"
        elif a.refused:
            kind = "refused"
        elif any(sent.get("repaired") for sent in a.sentences) or a.llm_raw:
            kind = "repaired"
        else:
            kind = "cited"
        report.probes.append(Probe(q.question, (first[0] - t0) if first else None, total, kind, (a.llm_raw or a.answer) if a else outcome.raw))
    refused = sum(p.outcome == "refused" for p in report.probes)
    if refused:
        report.advice.append(f"it said the articles don't say for {refused} question(s) the seed article answers")
    if report.followed_format < len(report.probes):
        report.advice.append(SMALL_MODEL_ADVICE)
    slow = [p.total_s for p in report.probes if p.total_s > s.llm_timeout]
    if slow:
        report.advice.append(f"answers took up to {max(slow):.0f} s: raise RAG_LLM_TIMEOUT, or use a smaller/quantised model")
    if not report.advice:
        report.advice.append("the model follows the citation format; answers will come from the LLM")
    return report

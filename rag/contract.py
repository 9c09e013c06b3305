"""The answer contract shared by the CLI's JSON, the library and the UI (README "Answer JSON"), and the
seam every answer generator implements (`Generator`, returning an `Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, NamedTuple, Protocol

if TYPE_CHECKING:
    from .corpus import Corpus
    from .question import Question
    from .retrieve import Hit

from .citations import Source

REFUSAL = "The articles don't say."


@dataclass
class Answer:
    """One answered (or refused) question with its citations, verdicts and provenance."""

    question: str
    answer: str
    refused: bool
    backend: str
    citations: list[dict] = field(default_factory=list)
    sentences: list[dict] = field(default_factory=list)
    notice: str = ""
    removed_citations: list[int] = field(default_factory=list)
    standalone_question: str = ""
    prompt_sha256: str = ""
    latency_ms: float = 0.0
    llm_raw: str = ""  # the LLM's reply as received, when it was changed or discarded
    fallback: str = ""  # why the LLM did not answer (LLMError reason, no_citations, unsupported), "" when it did or was not asked
    short_answer: str = ""  # the phrase/date/number that answers, a span of a cited sentence ("" when none)
    answer_span: dict | None = None  # {"n", "start", "end"}: where short_answer sits in citation n's article
    leads: list[dict] = field(default_factory=list)  # on a refusal: the closest passages, not an answer
    hits: list["Hit"] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        """The JSON form (optional keys only when set)."""
        keys = ("question", "answer", "refused", "backend", "citations", "sentences", "notice", "removed_citations",
                "standalone_question", "prompt_sha256", "latency_ms")
        optional = ("short_answer", "answer_span", "leads", "llm_raw", "fallback")
        return {k: getattr(self, k) for k in keys} | {k: getattr(self, k) for k in optional if getattr(self, k)}


@dataclass
class Outcome:
    """What a generator made of one question."""

    answer: Answer | None  # None: let the next generator answer
    notice: str = ""  # a line for the user ("" when none)
    raw: str = ""  # the LLM's reply as received, when it was changed or discarded
    fallback: str = ""  # why the next generator answers: an LLMError reason, no_citations, unsupported ...


class Condensed(NamedTuple):
    """A follow-up written out as a standalone question ("" when the generator could not), with a notice."""

    text: str
    notice: str = ""


class Generator(Protocol):
    """One way of answering. The answerer asks its generators in order and never names one:

    * `condense`: a follow-up written out as a standalone question (the first non-empty one is searched);
    * `answer`: a cited answer to the analysed question from numbered `sources` (`Outcome.answer` None:
      the next generator answers);
    * `review`: the later generators' second opinion on the answer an earlier one gave (it may be
      replaced, or its verdicts lowered, with a notice).
    """

    backend: str
    uses_llm: bool  # left out when the caller asks for no LLM

    def condense(self, question: str, history: list[dict], outlets: list[str]) -> Condensed:
        """The follow-up `question` written out from the chat `history` ("" when it cannot be)."""
        ...

    def answer(self, question: "Question", sources: list[Source], on_token: Callable[[str], None] | None = None) -> Outcome:
        """The answer (or None to let the next generator try), with a notice and the raw reply."""
        ...

    def review(self, question: "Question", sources: list[Source], result: Answer) -> Outcome:
        """The answer to show in place of an earlier generator's `result` (often `result` itself), with a notice."""
        ...


def answer_markdown(a: Answer) -> str:
    """The answer as clean Markdown: text with [n] markers and a numbered source list (title, outlet, date, URL).

    Everything that came from an article or a model is escaped, so it reads as the characters it is
    wherever the Markdown is pasted; only the list layout and the link targets are markup.
    """
    from .citations import VERDICT_LABELS
    from .safe import md_readable as md_text, safe_url

    lines = [f"**Q:** {md_text(a.question)}", ""]
    if a.standalone_question:
        lines[1:1] = ["", f"_Searched as: {md_text(a.standalone_question)}_"]
    if a.refused:
        lines.append(md_text(a.answer) + (f" ({md_text(a.notice)})" if a.notice else ""))
        if a.leads:
            lines += ["", "Closest passages, not an answer:"]
            lines += [f"- {md_text(ld['title'])}" + (f" — {md_text(ld['source'])}" if ld["source"] else "")
                      + f": “{md_text(' '.join(ld['quote'].split()))}”" for ld in a.leads]
        return "\n".join(lines) + "\n"
    for s in a.sentences:
        marks = "".join(f"[{int(n)}]" for n in s["citations"])
        text = (f"{md_text(s['label'])}: " if s.get("label") else "") + md_text(s["text"])
        if s.get("role") in ("short_answer", "yes_no"):
            text = f"**{text}**"
        lines.append(f"{text} {marks} ({VERDICT_LABELS.get(s['verdict'], s['verdict'])})")
    lines += ["", "Sources:"]
    for c in a.citations:
        meta = ", ".join(md_text(x) for x in (c["source"], c["published_at"]) if x)
        url = safe_url(c["url"])
        link = " <" + url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">" if url else ""
        lines.append(f"{c['n']}. {md_text(c['title'])}" + (f" — {meta}" if meta else "") + link
                     + (" (the headline is the evidence)" if c.get("field") == "title" else ""))
    return "\n".join(lines) + "\n"


def to_sources(hits: list["Hit"], corpus: "Corpus") -> list[Source]:
    """Retrieved hits as numbered sources (1-based in order)."""
    out = []
    for h in hits:
        art = corpus.catalog.article(h.article_id)
        out.append(Source(h.article_id, h.title, h.source, h.published_at, h.url, art.text, h.start, h.end))
    return out

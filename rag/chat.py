"""The LLM generator: an OpenAI-compatible chat model behind a LangChain (LCEL) chain, its citations checked.

It writes the answer from numbered sources, then every `[n]` is validated against the passage it
names (rag/citations.py): out-of-range markers are removed, unsupported sentences flagged, citations
repaired where another source supports the sentence. A reply nothing supports is never shown: the
`Outcome` then has no answer and the next generator (the offline answerer) answers, with the reason.
"""

from __future__ import annotations

from typing import Callable

from .citations import SUPPORTED, Source, is_refusal, normalise_markers, validate
from .contract import REFUSAL, Answer, Condensed, Outcome
from .corpus import Corpus
from .followup import message_text
from .llm import ChatLLM, LLMError
from .prompts import load_prompt
from .question import Question
from .settings import Settings


def format_sources(sources: list[Source]) -> str:
    """Sources numbered [1]..[k] with title, outlet and date, as the prompt shows them."""
    lines = []
    for i, s in enumerate(sources, 1):
        meta = ", ".join(x for x in (s.source, s.published_at) if x)
        text = " ".join(s.text.split())
        lines.append(f'[{i}] "{s.title}"' + (f" ({meta})" if meta else "") + f": {text}")
    return "\n".join(lines)


class ChatGenerator:
    """Answers with an OpenAI-compatible chat model (LCEL: prompt | ChatOpenAI | text), then checks its citations."""

    def __init__(self, corpus: Corpus, settings: Settings):
        self.corpus = corpus
        self.llm = ChatLLM(settings)
        self.backend = f"llm:{settings.llm_model}"
        self.uses_llm = True

    def chain(self, prompt):
        """The LCEL chain: {sources, question} -> filled prompt -> chat model (message chunks)."""
        from langchain_core.runnables import RunnableLambda

        def fill(inputs: dict) -> dict:
            values = {"sources": format_sources(inputs["sources"]), "question": inputs["question"]}
            prompt.check(values)
            return values

        return RunnableLambda(fill) | prompt.chat_template() | self.llm.model()

    def answer(self, q: Question, sources: list[Source], on_token: Callable[[str], None] | None = None) -> Outcome:
        """The validated LLM answer, a refusal, or no answer (with the reason) when the LLM failed."""
        question = q.asked
        prompt = load_prompt("answer")
        if not sources:
            return Outcome(Answer(question, REFUSAL, True, self.backend, prompt_sha256=prompt.sha256,
                                  notice="no passages matched the question"))
        try:
            raw = self.llm.stream(self.chain(prompt), {"sources": sources, "question": q.text}, on_token)
        except LLMError as exc:
            return Outcome(None, f"{exc.notice}; answered offline instead. ", fallback=exc.reason)
        text = (raw or "").strip()
        if is_refusal(text):
            kept = "" if text.rstrip(".").lower() == REFUSAL.rstrip(".").lower() else raw
            return Outcome(Answer(question, REFUSAL, True, self.backend, prompt_sha256=prompt.sha256, llm_raw=kept))
        if not text:
            return Outcome(None, "LLM reply was empty; answered offline instead. ", fallback="empty")
        v = validate(text, sources, self.corpus.sentence_embedder, repair=True)
        notes = []
        if v.removed:
            notes.append(f"removed citation(s) to nonexistent source(s) {', '.join(f'[{n}]' for n in v.removed)}")
        if v.repaired:
            notes.append(f"citation repaired for {v.repaired} sentence(s)")
        flagged = [s for s in v.sentences if s.verdict != SUPPORTED]
        if flagged:
            notes.append(f"{len(flagged)} sentence(s) not fully supported by their sources")
        if not v.supported_any:
            # Nothing the model wrote is backed by a source: the extractive answer is shown instead.
            why = "no_citations" if not any(s.cites for s in v.sentences) else "unsupported"
            note = "LLM reply had no citations" if why == "no_citations" else "no sentence of the LLM reply was supported by the sources"
            return Outcome(None, f"{note}; answered offline instead. ", raw=raw, fallback=why)
        # Kept for the record when we changed what the model said (beyond renumbering and layout).
        changed = bool(v.removed or v.repaired or normalise_markers(text, len(sources)) != text)
        return Outcome(Answer(question, v.answer, False, self.backend, v.citations, v.sentence_dicts(), "; ".join(notes),
                              v.removed, prompt_sha256=prompt.sha256, llm_raw=raw if changed else ""))

    def condense(self, question: str, history: list[dict], outlets: list[str]) -> Condensed:
        """A follow-up rewritten by the LLM as a standalone question ("" with a notice when it fails or
        returns the question unchanged)."""
        prompt = load_prompt("condense")
        try:
            text = " ".join(self.llm.complete(prompt.messages(history=_history_text(history), question=question)).split())
        except LLMError as exc:
            return Condensed("", f"{exc.notice} while condensing the follow-up; resolved it offline instead. ")
        if not 3 <= len(text) <= 500 or text.lower() == question.strip().lower():
            return Condensed("", "the LLM returned the follow-up unchanged; resolved it offline instead. ")
        return Condensed(text)

    def review(self, question: Question, sources: list[Source], result: Answer) -> Outcome:
        """The LLM gives no second opinion: `result` stands."""
        return Outcome(result)


def _history_text(history: list[dict]) -> str:
    return "\n".join(f"{msg.get('role', 'user')}: {' '.join(message_text(msg).split())[:600]}" for msg in history[-6:])

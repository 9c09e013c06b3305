"""What the app shows, as HTML / Markdown strings: answers, source cards, filter chips, status lines.

No Gradio here, so every renderer is a plain function of its inputs (tested without a browser).
Article and model text is data in every one of them: escaped with `rag.safe` (see SECURITY.md); only
the app's own markup (citation markers, badges, the highlighted span) is live.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from rag.citations import VERDICT_HELP, VERDICT_LABELS
from rag.filters import FilterError
from rag.safe import md_text, safe_url

if TYPE_CHECKING:
    from rag.contract import Answer
    from rag.corpus import Corpus

VERDICTS = ("supported", "weak", "unsupported")
EMPTY_SOURCES = "<div class='src-empty'>Ask a question to see cited passages.</div>"


def day_text(value) -> str:
    """A date field's value as typed, trimmed ("" when empty)."""
    return str(value or "").strip()


def plain_filter_error(exc: FilterError) -> str:
    """A filter error as a sentence for the page (the CLI's wording names options the page does not have)."""
    if exc.field in ("since", "until"):
        return f"The “{exc.field.title()}” date “{exc.value}” is not a date. Type it as 2023-12-01 (or 2023-12 for a month)."
    if exc.field == "order":
        return f"“Since” ({exc.value}) is after “Until” ({exc.until}). Swap them or clear one."
    message = str(exc)
    return message[:1].upper() + message[1:]


def filter_chips(outlets, since, until) -> str:
    """The active filters as chips above the chat ("" when none)."""
    chips = [f"outlet: {html.escape(str(o))}" for o in (outlets or [])]
    chips += [f"{name} {html.escape(day_text(v))}" for name, v in (("since", since), ("until", until)) if day_text(v)]
    if not chips:
        return ""
    return ("<div class='chips' data-testid='filter-chips'>Answers use only: "
            + "".join(f"<span class='chip'>{c}</span>" for c in chips) + "</div>")


def as_typed(history: list[dict]) -> list[dict]:
    """The chat history with each question as the user typed it (the chat shows it escaped by `md_text`)."""
    def plain(content):
        if isinstance(content, str):
            return html.unescape(content)
        if isinstance(content, list):  # Gradio 6 content parts
            return [{**p, "text": html.unescape(p.get("text", ""))} if isinstance(p, dict) else p for p in content]
        return content

    return [{**m, "content": plain(m.get("content"))} if m.get("role") == "user" else m for m in history]
def safe_name(name: str) -> str:
    """A file name reduced to letters, digits, dot, dash and underscore (no path parts)."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[^\w.-]+", "_", base, flags=re.ASCII).strip("._") or "upload"
    return base[:120]


def context_html(text: str, start: int, end: int, width: int = 700, answer: tuple[int, int] | None = None) -> str:
    """The paragraph around text[start:end] with that span in <mark> (and the short answer inside it in
    <mark class="answer">), HTML-escaped."""
    p0 = text.rfind("\n\n", 0, start)
    p0 = 0 if p0 < 0 else p0 + 2
    p1 = text.find("\n\n", end)
    p1 = len(text) if p1 < 0 else p1
    p0 = max(p0, start - width)
    p1 = min(p1, end + width)
    if answer and start <= answer[0] < answer[1] <= end:
        a, b = answer
        span = (html.escape(text[start:a]) + f"<mark class='answer' data-testid='answer-span'>{html.escape(text[a:b])}</mark>"
                + html.escape(text[b:end]))
    else:
        span = html.escape(text[start:end])
    return (("…" if p0 > 0 else "") + html.escape(text[p0:start]) + f"<mark>{span}</mark>" + html.escape(text[end:p1])
            + ("…" if p1 < len(text) else ""))


def render_answer(a: Answer) -> str:
    """Chat markdown: the short answer in bold, then each quoted sentence with citation links and a verdict badge."""
    # Only the markers, badges and bold are markup; every sentence is article (or LLM) text shown literally.
    searched = f"_Searched as: {md_text(a.standalone_question)}_\n\n" if a.standalone_question else ""
    if a.refused:
        msg = searched + f"**{md_text(a.answer)}**"
        if a.notice:
            msg += f" {md_text(a.notice[:1].upper() + a.notice[1:])}."
        if a.leads:
            items = "\n".join(f"- [[{i}]](#lead-{i}) {md_text(ld['title'])}" + (f" ({md_text(ld['source'])})" if ld["source"] else "")
                               for i, ld in enumerate(a.leads, 1))
            msg += f"\n\nClosest passages, not an answer:\n{items}"
        return msg
    parts = []
    for s in a.sentences:
        marks = "".join(f"[[{int(n)}]](#cite-{int(n)})" for n in s["citations"])
        verdict = s["verdict"] if s["verdict"] in VERDICTS else "unsupported"
        label = VERDICT_LABELS[verdict] + (" · citation repaired" if s.get("repaired") else "")
        badge = f"<span class=\"badge {verdict}\" title=\"{VERDICT_HELP[verdict]}\">{label}</span>"
        if s.get("role") in ("short_answer", "yes_no"):
            parts.append(f"**{md_text(s['text'])}** {marks} {badge}\n\n")
            continue
        side = f"_{md_text(s['label'])}:_ " if s.get("label") else ""
        parts.append(f"{side}{md_text(s['text'])} {marks} {badge}" + ("\n\n" if side else " "))
    return searched + "".join(parts).strip()


def _card(anchor: str, heading: str, meta: str, url: str, badge: str, quote: str, context: str) -> str:
    link = f" · <a href='{html.escape(url)}' target='_blank' rel='noopener noreferrer'>link</a>" if url else ""
    return (f"<div class='src-card' id='{anchor}' data-testid='{anchor.replace('cite', 'source')}'>"
            f"<div class='src-head'><b>{heading}</b>{' · ' + meta if meta else ''}{link}{badge}</div>"
            f"<div class='src-quote'>“{quote[:220]}{'…' if len(quote) > 220 else ''}”</div>"
            f"<div class='src-context'>{context}</div></div>")


def render_sources(a: Answer, corpus: Corpus) -> str:
    """Sources panel HTML: one card per citation (or per lead on a refusal), the cited span highlighted in its paragraph."""
    if a.refused and a.leads:
        cards = []
        for i, ld in enumerate(a.leads, 1):
            art = corpus.catalog.article(ld["article_id"])
            meta = " · ".join(html.escape(x) for x in (ld["source"], ld["published_at"]) if x)
            ctx = context_html(art.text, ld["start"], ld["end"]) if art else html.escape(ld["quote"])
            cards.append(_card(f"lead-{i}", f"Lead {i} (not an answer): {html.escape(ld['title'])}", meta, safe_url(ld["url"]),
                               "", html.escape(" ".join(ld["quote"].split())), ctx))
        return "<div class='src-list'>" + "".join(cards) + "</div>"
    if not a.citations:
        return "<div class='src-empty'>No sources cited.</div>"
    cards = []
    span = a.answer_span or {}
    for c in a.citations:
        art = corpus.catalog.article(c["article_id"])
        meta = " · ".join(html.escape(x) for x in (c["source"], c["published_at"]) if x)
        inner = (span["start"], span["end"]) if span.get("n") == c["n"] else None
        if c.get("field") == "title":  # the headline itself is the evidence: shown as the headline, span marked
            ctx = f"<div class='src-headline'>Headline: {context_html(c['title'], c['start'], c['end'], answer=inner)}</div>"
        else:
            ctx = context_html(art.text, c["start"], c["end"], answer=inner) if art else html.escape(c["quote"])
        support = c["support"] if c["support"] in VERDICTS else "unsupported"
        badge = f"<span class='badge {support}' title='{VERDICT_HELP[support]}'>{VERDICT_LABELS[support]}</span>"
        cards.append(_card(f"cite-{c['n']}", f"[{c['n']}] {html.escape(c['title'])}", meta, safe_url(c["url"]), badge,
                           html.escape(" ".join(c["quote"].split())), ctx))
    return "<div class='src-list'>" + "".join(cards) + "</div>"


def backend_line(a: Answer) -> str:
    """Which backend answered, the latency, and any fallback notice."""
    who = "offline extractive answerer" if a.backend == "offline-extractive" else a.backend.replace("llm:", "LLM ")
    line = f"Answered by **{who}** in {a.latency_ms:.0f} ms"
    if a.notice and not a.refused:
        line += f" — ⚠ {md_text(a.notice)}"
    return line

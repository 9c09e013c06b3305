"""Gradio app: Ask (cited chat), Briefing, Library (upload/ingest/delete) and Evaluate tabs.

Every action is also an API endpoint (`api_name`), so `gradio_client` can call ask, brief,
ingest, delete, stats and eval. Launch with `rag ui` (127.0.0.1:7860 by default; never a share
link). Errors reach the user as one readable line, never a traceback.

Safety (see SECURITY.md): article strings are data in every view (`rag.safe`): escaped for HTML,
neutralised for Markdown, links only for http(s) URLs. No file under the data dir is ever served;
downloads and reports are written to a fresh temporary folder per request and served by Gradio as
attachments. Uploads are checked (size, extension) before they are copied, stored under
content-derived names, and deleted when rejected. Binding a non-loopback address requires a login
or read-only mode, and every handler (API or not) enforces read-only mode itself.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import tempfile
import threading
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData
from starlette.middleware import Middleware

from rag.answer import Answer, stream_answer
from rag.contract import answer_markdown
from rag.citations import VERDICT_HELP, VERDICT_LABELS
from rag.brief import brief as make_brief
from rag.corpus import Corpus
from rag.errors import IngestError, RagError
from rag.loaders import read_regular
from rag.evaluate import METRIC_HELP, METRIC_KEYS, evaluate, fmt, question_right, shipped_gold_dir, write_report
from rag.ingest import at_low_priority, ingest
from rag.filters import Filters
from rag.safe import is_loopback, md_text, safe_url
from rag.settings import Settings

from .guard import UploadGuard
from .loading import LoadingPage

log = logging.getLogger("rag.ui")
EVAL_DIR = shipped_gold_dir()

CSS = """
#filter-chips { padding: 0 !important; min-height: 0 !important; }
#sources-panel { max-height: 640px; overflow-y: auto; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.src-card.active { border-color: #e0a800; box-shadow: 0 0 0 2px #ffe08a; }
.src-head { font-size: 0.92em; }
.src-quote { font-size: 0.88em; color: var(--body-text-color-subdued); margin-top: 4px; }
.src-context { display: none; margin-top: 6px; font-size: 0.92em; line-height: 1.45; max-height: 260px; overflow-y: auto; }
.src-card.active .src-context { display: block; }
.src-card.active .src-quote { display: none; }
.src-context mark { background: #ffe08a; padding: 0 1px; }
.src-context mark.answer { background: #ffc44d; font-weight: 600; outline: 1px solid #b07d00; }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; margin-left: 4px; white-space: nowrap; }
.chips { font-size: 0.85em; margin: -4px 0 4px; }
.timebox input.time { min-width: 0; width: 0; }  /* the date text shrinks so its calendar button stays in view */
.timebox input.time.invalid { color: #b42318; text-decoration: underline wavy #b42318; }  /* not a date: say so */
.timebox input.time::placeholder { color: var(--input-placeholder-color); }
.chip { display: inline-block; background: #e8f0fe; color: #1a3d7c; border-radius: 10px; padding: 1px 8px; margin-left: 4px; }
.badge.supported { background: #d4f4dd; color: #135c2a; }
.badge.weak { background: #fff1c2; color: #6b5200; }
.badge.unsupported { background: #ffd6d6; color: #8a1010; }
#backend-line { font-size: 0.85em; }
"""

# Citation markers are links to "#cite-N"; clicking one opens that passage in the Sources panel
# (capture phase, so Gradio's own link handling does not open a new tab).
HEAD = """
<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest && e.target.closest('a[href^="#cite-"], a[href^="#src-"], a[href^="#lead-"]');
  if (!a) return;
  e.preventDefault(); e.stopPropagation();
  const id = a.getAttribute('href').slice(1);
  const card = document.getElementById(id);
  if (!card) return;
  document.querySelectorAll('.src-card.active').forEach(c => c.classList.remove('active'));
  card.classList.add('active');
  card.scrollIntoView({block: 'nearest'});
  const m = card.querySelector('mark');
  if (m) m.scrollIntoView({block: 'nearest'});
}, true);
// Gradio's date boxes and a few others render an <input> with no accessible name: give each the
// label its block shows, so screen readers (and the accessibility check) name every field.
function labelInputs() {
  document.querySelectorAll('.block input:not([aria-label]):not([type=hidden]), .block textarea:not([aria-label])').forEach(function (el) {
    if (el.labels && el.labels.length && el.labels[0].textContent.trim()) return;
    const block = el.closest('.block');
    const span = block && block.querySelector('[data-testid="block-info"], .label-text, label span');
    const text = span ? span.textContent.trim() : '';
    if (text) el.setAttribute('aria-label', text);
  });
}
new MutationObserver(labelInputs).observe(document.documentElement, {childList: true, subtree: true});
</script>
"""


VERDICTS = ("supported", "weak", "unsupported")
ID_COLUMN = 4  # Library rows: title, outlet, date, chunks, id, then the delete cell
DELETE_CELL = "Delete"
EMPTY_SOURCES = "<div class='src-empty'>Ask a question to see cited passages.</div>"


def plain_filter_error(message: str, since: str | None, until: str | None) -> str:
    """A filter error as a sentence for the page (the CLI's wording names options the page does not have)."""
    for name, value in (("Since", since), ("Until", until)):
        if value and f"'{value}'" in message and "not a date" in message:
            return f"The “{name}” date “{value}” is not a date. Type it as 2023-12-01 (or 2023-12 for a month)."
    if "after" in message and since and until:
        return f"“Since” ({since}) is after “Until” ({until}). Swap them or clear one."
    return message[:1].upper() + message[1:]


def filter_chips(outlets, since, until) -> str:
    """The active filters as chips above the chat ("" when none)."""
    chips = [f"outlet: {html.escape(str(o))}" for o in (outlets or [])]
    chips += [f"{name} {html.escape(_day(v))}" for name, v in (("since", since), ("until", until)) if _day(v)]
    if not chips:
        return ""
    return ("<div class='chips' data-testid='filter-chips'>Answers use only: "
            + "".join(f"<span class='chip'>{c}</span>" for c in chips) + "</div>")


def date_field(label: str, elem_id: str) -> gr.DateTime:
    """A day filter with a calendar picker; the value reaches handlers as typed (see `typed_dates_js`)."""
    return gr.DateTime(label=label, include_time=False, type="string", elem_id=elem_id, scale=1, min_width=170)


def typed_dates_js(n_inputs: int, fields: dict[int, str]) -> str:
    """Browser code run before a handler: each date input is replaced by the text its field shows.

    gr.DateTime keeps its last valid value when the typed text is not a date, so without this the
    question would run with a filter the user no longer sees; with it, a bad date gets a sentence.
    """
    picks = "".join(f"args[{i}] = shown({json.dumps(f'#{elem_id} input')}, args[{i}]);" for i, elem_id in fields.items())
    return ("(...args) => { const shown = (sel, v) => { const el = document.querySelector(sel); "
            "return el ? el.value : v; }; " + picks + f" return args.slice(0, {n_inputs}); }}")


def clear_typed_dates_js(elem_ids: list[str]) -> str:
    """Browser code that empties date fields' text too (a rejected typed date is not their value, so
    setting the value to "" alone would leave that text on screen and in the next question)."""
    sel = json.dumps(", ".join(f"#{e} input" for e in elem_ids))
    return (f"() => {{ document.querySelectorAll({sel}).forEach(el => {{ el.value = ''; "
            "el.dispatchEvent(new Event('input', {bubbles: true})); }); return []; }")


def _day(value) -> str:
    """A date field's value as typed, trimmed ("" when empty)."""
    return str(value or "").strip()


def as_typed(history: list[dict]) -> list[dict]:
    """The chat history with each question as the user typed it (the chat shows it escaped by `md_text`)."""
    def plain(content):
        if isinstance(content, str):
            return html.unescape(content)
        if isinstance(content, list):  # Gradio 6 content parts
            return [{**p, "text": html.unescape(p.get("text", ""))} if isinstance(p, dict) else p for p in content]
        return content

    return [{**m, "content": plain(m.get("content"))} if m.get("role") == "user" else m for m in history]
MAX_BRIEF_ARTICLES = 200
MAX_EVAL_QUESTIONS = 100_000


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


class App:
    """Holds the opened corpus and the handlers behind the UI and API."""

    def __init__(self, settings: Settings | None = None, corpus: Corpus | None = None, host: str = "127.0.0.1"):
        self.settings = settings or Settings()
        self.corpus = corpus or Corpus(self.settings)
        self.read_only = self.settings.ui_read_only
        # Reachable from other machines: the Library fetch must not read this machine's or its network's services.
        self.public_fetch_only = not is_loopback(host)
        self.uploads = Path(self.settings.data_dir) / "uploads"
        # The paths Gradio's upload route wrote in this process; launch() shares the app's live set.
        self.uploaded: set[str] = set()
        self.ready = threading.Event()
        self.ready.set()  # set again by start_warm() once the model and indexes are loaded

    def start_warm(self) -> None:
        """Load the model and the indexes in the background, so the first question is not the one that waits."""
        self.ready.clear()
        threading.Thread(target=self._warm, name="rag-warm", daemon=True).start()

    def _warm(self) -> None:
        from rag.answer import Answerer

        try:
            if not self.corpus.catalog.is_empty():
                Answerer(self.corpus).ask("warm up the model", use_llm=False)
            else:
                self.corpus.embedder.embed_query("warm up the model")
        except Exception:  # a broken corpus shows up on the first real question, with its own message
            log.exception("warm-up failed")
        finally:
            self.ready.set()

    def page_load(self):
        """On every page load: wait for the warm-up, then the ready line and fresh outlet lists and stats."""
        self.ready.wait(300)
        outlets = self.corpus.catalog.sources()
        return ("Ready — ask a question.", gr.update(choices=outlets), gr.update(choices=outlets), self.stats_md(),
                self.library_rows(""))

    def _writable(self) -> None:
        """Raise (as a UI error) when the app is read-only; every changing handler calls it."""
        if self.read_only:
            raise gr.Error("this app is read-only: uploads and deletes are switched off (restart without --read-only)")

    def _filters(self, outlets, since, until) -> tuple[list[str], str | None, str | None]:
        """Outlets and dates from the UI or API, checked; a bad one is a UI error naming it."""
        if outlets is None or outlets == "":
            outlets = []
        if isinstance(outlets, str):
            outlets = [outlets]
        if not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets):
            raise gr.Error("outlets must be a list of outlet names")
        for name, value in (("since", since), ("until", until)):
            if value is not None and not isinstance(value, str):
                raise gr.Error(f"{name} must be a date string YYYY-MM-DD, got {type(value).__name__}")
        since, until = _day(since) or None, _day(until) or None
        try:
            Filters.parse(self.corpus.catalog.sources(), outlets, since, until, names=("outlet", "since", "until"))
        except RagError as exc:
            raise gr.Error(plain_filter_error(str(exc), since, until)) from None
        return outlets, since, until

    # -- Ask ---------------------------------------------------------------------------------
    def chat(self, question, history, outlets, since, until):
        """Chat handler: streams the answer, then shows sources and the backend line."""
        history = list(history or [])
        question = (question or "").strip()
        idle = (gr.skip(), gr.skip())  # the export of the previous answer stays until there is a new one
        if not question:
            yield history, gr.skip(), gr.skip(), "", *idle
            return
        prior = as_typed(history)
        history = history + [{"role": "user", "content": md_text(question)}, {"role": "assistant", "content": "…"}]
        try:
            outlets, since, until = self._filters(outlets, since, until)
        except gr.Error as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {md_text(exc.message)}"}
            yield history, EMPTY_SOURCES, "", "", *idle
            return
        yield history, EMPTY_SOURCES, "Searching…", "", *idle
        try:
            partial = ""
            result = None
            for item in stream_answer(self.corpus, question, prior, sources=outlets or None, since=since, until=until):
                if isinstance(item, Answer):
                    result = item
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": md_text(partial)}
                    yield history, gr.skip(), "Generating…", "", *idle
            history[-1] = {"role": "assistant", "content": render_answer(result)}
            markdown = answer_markdown(result)
            # Named after the question, so several exports of a session tell themselves apart.
            path = Path(tempfile.mkdtemp(prefix="rag-answer-")) / f"answer-{safe_name(question)[:50].rstrip('._-') or 'question'}.md"
            path.write_text(markdown, encoding="utf-8")
            yield (history, render_sources(result, self.corpus), backend_line(result), "", markdown,
                   gr.update(value=str(path), visible=True))
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {md_text(str(exc))}"}
            yield history, EMPTY_SOURCES, "", "", *idle
        except Exception as exc:  # the user gets a line, the log gets the traceback
            log.exception("ask failed")
            history[-1] = {"role": "assistant", "content": f"⚠ Something went wrong ({type(exc).__name__}: {md_text(str(exc))})"}
            yield history, EMPTY_SOURCES, "", "", *idle

    def api_ask(self, question: str, outlets: list[str] | None = None, since: str = "", until: str = "") -> dict:
        """Answer a question; returns the answer JSON (see README)."""
        from rag.answer import Answerer

        if not isinstance(question, str) or not question.strip():
            raise gr.Error("question must be a non-empty string")
        if len(question) > 2000:
            raise gr.Error("question is over 2,000 characters; shorten it")
        outlets, since, until = self._filters(outlets, since, until)
        try:
            return Answerer(self.corpus).ask(question, sources=outlets or None, since=since, until=until).as_dict()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    # -- Briefing ----------------------------------------------------------------------------
    def _make_brief(self, topic, outlets, since, until, max_articles):
        """A briefing from checked arguments (a bad one is a UI error naming it)."""
        if topic is not None and not isinstance(topic, str):
            raise gr.Error("topic must be a string")
        if isinstance(max_articles, bool) or not isinstance(max_articles, (int, float)) or int(max_articles) != max_articles:
            raise gr.Error("max_articles must be a whole number from 1 to 200")
        if not 1 <= int(max_articles) <= MAX_BRIEF_ARTICLES:
            raise gr.Error(f"max_articles must be from 1 to {MAX_BRIEF_ARTICLES}, got {max_articles}")
        outlets, since, until = self._filters(outlets, since, until)
        try:
            return make_brief(self.corpus, (topic or "").strip() or None, outlets or None, since, until, None, int(max_articles))
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    def brief(self, topic, outlets, since, until, max_articles):
        """Briefing handler: markdown and a downloadable .md file (from a fresh temporary folder)."""
        try:
            b = self._make_brief(topic, outlets, since, until, max_articles)
        except gr.Error as exc:
            return f"⚠ {md_text(exc.message)}", None
        path = Path(tempfile.mkdtemp(prefix="rag-brief-")) / f"briefing-{safe_name(b.topic)[:40] or 'all'}.md"
        text = b.markdown()
        path.write_text(text, encoding="utf-8")
        return text, str(path)

    def api_brief(self, topic: str = "", outlets: list[str] | None = None, since: str = "", until: str = "", max_articles: int = 20) -> dict:
        """Build a briefing; returns its JSON (with the Markdown under "markdown")."""
        b = self._make_brief(topic, outlets, since, until, max_articles)
        return b.as_dict() | {"markdown": b.markdown(link_sources=False)}

    # -- Library -----------------------------------------------------------------------------
    def ingest_files(self, files, progress=gr.Progress()):
        """Check uploads (size, extension), store them under content-derived names and ingest each."""
        self._writable()
        rows = []
        files = files or []
        if isinstance(files, (str, Path, dict)) or hasattr(files, "name") and not isinstance(files, list):
            files = [files]
        for f in progress.tqdm(files, desc="ingesting") if files else []:
            rows.extend(self._ingest_one(f))
        return rows, self.library_rows(""), self.stats_md(), *([gr.update(choices=self.corpus.catalog.sources())] * 2)

    def _ingest_one(self, f) -> list[list[str]]:
        """Rows (file, result, detail) for one upload; the upload never stays on disk unless stored."""
        allowed = {e.strip().lower() for e in self.settings.upload_extensions.split(",") if e.strip()}
        if isinstance(f, dict):  # FileData as JSON (API calls)
            src, original = Path(f.get("path") or ""), f.get("orig_name") or Path(f.get("path") or "").name
        else:
            src = Path(getattr(f, "path", None) or getattr(f, "name", None) or str(f))
            original = getattr(f, "orig_name", None) or src.name
        name = safe_name(original)
        # Only files this process's upload route wrote may be read (the guard already refused the
        # rest before Gradio saw them; this is the second lock): a caller cannot name /etc/passwd.
        if str(src) not in self.uploaded:
            return [[name, "error", "not a file uploaded to this app; upload it through the app or API"]]
        try:
            ext = Path(name).suffix.lower()
            if ext not in allowed:
                return [[name, "error", f"extension {ext or '(none)'} not allowed; use {', '.join(sorted(allowed))}"]]
            try:
                data = read_regular(src, self.settings.max_file_bytes)
            except IngestError as exc:
                return [[name, "error", exc.reason]]
            # Named by content: two uploads never overwrite each other, and the same bytes are the same file.
            self.uploads.mkdir(parents=True, exist_ok=True)
            dest = self.uploads / f"{hashlib.sha256(data).hexdigest()[:20]}{ext}"
            if not dest.exists():
                dest.write_bytes(data)
            try:
                report = at_low_priority(ingest, self.corpus, [str(dest)])  # questions asked meanwhile keep the CPU
            except RagError as exc:
                return [[name, "error", str(exc)]]
            finally:
                if str(dest.resolve()) not in {p for _, p in self.corpus.catalog.paths()}:
                    dest.unlink(missing_ok=True)  # rejected or skipped: nothing of it is kept
        finally:
            src.unlink(missing_ok=True)  # Gradio's own copy of the upload
        rows = []
        if report.added or report.replaced:
            n = sum(a.get("chunks", 0) for a in report.added + report.replaced)
            rows.append([name, "ingested", f"{len(report.added) + len(report.replaced)} article(s), {n} chunks"])
        elif report.duplicates:
            d = report.duplicates[0]
            rows.append([name, "duplicate", f"near-duplicate of {d['duplicate_of']} (similarity {d['similarity']})"])
        elif report.unchanged:
            rows.append([name, "unchanged", "already stored; skipped"])
        rows.extend([name, "warning", w.split(": ", 1)[-1]] for w in report.warnings)
        rows.extend([name, "error", e.reason] for e in report.errors)
        return rows

    def ingest_addresses(self, addresses: str, as_feeds: bool, progress=gr.Progress()):
        """Fetch article pages (or feeds' items) given one address per line and ingest them; rows (address, result, detail)."""
        from rag.web import ingest_web

        self._writable()
        lines = [x.strip() for x in (addresses or "").splitlines() if x.strip()]
        if not lines:
            raise gr.Error("no address given; paste one http(s) address per line")
        if len(lines) > 50:
            raise gr.Error(f"{len(lines)} addresses; give at most 50 at a time")
        report = at_low_priority(ingest_web, self.corpus, [] if as_feeds else lines, lines if as_feeds else [],
                            progress=lambda stage, done, total: progress((done, total), desc=stage) if total else None,
                            public_only=self.public_fetch_only)
        rows = [[a["origin"], "added", a["title"]] for a in report.added + report.replaced]
        rows += [[u["origin"], "already stored", u.get("title", "")] for u in report.unchanged]
        rows += [[d["origin"], "duplicate", f"of {d['duplicate_of']}"] for d in report.duplicates]
        rows += [[e.path, "error", e.reason] for e in report.errors]
        return rows, self.library_rows(""), self.stats_md(), *([gr.update(choices=self.corpus.catalog.sources())] * 2)

    def api_ingest_addresses(self, addresses: str, as_feeds: bool = False) -> list[list[str]]:
        """Fetch and ingest pages (or feeds) from addresses, one per line; one row (address, result, detail) each."""
        if not isinstance(addresses, str):
            raise gr.Error("addresses must be a string with one http(s) address per line")
        rows, *_ = self.ingest_addresses(addresses, bool(as_feeds), progress=_NoProgress())
        return rows

    def api_ingest(self, files: list[FileData]) -> list[list[str]]:
        """Ingest uploaded files; one row (file, result, detail) per file."""
        if not isinstance(files, list):
            raise gr.Error("files must be a list of uploaded files (gradio_client.handle_file)")
        rows, *_ = self.ingest_files(files, progress=_NoProgress())
        return rows

    def api_articles(self, query: str = "") -> list[list]:
        """Stored articles (title, outlet, date, chunks, id), optionally filtered."""
        if query is not None and not isinstance(query, str):
            raise gr.Error("query must be a string")
        return self.articles_table(query)

    def articles_table(self, query: str = "") -> list[list]:
        """Rows (title, outlet, date, chunks, id), filtered by a case-insensitive search."""
        q = (query or "").lower().strip()
        rows = []
        for a in self.corpus.catalog.articles(newest_first=True):
            if q and q not in f"{a.title} {a.source} {a.id}".lower():
                continue
            rows.append([a.title, a.source, a.published_at, a.n_chunks, a.id])
        return rows

    def library_rows(self, query: str = "") -> list[list]:
        """The Library table: `articles_table` plus a delete cell on each row (none when read-only)."""
        rows = self.articles_table(query)
        return rows if self.read_only else [r + [DELETE_CELL] for r in rows]

    def stats_md(self) -> str:
        s = self.corpus.catalog.stats()
        span = f"{s['date_from']} … {s['date_to']}" if s["date_from"] else "no dates"
        # The same outlets the filter lists offer; articles without one are counted apart.
        no_outlet = s["sources"].get("", 0)
        outlets = f"**{len(s['sources']) - (1 if no_outlet else 0)}** outlets" + (f" (+{no_outlet} without one)" if no_outlet else "")
        return (f"**{s['articles']}** articles · **{s['chunks']}** chunks · {outlets} · {span} · "
                f"model {s['embedding_model'] or '—'}")

    def select_article(self, evt: gr.SelectData):
        """A click on an article row selects it; a click on its delete cell also asks for confirmation."""
        row = evt.row_value or []
        art = self.corpus.catalog.article(str(row[ID_COLUMN])) if len(row) > ID_COLUMN else None
        if art is None:
            return "", "", gr.update(interactive=False), "", gr.update(visible=False)
        selected = f"Selected: “{md_text(art.title)}” ({md_text(art.source or 'no outlet')}, {art.published_at or 'no date'})"
        column = evt.index[1] if isinstance(evt.index, (list, tuple)) and len(evt.index) > 1 else None
        if column == ID_COLUMN + 1 and not self.read_only:
            return (art.id, selected, gr.update(interactive=True), *self.ask_delete(art.id))
        return art.id, selected, gr.update(interactive=not self.read_only), "", gr.update(visible=False)

    def ask_delete(self, article_id: str):
        """First click on Delete: show the confirmation for the selected article."""
        art = self.corpus.catalog.article(article_id) if article_id else None
        if art is None:
            return "⚠ click an article row first", gr.update(visible=False)
        return f"Delete “{md_text(art.title)}” and its passages? This cannot be undone.", gr.update(visible=True)

    def delete(self, article_id: str, query: str):
        """Delete one stored article by its exact id (the row the user selected and confirmed)."""
        self._writable()
        if not isinstance(article_id, str) or not re.fullmatch(r"[0-9a-f]{16}", article_id or ""):
            raise gr.Error("article_id must be a stored article's 16-character id")
        art = self.corpus.catalog.article(article_id)
        cleared = ("", "", gr.update(interactive=False), gr.update(visible=False))  # selection, its line, Delete, confirmation
        if art is None:
            return "⚠ that article is no longer stored", self.library_rows(query), self.stats_md(), *cleared
        self.corpus.delete([art.id])
        return f"deleted “{md_text(art.title)}”", self.library_rows(query), self.stats_md(), *cleared

    # -- Evaluate ----------------------------------------------------------------------------
    def gold_choices(self) -> list[str]:
        """The shipped gold files, the seed questions first (the quickest run)."""
        return sorted((p.name for p in EVAL_DIR.glob("*.jsonl")), key=lambda n: (n != "seed.jsonl", n))

    def run_eval(self, shipped, uploaded, progress=gr.Progress()):
        """Run an evaluation on a shipped or uploaded gold file; metrics, plots, per-question rows."""
        if uploaded:
            path = Path(getattr(uploaded, "path", None) or getattr(uploaded, "name", None) or str(uploaded))
            if str(path) not in self.uploaded:
                return [["error", "not an uploaded file; upload the gold file through the app", ""]], None, None, []
        elif shipped in self.gold_choices():
            path = EVAL_DIR / shipped
        else:
            return [["error", "choose a shipped gold file or upload one", ""]], None, None, []
        try:
            result = evaluate(self.corpus, path, progress=lambda i, n: progress((i, n), desc="evaluating"))
        except RagError as exc:
            return [["error", str(exc), ""]], None, None, []
        folder = Path(tempfile.mkdtemp(prefix="rag-eval-"))  # per request: users never share a report
        write_report(result, folder)
        metrics = [[k, fmt(result["metrics"].get(k)), METRIC_HELP[k]] for k in METRIC_KEYS]
        marks = {True: "✓ right", False: "✗ wrong", None: "–"}
        per_q = [[r["id"], marks[question_right(r)], r["question"], "refused" if r.get("refused") else "answered",
                  r.get("answer", "")[:300], fmt(r.get("citation_recall")), fmt(r.get("hits_at_4"))] for r in result["questions"]]
        return metrics, str(folder / "metrics_by_type.png"), str(folder / "latency.png"), per_q

    def api_eval(self, gold: str = "seed.jsonl", limit: int = 0) -> dict:
        """Run a shipped gold file (by name); returns metrics and per-type figures."""
        if not isinstance(gold, str) or gold not in self.gold_choices():
            raise gr.Error(f"unknown gold file {gold!r}; choose one of {', '.join(self.gold_choices())}")
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or int(limit) != limit or not 0 <= limit <= MAX_EVAL_QUESTIONS:
            raise gr.Error(f"limit must be a whole number from 0 (all questions) to {MAX_EVAL_QUESTIONS}, got {limit!r}")
        try:
            result = evaluate(self.corpus, EVAL_DIR / gold, limit=int(limit))
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return {"metrics": result["metrics"], "by_type": result["by_type"], "run": {k: result["run"][k] for k in ("git_commit", "answer_backend", "backend_mix", "prompt_hashes")}}


class _NoProgress:
    def tqdm(self, it, **_):
        return it

    def __call__(self, *a, **k):
        return None


def build(app: App) -> gr.Blocks:
    """The Blocks layout and its event wiring."""
    outlets = app.corpus.catalog.sources()
    with gr.Blocks(title="News RAG — cited answers", analytics_enabled=False) as demo:
        gr.Markdown("## News RAG — cited answers and briefings")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        with gr.Row(elem_id="filters-row", equal_height=True):
                            ask_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets (all when empty)", elem_id="ask-outlets", scale=2)
                            ask_since = date_field("Since", "ask-since")
                            ask_until = date_field("Until", "ask-until")
                        chips = gr.HTML("", elem_id="filter-chips")
                        # No LaTeX: a "$" in an article must stay a dollar sign. No copy button on messages:
                        # they hold the app's markup; "Copy or export" below gives clean Markdown.
                        # Sized so the question, Ask and the status line sit above the fold at 1280×800.
                        chat = gr.Chatbot(label="Chat", height=340, elem_id="chat", buttons=[], feedback_options=None,
                                          latex_delimiters=[], sanitize_html=True)
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(label="Question", placeholder="Which Iraqi army divisions are named?",
                                                  elem_id="question", lines=1, scale=5)
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn", scale=1, min_width=90)
                        with gr.Row(equal_height=True):
                            backend = gr.Markdown("Loading model…", elem_id="backend-line")
                            clear_btn = gr.Button("New conversation", elem_id="clear-btn", scale=0, min_width=170, size="sm")
                        with gr.Accordion("Copy or export the last answer", open=False, elem_id="export"):
                            answer_md = gr.Textbox(label="Answer as Markdown", lines=6, buttons=["copy"], interactive=False, elem_id="answer-md")
                            answer_file = gr.DownloadButton("Download answer (.md)", elem_id="answer-download", visible=False)
                    with gr.Column(scale=2):
                        gr.Markdown("**Sources** — click a citation marker to open its passage")
                        sources = gr.HTML(EMPTY_SOURCES, elem_id="sources-panel")
                inputs = [question, chat, ask_outlets, ask_since, ask_until]
                outputs = [chat, sources, backend, question, answer_md, answer_file]
                typed = typed_dates_js(len(inputs), {3: "ask-since", 4: "ask-until"})
                ask_btn.click(app.chat, inputs, outputs, api_name="chat", js=typed)
                question.submit(app.chat, inputs, outputs, api_name="ui_chat_submit", api_visibility="private", js=typed)
                for f in (ask_outlets, ask_since, ask_until):
                    f.change(filter_chips, [ask_outlets, ask_since, ask_until], [chips], api_name=False, show_progress="hidden")
                clear_btn.click(lambda: ([], EMPTY_SOURCES, "", [], "", "", "", "", gr.update(visible=False)), None,
                                [chat, sources, backend, ask_outlets, ask_since, ask_until, chips, answer_md, answer_file],
                                api_name="ui_clear", api_visibility="private", js=clear_typed_dates_js(["ask-since", "ask-until"]))
            with gr.Tab("Briefing", id="brief"):
                with gr.Row():
                    topic = gr.Textbox(label="Topic", placeholder="Iran-backed militias and Iraqi security forces", elem_id="brief-topic", scale=3)
                    max_articles = gr.Slider(1, 60, value=20, step=1, label="Max articles", scale=1)
                with gr.Row():
                    brief_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets", elem_id="brief-outlets")
                    brief_since = date_field("Since", "brief-since")
                    brief_until = date_field("Until", "brief-until")
                brief_btn = gr.Button("Generate briefing", variant="primary", elem_id="brief-btn")
                brief_md = gr.Markdown(elem_id="brief-out", latex_delimiters=[], buttons=["copy"])
                brief_file = gr.File(label="Download .md", elem_id="brief-download")
                brief_btn.click(app.brief, [topic, brief_outlets, brief_since, brief_until, max_articles], [brief_md, brief_file],
                                api_name="ui_brief", api_visibility="private",
                                js=typed_dates_js(5, {2: "brief-since", 3: "brief-until"}))
            with gr.Tab("Library", id="library"):
                stats = gr.Markdown(app.stats_md(), elem_id="library-stats")
                upload = gr.File(label="Upload articles (txt, md, html, pdf, json, jsonl)", file_count="multiple",
                                 file_types=[e.strip() for e in app.settings.upload_extensions.split(",")], elem_id="upload",
                                 visible=not app.read_only)
                ingest_btn = gr.Button("Ingest uploaded files", variant="primary", elem_id="ingest-btn", visible=not app.read_only)
                with gr.Row(visible=not app.read_only):
                    addresses = gr.Textbox(label="Add by web address (one per line)", placeholder="https://…", lines=2,
                                           elem_id="addresses", scale=4)
                    as_feeds = gr.Checkbox(label="these are RSS/Atom feeds", elem_id="as-feeds", scale=1)
                    fetch_btn = gr.Button("Fetch and ingest", elem_id="fetch-btn", scale=1)
                results = gr.Dataframe(headers=["file", "result", "detail"], label="Ingest results", elem_id="ingest-results",
                                       interactive=False, wrap=True)
                with gr.Row():
                    search = gr.Textbox(label="Search articles (title, outlet or id)", elem_id="library-search", scale=3)
                    selected = gr.State("")
                    del_btn = gr.Button("Delete selected article", variant="stop", elem_id="delete-btn", scale=1,
                                        interactive=False, visible=not app.read_only)
                sel_msg = gr.Markdown(elem_id="selected-article")
                del_msg = gr.Markdown(elem_id="delete-msg")
                with gr.Row(visible=False) as confirm_row:
                    confirm_btn = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete-btn")
                    cancel_btn = gr.Button("Cancel", elem_id="cancel-delete-btn")
                headers = ["title", "outlet", "date", "chunks", "id"] + ([] if app.read_only else ["delete"])
                widths = ["50%", "18%", "12%", "7%", "13%"] if app.read_only else ["43%", "16%", "11%", "6%", "13%", "11%"]
                table = gr.Dataframe(app.library_rows(), headers=headers, elem_id="articles-table", wrap=True, max_height=360,
                                     label="Articles (click a row to select it, or its Delete cell to remove it)",
                                     interactive=False, column_widths=widths)  # every column fits 1280 px
                ingest_btn.click(app.ingest_files, [upload], [results, table, stats, ask_outlets, brief_outlets],
                                 api_name="ui_ingest", api_visibility="private")
                fetch_btn.click(app.ingest_addresses, [addresses, as_feeds], [results, table, stats, ask_outlets, brief_outlets],
                                api_name="ui_ingest_addresses", api_visibility="private")
                search.change(app.library_rows, [search], [table], api_name="ui_articles", api_visibility="private")
                table.select(app.select_article, None, [selected, sel_msg, del_btn, del_msg, confirm_row], api_name="ui_select", api_visibility="private")
                del_btn.click(app.ask_delete, [selected], [del_msg, confirm_row], api_name="ui_ask_delete", api_visibility="private")
                confirm_btn.click(app.delete, [selected, search], [del_msg, table, stats, selected, sel_msg, del_btn, confirm_row],
                                  api_name="ui_delete", api_visibility="private")
                cancel_btn.click(lambda: ("", gr.update(visible=False)), None, [del_msg, confirm_row],
                                 api_name="ui_cancel_delete", api_visibility="private")
            with gr.Tab("Evaluate", id="eval"):
                with gr.Row():
                    gold = gr.Dropdown(app.gold_choices(), value=(app.gold_choices() or [None])[0], label="Shipped gold file", elem_id="gold-file")
                    gold_up = gr.File(label="…or upload a gold file (.jsonl / MultiHop .json)", file_types=[".jsonl", ".json"],
                                      elem_id="eval-upload", visible=not app.read_only)  # read-only takes no files
                eval_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-btn")
                metrics = gr.Dataframe(headers=["metric", "value", "what it means"], label="Metrics", elem_id="eval-metrics",
                                       interactive=False, wrap=True, column_widths=["22%", "10%", "68%"])
                with gr.Row():
                    plot1 = gr.Image(label="Metrics by question type", type="filepath")
                    plot2 = gr.Image(label="Latency", type="filepath")
                per_q = gr.Dataframe(headers=["id", "result", "question", "outcome", "answer", "citation recall", "hits@4"],
                                     label="Per question (✓ right: expected keywords in the answer, or an unanswerable question refused)",
                                     interactive=False, wrap=True, max_height=400, elem_id="eval-questions",
                                     column_widths=["5%", "9%", "28%", "9%", "33%", "8%", "8%"])
                eval_btn.click(app.run_eval, [gold, gold_up], [metrics, plot1, plot2, per_q], api_name="ui_eval", api_visibility="private",
                               show_progress_on=[metrics])  # one progress bar, not one per output
        demo.load(app.page_load, None, [backend, ask_outlets, brief_outlets, stats, table], api_name=False)
        gr.api(app.api_ask, api_name="ask")
        gr.api(app.api_brief, api_name="brief")
        gr.api(app.api_ingest, api_name="ingest")
        gr.api(app.api_ingest_addresses, api_name="ingest_addresses")
        gr.api(app.api_eval, api_name="eval")
        gr.api(app.api_articles, api_name="articles")
    return demo


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:pass' -> (user, pass); None when unset."""
    if not value:
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / RAG_UI_AUTH must look like user:password")
    return user, password


def resolve_auth(settings: Settings, auth: str | None = None, auth_file: Path | None = None) -> tuple[str, str] | None:
    """The login from --auth, --auth-file, RAG_UI_AUTH or RAG_UI_AUTH_FILE (a file holding user:password)."""
    if auth or settings.ui_auth:
        return parse_auth(auth or settings.ui_auth)
    path = auth_file or settings.ui_auth_file
    if path:
        try:
            return parse_auth(Path(path).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise RagError(f"--auth-file {path}: cannot read it ({exc.strerror}); give a file holding user:password") from None
    return None


def launch(settings: Settings | None = None, host: str | None = None, port: int | None = None, auth: str | None = None,
           block: bool = True, corpus: Corpus | None = None, auth_file: Path | None = None, read_only: bool | None = None,
           loading: LoadingPage | None = None):
    """Start the app on host:port (127.0.0.1:7860 by default); returns (demo, url) when not blocking.

    `loading`, a starting page already serving on that port, hands the port over just before the app binds it.
    """
    settings = settings or Settings()
    if read_only is not None:
        settings = settings.model_copy(update={"ui_read_only": read_only})
    if not settings.ingest_threads:
        # Uploads are embedded on one core, so the questions asked meanwhile keep the others.
        settings = settings.model_copy(update={"ingest_threads": 1})
    host = host or settings.ui_host
    login = resolve_auth(settings, auth, auth_file)
    if not is_loopback(host) and login is None and not settings.ui_read_only:
        raise RagError(f"--host {host} is reachable from other machines: add --auth user:password (or --auth-file), "
                       "or --read-only, or bind 127.0.0.1")
    app = App(settings, corpus, host)
    app.start_warm()
    demo = build(app)
    app.uploaded = demo.upload_file_set
    demo.queue(default_concurrency_limit=8)
    # No allowed_paths: nothing under the data dir (uploads, catalogue, Chroma) is ever served.
    # The guard sees every call before Gradio copies any file it names (ui/guard.py).
    guard = Middleware(UploadGuard, uploaded=demo.upload_file_set, read_only=settings.ui_read_only)
    if loading is not None:
        loading.stop()
    _, url, _ = demo.launch(server_name=host, server_port=port or settings.ui_port, share=False,
                            auth=login, prevent_thread_lock=not block, quiet=not block, show_error=True,
                            max_file_size=settings.max_file_bytes, css=CSS, head=HEAD, footer_links=["api"],
                            app_kwargs={"middleware": [guard]})
    return demo, url

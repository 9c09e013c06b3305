"""Gradio app: Ask (cited chat), Briefing, Library (upload/ingest/delete) and Evaluate tabs.

Every action is also an API endpoint (`api_name`), so `gradio_client` can call ask, brief,
ingest, delete, stats and eval. Launch with `rag ui` (127.0.0.1:7860 by default; never a share
link). Errors reach the user as one readable line, never a traceback.

Safety: uploads are limited in size and extension, their names are sanitised, and they are
copied into `<data dir>/uploads/` before ingest; no UI or API input names a path that is read
or written outside the data dir (gold files are chosen from the shipped list or uploaded).
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import threading
from pathlib import Path

from rag.settings import Settings, apply_offline_env

apply_offline_env()

import gradio as gr  # noqa: E402
from gradio.data_classes import FileData  # noqa: E402

from rag.answer import Answer, stream_answer  # noqa: E402
from rag.brief import brief as make_brief  # noqa: E402
from rag.corpus import Corpus  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.evaluate import METRIC_KEYS, evaluate, fmt, write_report  # noqa: E402
from rag.ingest import ingest  # noqa: E402

log = logging.getLogger("rag.ui")
ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "eval"

CSS = """
#sources-panel { max-height: 640px; overflow-y: auto; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.src-card.active { border-color: #e0a800; box-shadow: 0 0 0 2px #ffe08a; }
.src-head { font-size: 0.92em; }
.src-quote { font-size: 0.88em; color: var(--body-text-color-subdued); margin-top: 4px; }
.src-context { display: none; margin-top: 6px; font-size: 0.92em; line-height: 1.45; max-height: 260px; overflow-y: auto; }
.src-card.active .src-context { display: block; }
.src-card.active .src-quote { display: none; }
.src-context mark { background: #ffe08a; padding: 0 1px; }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; margin-left: 4px; white-space: nowrap; }
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
  const a = e.target.closest && e.target.closest('a[href^="#cite-"], a[href^="#src-"]');
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
</script>
"""


def safe_name(name: str) -> str:
    """A file name reduced to letters, digits, dot, dash and underscore (no path parts)."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[^\w.-]+", "_", base, flags=re.ASCII).strip("._") or "upload"
    return base[:120]


def context_html(text: str, start: int, end: int, width: int = 700) -> str:
    """The paragraph around text[start:end] with that span in <mark>, HTML-escaped."""
    p0 = text.rfind("\n\n", 0, start)
    p0 = 0 if p0 < 0 else p0 + 2
    p1 = text.find("\n\n", end)
    p1 = len(text) if p1 < 0 else p1
    p0 = max(p0, start - width)
    p1 = min(p1, end + width)
    before, span, after = text[p0:start], text[start:end], text[end:p1]
    return ("…" if p0 > 0 else "") + html.escape(before) + f"<mark>{html.escape(span)}</mark>" + html.escape(after) + ("…" if p1 < len(text) else "")


def render_answer(a: Answer) -> str:
    """Chat markdown: each sentence with citation links and a support badge."""
    if a.refused:
        msg = f"**Refused:** {a.answer}"
        return msg + (f"\n\n_{a.notice}_" if a.notice else "")
    parts = []
    for s in a.sentences:
        marks = "".join(f"[[{n}]](#cite-{n})" for n in s["citations"])
        parts.append(f"{s['text']} {marks} <span class=\"badge {s['verdict']}\">{s['verdict']}</span>")
    return " ".join(parts)


def render_sources(a: Answer, corpus: Corpus) -> str:
    """Sources panel HTML: one card per citation, the cited span highlighted in its paragraph."""
    if not a.citations:
        return "<div class='src-empty'>No sources cited.</div>"
    cards = []
    for c in a.citations:
        art = corpus.catalog.article(c["article_id"])
        meta = " · ".join(html.escape(x) for x in (c["source"], c["published_at"]) if x)
        link = f" · <a href='{html.escape(c['url'])}' target='_blank' rel='noopener'>link</a>" if c["url"] else ""
        quote = html.escape(" ".join(c["quote"].split()))
        ctx = context_html(art.text, c["start"], c["end"]) if art else html.escape(c["quote"])
        cards.append(f"<div class='src-card' id='cite-{c['n']}' data-testid='source-{c['n']}'>"
                     f"<div class='src-head'><b>[{c['n']}] {html.escape(c['title'])}</b>"
                     f"{' · ' + meta if meta else ''}{link}<span class='badge {c['support']}'>{c['support']}</span></div>"
                     f"<div class='src-quote'>“{quote[:220]}{'…' if len(quote) > 220 else ''}”</div>"
                     f"<div class='src-context'>{ctx}</div></div>")
    return "<div class='src-list'>" + "".join(cards) + "</div>"


def backend_line(a: Answer) -> str:
    """Which backend answered, the latency, and any fallback notice."""
    who = "offline extractive answerer" if a.backend == "offline-extractive" else a.backend.replace("llm:", "LLM ")
    line = f"Answered by **{who}** in {a.latency_ms:.0f} ms"
    if a.notice and not a.refused:
        line += f" — ⚠ {a.notice}"
    return line


class App:
    """Holds the opened corpus and the handlers behind the UI and API."""

    def __init__(self, settings: Settings | None = None, corpus: Corpus | None = None):
        self.settings = settings or Settings()
        self.corpus = corpus or Corpus(self.settings)
        self.uploads = Path(self.settings.data_dir) / "uploads"
        self._ingest_lock = threading.Lock()

    # -- Ask ---------------------------------------------------------------------------------
    def chat(self, question, history, outlets, since, until):
        """Chat handler: streams the answer, then shows sources and the backend line."""
        history = list(history or [])
        question = (question or "").strip()
        if not question:
            yield history, gr.skip(), gr.skip(), ""
            return
        prior = list(history)
        history = history + [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        yield history, gr.skip(), "Searching…", ""
        try:
            partial = ""
            result = None
            for item in stream_answer(self.corpus, question, prior, sources=outlets or None,
                                      since=(since or "").strip() or None, until=(until or "").strip() or None):
                if isinstance(item, Answer):
                    result = item
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, gr.skip(), "Generating…", ""
            history[-1] = {"role": "assistant", "content": render_answer(result)}
            yield history, render_sources(result, self.corpus), backend_line(result), ""
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, gr.skip(), "", ""
        except Exception as exc:  # the user gets a line, the log gets the traceback
            log.exception("ask failed")
            history[-1] = {"role": "assistant", "content": f"⚠ Something went wrong ({type(exc).__name__}: {exc})"}
            yield history, gr.skip(), "", ""

    def api_ask(self, question: str, outlets: list[str] | None = None, since: str = "", until: str = "") -> dict:
        """Answer a question; returns the answer JSON (see README)."""
        from rag.answer import Answerer

        try:
            return Answerer(self.corpus).ask(question, sources=outlets or None, since=since or None, until=until or None).as_dict()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    # -- Briefing ----------------------------------------------------------------------------
    def brief(self, topic, outlets, since, until, max_articles):
        """Briefing handler: markdown and a downloadable .md file."""
        try:
            b = make_brief(self.corpus, (topic or "").strip() or None, outlets or None, (since or "").strip() or None,
                           (until or "").strip() or None, None, int(max_articles or 20))
        except RagError as exc:
            return f"⚠ {exc}", None
        out = self.uploads.parent / "briefings"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"briefing-{safe_name(b.topic)[:40] or 'all'}.md"
        path.write_text(b.markdown(), encoding="utf-8")
        return b.markdown(), str(path)

    def api_brief(self, topic: str = "", outlets: list[str] | None = None, since: str = "", until: str = "", max_articles: int = 20) -> dict:
        """Build a briefing; returns its JSON (with the Markdown under "markdown")."""
        try:
            b = make_brief(self.corpus, topic or None, outlets or None, since or None, until or None, None, int(max_articles))
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return b.as_dict() | {"markdown": b.markdown(link_sources=False)}

    # -- Library -----------------------------------------------------------------------------
    def ingest_files(self, files, progress=gr.Progress()):
        """Copy uploads (sanitised, size/extension-checked) into the data dir and ingest each."""
        rows = []
        allowed = {e.strip().lower() for e in self.settings.upload_extensions.split(",") if e.strip()}
        files = files or []
        if isinstance(files, (str, Path)) or hasattr(files, "name") and not isinstance(files, list):
            files = [files]
        self.uploads.mkdir(parents=True, exist_ok=True)
        upload_root = Path(gr.utils.get_upload_folder()).resolve()
        for i, f in enumerate(progress.tqdm(files, desc="ingesting") if files else []):
            if isinstance(f, dict):  # FileData as JSON (API calls)
                src, original = Path(f.get("path") or ""), f.get("orig_name") or Path(f.get("path") or "").name
            else:
                src = Path(getattr(f, "path", None) or getattr(f, "name", None) or str(f))
                original = getattr(f, "orig_name", None) or src.name
            # Only files Gradio itself received may be read: an API caller cannot name /etc/passwd.
            if upload_root not in src.resolve().parents:
                rows.append([safe_name(original), "error", "not an uploaded file; upload it through the app or API"])
                continue
            name = safe_name(original)
            ext = Path(name).suffix.lower()
            if ext not in allowed:
                rows.append([name, "error", f"extension {ext or '(none)'} not allowed; use {', '.join(sorted(allowed))}"])
                continue
            try:
                size = src.stat().st_size
            except OSError:
                rows.append([name, "error", "upload not found; try again"])
                continue
            if size > self.settings.max_file_bytes:
                rows.append([name, "error", f"{size / 1e6:.1f} MB is over the {self.settings.max_file_mb:.0f} MB limit"])
                continue
            dest = self.uploads / name
            if dest.exists() and dest.read_bytes() != src.read_bytes():
                dest = self.uploads / f"{Path(name).stem}-{i}{ext}"
            shutil.copyfile(src, dest)
            try:
                with self._ingest_lock:
                    report = ingest(self.corpus, [str(dest)])
            except RagError as exc:
                rows.append([name, "error", str(exc)])
                continue
            if report.added or report.replaced:
                n = sum(a.get("chunks", 0) for a in report.added + report.replaced)
                rows.append([name, "ingested", f"{len(report.added) + len(report.replaced)} article(s), {n} chunks"])
            elif report.duplicates:
                d = report.duplicates[0]
                rows.append([name, "duplicate", f"near-duplicate of {d['duplicate_of']} (similarity {d['similarity']})"])
            elif report.unchanged:
                rows.append([name, "unchanged", "already stored; skipped"])
            if report.errors:
                rows.extend([name, "error", e.reason] for e in report.errors)
        return rows, self.articles_table(""), self.stats_md(), gr.update(choices=self.corpus.catalog.sources())

    def api_ingest(self, files: list[FileData]) -> list[list[str]]:
        """Ingest uploaded files; one row (file, result, detail) per file."""
        rows, *_ = self.ingest_files(files, progress=_NoProgress())
        return rows

    def api_articles(self, query: str = "") -> list[list]:
        """Stored articles (title, outlet, date, chunks, id), optionally filtered."""
        return self.articles_table(query)

    def articles_table(self, query: str = "") -> list[list]:
        """Rows (title, outlet, date, chunks, id), filtered by a case-insensitive search."""
        q = (query or "").lower().strip()
        rows = []
        for a in self.corpus.catalog.articles():
            if q and q not in f"{a.title} {a.source} {a.id}".lower():
                continue
            rows.append([a.title, a.source, a.published_at, a.n_chunks, a.id])
        return rows

    def stats_md(self) -> str:
        s = self.corpus.catalog.stats()
        span = f"{s['date_from']} … {s['date_to']}" if s["date_from"] else "no dates"
        return (f"**{s['articles']}** articles · **{s['chunks']}** chunks · **{len(s['sources'])}** outlets · {span} · "
                f"model {s['embedding_model'] or '—'}")

    def delete(self, article_id: str, query: str):
        """Delete one stored article by id (or unique prefix)."""
        ref = (article_id or "").strip()
        found = self.corpus.catalog.find(ref) if ref else []
        if len(found) != 1:
            msg = "no article matches that id" if not found else "several articles match; paste the full id"
            return f"⚠ {msg}", self.articles_table(query), self.stats_md()
        with self._ingest_lock:
            self.corpus.delete([found[0].id])
            self.corpus.bm25
        return f"deleted “{found[0].title}”", self.articles_table(query), self.stats_md()

    # -- Evaluate ----------------------------------------------------------------------------
    def gold_choices(self) -> list[str]:
        return sorted(p.name for p in EVAL_DIR.glob("*.jsonl"))

    def run_eval(self, shipped, uploaded, progress=gr.Progress()):
        """Run an evaluation on a shipped or uploaded gold file; metrics, plots, per-question rows."""
        if uploaded:
            path = Path(getattr(uploaded, "path", None) or getattr(uploaded, "name", None) or str(uploaded))
        elif shipped in self.gold_choices():
            path = EVAL_DIR / shipped
        else:
            return [["error", "choose a shipped gold file or upload one"]], None, None, []
        try:
            result = evaluate(self.corpus, path, progress=lambda i, n: progress((i, n), desc="evaluating"))
        except RagError as exc:
            return [["error", str(exc)]], None, None, []
        folder = Path(self.settings.data_dir) / "eval-report"
        write_report(result, folder)
        metrics = [[k, fmt(result["metrics"].get(k))] for k in METRIC_KEYS]
        per_q = [[r["id"], r["question"], "refused" if r.get("refused") else "answered", r.get("answer", "")[:300],
                  fmt(r.get("citation_recall")), fmt(r.get("hits_at_4"))] for r in result["questions"]]
        return metrics, str(folder / "metrics_by_type.png"), str(folder / "latency.png"), per_q

    def api_eval(self, gold: str = "seed.jsonl", limit: int = 0) -> dict:
        """Run a shipped gold file (by name); returns metrics and per-type figures."""
        if gold not in self.gold_choices():
            raise gr.Error(f"unknown gold file {gold!r}; choose one of {', '.join(self.gold_choices())}")
        result = evaluate(self.corpus, EVAL_DIR / gold, limit=int(limit))
        return {"metrics": result["metrics"], "by_type": result["by_type"], "run": {k: result["run"][k] for k in ("git_commit", "answer_backend", "prompt_hashes")}}


class _NoProgress:
    def tqdm(self, it, **_):
        return it

    def __call__(self, *a, **k):
        return None


def build(app: App) -> gr.Blocks:
    """The Blocks layout and its event wiring."""
    outlets = app.corpus.catalog.sources()
    with gr.Blocks(title="News RAG — cited answers") as demo:
        gr.Markdown("## News RAG — cited answers and briefings")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(label="Chat", height=430, elem_id="chat", buttons=["copy"], feedback_options=None)
                        question = gr.Textbox(label="Question", placeholder="Which Iraqi army divisions are named?", elem_id="question", lines=1)
                        with gr.Row():
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn")
                            clear_btn = gr.Button("New conversation", elem_id="clear-btn")
                        with gr.Accordion("Filters", open=False):
                            ask_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets", elem_id="ask-outlets")
                            with gr.Row():
                                ask_since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="ask-since")
                                ask_until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="ask-until")
                        backend = gr.Markdown("", elem_id="backend-line")
                    with gr.Column(scale=2):
                        gr.Markdown("**Sources** — click a citation marker to open its passage")
                        sources = gr.HTML("<div class='src-empty'>Ask a question to see cited passages.</div>", elem_id="sources-panel")
                inputs = [question, chat, ask_outlets, ask_since, ask_until]
                outputs = [chat, sources, backend, question]
                ask_btn.click(app.chat, inputs, outputs, api_name="chat")
                question.submit(app.chat, inputs, outputs, api_visibility="private")
                clear_btn.click(lambda: ([], "<div class='src-empty'>Ask a question to see cited passages.</div>", ""),
                                None, [chat, sources, backend], api_visibility="private")
            with gr.Tab("Briefing", id="brief"):
                with gr.Row():
                    topic = gr.Textbox(label="Topic", placeholder="Iran-backed militias and Iraqi security forces", elem_id="brief-topic", scale=3)
                    max_articles = gr.Slider(1, 60, value=20, step=1, label="Max articles", scale=1)
                with gr.Row():
                    brief_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets")
                    brief_since = gr.Textbox(label="Since (YYYY-MM-DD)")
                    brief_until = gr.Textbox(label="Until (YYYY-MM-DD)")
                brief_btn = gr.Button("Generate briefing", variant="primary", elem_id="brief-btn")
                brief_md = gr.Markdown(elem_id="brief-out")
                brief_file = gr.File(label="Download .md", elem_id="brief-download")
                brief_btn.click(app.brief, [topic, brief_outlets, brief_since, brief_until, max_articles], [brief_md, brief_file],
                                api_visibility="private")
            with gr.Tab("Library", id="library"):
                stats = gr.Markdown(app.stats_md(), elem_id="library-stats")
                upload = gr.File(label="Upload articles (txt, md, html, pdf, json, jsonl)", file_count="multiple",
                                 file_types=[e.strip() for e in app.settings.upload_extensions.split(",")], elem_id="upload")
                ingest_btn = gr.Button("Ingest uploaded files", variant="primary", elem_id="ingest-btn")
                results = gr.Dataframe(headers=["file", "result", "detail"], label="Ingest results", elem_id="ingest-results",
                                       interactive=False, wrap=True)
                with gr.Row():
                    search = gr.Textbox(label="Search articles", elem_id="library-search", scale=3)
                    del_id = gr.Textbox(label="Article id to delete", elem_id="delete-id", scale=2)
                    del_btn = gr.Button("Delete", variant="stop", elem_id="delete-btn", scale=1)
                del_msg = gr.Markdown()
                table = gr.Dataframe(app.articles_table(), headers=["title", "outlet", "date", "chunks", "id"], label="Articles",
                                     elem_id="articles-table", interactive=False, wrap=True, max_height=360)
                ingest_btn.click(app.ingest_files, [upload], [results, table, stats, ask_outlets], api_visibility="private")
                search.change(app.articles_table, [search], [table], api_visibility="private")
                del_btn.click(app.delete, [del_id, search], [del_msg, table, stats], api_visibility="private")
            with gr.Tab("Evaluate", id="eval"):
                with gr.Row():
                    gold = gr.Dropdown(app.gold_choices(), value=(app.gold_choices() or [None])[0], label="Shipped gold file", elem_id="gold-file")
                    gold_up = gr.File(label="…or upload a gold file (.jsonl / MultiHop .json)", file_types=[".jsonl", ".json"])
                eval_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-btn")
                metrics = gr.Dataframe(headers=["metric", "value"], label="Metrics", elem_id="eval-metrics", interactive=False)
                with gr.Row():
                    plot1 = gr.Image(label="Metrics by question type", type="filepath")
                    plot2 = gr.Image(label="Latency", type="filepath")
                per_q = gr.Dataframe(headers=["id", "question", "verdict", "answer", "citation recall", "hits@4"],
                                     label="Per question", interactive=False, wrap=True, max_height=400)
                eval_btn.click(app.run_eval, [gold, gold_up], [metrics, plot1, plot2, per_q], api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
        gr.api(app.api_brief, api_name="brief")
        gr.api(app.api_ingest, api_name="ingest")
        gr.api(app.api_eval, api_name="eval")
        gr.api(app.api_articles, api_name="articles")
    return demo


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:pass' -> (user, pass); None when unset."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / RAG_UI_AUTH must look like user:password")
    return user, password


def launch(settings: Settings | None = None, host: str | None = None, port: int | None = None, auth: str | None = None,
           block: bool = True, corpus: Corpus | None = None):
    """Start the app on host:port (127.0.0.1:7860 by default); returns (demo, url) when not blocking."""
    settings = settings or Settings()
    app = App(settings, corpus)
    demo = build(app)
    demo.queue(default_concurrency_limit=8)
    _, url, _ = demo.launch(server_name=host or settings.ui_host, server_port=port or settings.ui_port, share=False,
                            auth=parse_auth(auth or settings.ui_auth), prevent_thread_lock=not block, quiet=not block,
                            max_file_size=settings.max_file_bytes, css=CSS, head=HEAD, footer_links=["api"],
                            allowed_paths=[str(Path(settings.data_dir).resolve())])
    return demo, url

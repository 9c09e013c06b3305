"""The app's handlers: what each button and API endpoint does, on one opened corpus.

Every handler returns values for the page (or JSON for the API) and reports a bad input as one
readable line (`gr.Error`), never a traceback. Changing handlers refuse in read-only mode themselves,
so the rule holds for calls made straight to the API.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import threading
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData

from rag.answerer import Answer, stream_answer
from rag.briefing import brief as make_brief
from rag.contract import answer_markdown
from rag.corpus import Corpus
from rag.errors import IngestError, RagError
from rag.evaluate import METRIC_HELP, METRIC_KEYS, evaluate, fmt, question_right, shipped_gold_dir, write_report
from rag.filters import FilterError, Filters
from rag.ingest import at_low_priority, ingest
from rag.loaders import read_regular
from rag.safe import is_loopback, md_text
from rag.settings import Settings

from .render import (EMPTY_SOURCES, as_typed, backend_line, day_text, plain_filter_error, render_answer,
                     render_sources, safe_name)

log = logging.getLogger("rag.ui")
EVAL_DIR = shipped_gold_dir()
ID_COLUMN = 4  # Library rows: title, outlet, date, chunks, id, then the delete cell
DELETE_CELL = "Delete"
MAX_BRIEF_ARTICLES = 200
MAX_EVAL_QUESTIONS = 100_000


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
        from rag.answerer import Answerer

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
        """On every page load: wait for the warm-up, then the ready line, fresh outlet lists, stats and saved briefings."""
        self.ready.wait(300)
        outlets = self.corpus.catalog.sources()
        return ("Ready — ask a question.", gr.update(choices=outlets), gr.update(choices=outlets), self.stats_md(),
                self.library_rows(""), gr.update(choices=self.saved_briefings()))

    def _writable(self) -> None:
        """Raise (as a UI error) when the app is read-only; every changing handler calls it."""
        if self.read_only:
            raise gr.Error("this app is read-only: uploads, deletes and saving briefings are switched off (restart without --read-only)")

    def _filters(self, outlets, since, until) -> Filters:
        """Outlets and dates from the UI or API, parsed once; a bad one is a UI error naming it."""
        if outlets is None or outlets == "":
            outlets = []
        if isinstance(outlets, str):
            outlets = [outlets]
        if not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets):
            raise gr.Error("outlets must be a list of outlet names")
        for name, value in (("since", since), ("until", until)):
            if value is not None and not isinstance(value, str):
                raise gr.Error(f"{name} must be a date string YYYY-MM-DD, got {type(value).__name__}")
        since, until = day_text(since) or None, day_text(until) or None
        try:
            return Filters.parse(self.corpus.catalog.sources(), outlets, since, until, names=("outlet", "since", "until"))
        except FilterError as exc:
            raise gr.Error(plain_filter_error(exc)) from None

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
            filters = self._filters(outlets, since, until)
        except gr.Error as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {md_text(exc.message)}"}
            yield history, EMPTY_SOURCES, "", "", *idle
            return
        yield history, EMPTY_SOURCES, "Searching…", "", *idle
        try:
            partial = ""
            result = None
            for item in stream_answer(self.corpus, question, prior, filters=filters):
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
        from rag.answerer import Answerer

        if not isinstance(question, str) or not question.strip():
            raise gr.Error("question must be a non-empty string")
        if len(question) > 2000:
            raise gr.Error("question is over 2,000 characters; shorten it")
        filters = self._filters(outlets, since, until)
        try:
            return Answerer(self.corpus).ask(question, filters=filters).as_dict()
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
        filters = self._filters(outlets, since, until)
        try:
            return make_brief(self.corpus, (topic or "").strip() or None, max_articles=int(max_articles), filters=filters)
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

    def save_brief(self, topic, outlets, since, until, max_articles, name):
        """Build the briefing and keep it under `name` (for "What is new since" later): a status line and the saved names."""
        from rag import story

        try:
            self._writable()
            story.check_name((name or "").strip())
            b = self._make_brief(topic, outlets, since, until, max_articles)
            story.save(self.corpus, name.strip(), b, self._filters(outlets, since, until), int(max_articles))
        except (gr.Error, RagError) as exc:
            return f"⚠ {md_text(getattr(exc, 'message', str(exc)))}", gr.update()
        names = story.saved_names(self.corpus)
        return (f"Saved as “{md_text(name.strip())}”: choose it under Saved briefings later to see only what is new.",
                gr.update(choices=names, value=name.strip()))

    def since_last(self, name):
        """What is new since the briefing saved as `name`: Markdown and a downloadable .md file."""
        from rag import story

        if not name:
            return "⚠ choose a saved briefing first (save one with “Save briefing as”)", None
        try:
            diff = story.since_last(self.corpus, name)
        except RagError as exc:
            return f"⚠ {md_text(str(exc))}", None
        path = Path(tempfile.mkdtemp(prefix="rag-brief-")) / f"new-since-{safe_name(name)[:40]}.md"
        text = diff.markdown()
        path.write_text(text, encoding="utf-8")
        return text, str(path)

    def saved_briefings(self) -> list[str]:
        """The saved briefings' names, for the dropdown."""
        from rag import story

        return story.saved_names(self.corpus)

    def api_since_last(self, name: str = "") -> dict:
        """What is new since the briefing saved as `name`; returns its JSON (with the Markdown under "markdown")."""
        from rag import story

        if not isinstance(name, str) or not name.strip():
            raise gr.Error("name must be the name of a saved briefing (see the Briefing tab's Saved briefings)")
        try:
            diff = story.since_last(self.corpus, name.strip())
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return diff.as_dict() | {"markdown": diff.markdown()}

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

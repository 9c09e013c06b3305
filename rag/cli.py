"""The `rag` command line: ingest, search, stats, delete, ask, brief, eval, ui.

Settings are read once here (flags override RAG_* variables) and passed down. Every RagError
becomes one red line on stderr and exit code 1; no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .safe import safe_url, term_text
from .settings import Settings, apply_offline_env

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers and briefings over news articles.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


# Filters shared by search, ask and brief.
SourceOpt = Annotated[Optional[list[str]], typer.Option("--source", help="Only this outlet (repeatable).")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="Published on/after YYYY-MM-DD.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Published on/before YYYY-MM-DD.")]


@app.callback()
def main(ctx: typer.Context,
         data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Data folder (default .rag, or RAG_DATA_DIR).")):
    """Cited answers and briefings over news articles (offline by default)."""
    apply_offline_env()  # the command is an entry point: it may set its own process's environment
    kwargs = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = Settings(**kwargs)  # every command reads the settings from its context


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
    raise typer.Exit(1)


def _corpus(ctx: typer.Context, reembedding: bool = False):
    """The corpus of the settings in `ctx`."""
    from .corpus import Corpus

    return Corpus(ctx.obj, reembedding=reembedding)


def _filled_corpus(ctx: typer.Context, hint: str = "run `rag ingest corpus/` first"):
    """The corpus, or a clear error when nothing has been ingested yet."""
    from .errors import RagError

    corpus = _corpus(ctx)
    if corpus.catalog.stats()["articles"] == 0:
        raise RagError(f"nothing ingested in {ctx.obj.data_dir}; {hint}")
    return corpus


def _is_address(value: str) -> bool:
    return "://" in value[:12] or value.lower().startswith(("http:", "https:", "www."))


def _run_ingest(corpus, sources: list[str], feeds: list[str], prune: bool = False, keep_duplicates: bool = False,
                workers: int = 0, quiet: bool = False, max_items: int | None = None, page_lines: bool = True):
    """Ingest files/folders and web pages/feeds with a progress bar and a line per fetched page; returns the report."""
    from .web import ingest_web

    urls = [x for x in sources if _is_address(x)]
    paths = [x for x in sources if not _is_address(x)]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        def say(line: str) -> None:
            if page_lines:
                err.print(escape(line), highlight=False)

        return ingest_web(corpus, urls, feeds, paths, progress, max_items=max_items, say=say, prune=prune,
                          keep_duplicates=keep_duplicates, workers=workers)


def _print_report(report) -> None:
    for e in report.errors:
        err.print(f"[yellow]skipped[/yellow] {escape(str(e))}", highlight=False)
    for w in report.warnings:
        err.print(f"[yellow]warning[/yellow] {escape(w)}", highlight=False)
    for d in report.duplicates:
        verb = "kept" if d["kept"] else "skipped"
        err.print(f"[yellow]duplicate[/yellow] {escape(d['origin'])} ~ {d['duplicate_of']} (similarity {d['similarity']}), {verb}", highlight=False)
    out.print(f"added {len(report.added)}, replaced {len(report.replaced)}, unchanged {len(report.unchanged)}, "
              f"duplicates {len(report.duplicates)}, pruned {len(report.pruned)}, errors {len(report.errors)}; "
              f"{report.chunks_added} chunks embedded", highlight=False)


@app.command()
def ingest(ctx: typer.Context, sources: list[str] = typer.Argument(None, help="Files, folders, or http(s) addresses of article pages."),
           feed: list[str] = typer.Option([], "--feed", help="RSS/Atom feed address; its items are fetched as pages (repeatable)."),
           prune: bool = typer.Option(False, "--prune", help="Also remove stored articles whose files are gone."),
           keep_duplicates: bool = typer.Option(False, "--keep-duplicates", help="Store near-duplicate articles too."),
           workers: int = typer.Option(0, "--workers", help="Embed in this many processes (local model; pairs well with a Chroma server)."),
           max_items: int = typer.Option(None, "--max-items", min=1, help="Items read from each feed (default RAG_FEED_MAX_ITEMS, 50)."),
           reembed: bool = typer.Option(False, "--reembed", help="First embed every stored chunk again with the current "
                                        "embedding model (after changing RAG_EMBEDDING_RUNTIME or the model)."),
           as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")):
    """Ingest articles (.txt .md .html .pdf .json .jsonl, web pages, feeds); unchanged ones are skipped."""
    import time

    from .errors import RagError
    from .ingest import reembed as reembed_all

    if not sources and not feed and not reembed:
        _fail(RagError("nothing to ingest; give files, folders, page addresses or --feed FEED_URL"))
    try:
        corpus = _corpus(ctx, reembedding=reembed)
        if reembed:
            t0 = time.perf_counter()
            n = reembed_all(corpus)
            err.print(f"re-embedded {n} chunks with {corpus.model_name} in {time.perf_counter() - t0:.1f} s", highlight=False)
            if not sources and not feed:
                return
        report = _run_ingest(corpus, list(sources or []), list(feed), prune, keep_duplicates, workers, quiet=as_json,
                             max_items=max_items, page_lines=not as_json)
    except RagError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(2)


def _interval(text: str) -> float:
    """Seconds in "90s", "15m", "2h" (a bare number is minutes)."""
    import re

    from .errors import ConfigError

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(f"--every {text!r} is not an interval; write 15m, 1h or 90s")
    return float(m.group(1)) * {"s": 1, "m": 60, "": 60, "h": 3600}[m.group(2)]


@app.command()
def watch(ctx: typer.Context, feeds: list[str] = typer.Argument(..., help="RSS/Atom feed addresses to follow."),
          every: str = typer.Option("15m", "--every", help="How often to read the feeds (90s, 15m, 1h)."),
          once: bool = typer.Option(False, "--once", help="Read the feeds once and stop (for cron)."),
          max_items: int = typer.Option(None, "--max-items", min=1, help="Items read from each feed per run (default RAG_FEED_MAX_ITEMS, 50).")):
    """Keep the corpus current: read the feeds now and then every interval, adding new items (Ctrl-C stops)."""
    import time

    from .errors import RagError

    try:
        seconds = _interval(every)
        corpus = _corpus(ctx)
        while True:
            report = _run_ingest(corpus, [], list(feeds), quiet=True, max_items=max_items)
            err.print(time.strftime("%H:%M:%S "), end="")
            _print_report(report)
            if once:
                break
            time.sleep(seconds)
    except RagError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        err.print("stopped")


@app.command()
def search(ctx: typer.Context, query: str = typer.Argument(..., help="Question or keywords."),
           k: int = typer.Option(None, "-k", help="Number of passages (default RAG_TOP_K)."),
           source: SourceOpt = None,
           since: SinceOpt = None,
           until: UntilOpt = None,
           as_json: bool = typer.Option(False, "--json", help="Print stable JSON (see README).")):
    """Hybrid search (dense + BM25): the best passages with their exact spans."""
    from .errors import RagError
    from .retrieve import Retriever

    try:
        k = k or ctx.obj.top_k
        hits = Retriever(_corpus(ctx)).search(query, k, source or None, since, until)
    except RagError as exc:
        _fail(exc)
    if as_json:
        payload = {"query": query, "k": k, "filters": {"sources": source or [], "since": since, "until": until},
                   "hits": [{"rank": i, **{key: h.as_dict()[key] for key in
                             ("chunk_id", "article_id", "title", "source", "published_at", "url", "start", "end", "score", "text")}}
                            for i, h in enumerate(hits, 1)]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        out.print("no passages found (is anything ingested? try `rag stats`)")
    for i, h in enumerate(hits, 1):
        meta = term_text(" · ".join(x for x in (h.source, h.published_at) if x))
        out.print(f"[bold]\\[{i}][/bold] {term_text(h.title)}" + (f" [dim]({meta})[/dim]" if meta else "") + f" [dim]{h.article_id} {h.start}-{h.end} score {h.score:.4f}[/dim]", highlight=False)
        out.print("    " + term_text(" ".join(h.text.split())[:400]), highlight=False)


@app.command()
def stats(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")):
    """Articles, chunks, sources, date span and embedding model of the store."""
    from .errors import RagError

    try:
        s = _corpus(ctx).catalog.stats()
    except RagError as exc:
        _fail(exc)
    s["data_dir"] = str(ctx.obj.data_dir)
    s["chroma"] = ctx.obj.chroma_url or "embedded"
    if as_json:
        sys.stdout.write(json.dumps(s, ensure_ascii=False, indent=2) + "\n")
        return
    t = Table(show_header=False)
    t.add_row("articles", str(s["articles"]))
    t.add_row("chunks", str(s["chunks"]))
    t.add_row("sources", ", ".join(f"{k or '(none)'} ({v})" for k, v in list(s["sources"].items())[:12]) + (" …" if len(s["sources"]) > 12 else ""))
    t.add_row("dates", f"{s['date_from'] or '?'} … {s['date_to'] or '?'}")
    t.add_row("embedding model", f"{s['embedding_model'] or '(none yet)'} ({s['embedding_dim']} dims)")
    t.add_row("data dir", s["data_dir"])
    t.add_row("chroma", s["chroma"])
    out.print(t)


@app.command()
def delete(ctx: typer.Context, article: list[str] = typer.Argument(..., help="Article id, id prefix (6+ hex digits), exact title, url or file name."),
           all_matches: bool = typer.Option(False, "--all", help="Delete every article a reference matches, not only a unique one.")):
    """Delete articles from the store (vectors, catalogue and BM25); references match literally."""
    from .errors import RagError

    try:
        corpus = _corpus(ctx)
        ids = []
        for ref in article:
            found = corpus.catalog.find(ref)
            if not found:
                _fail(RagError(f"no stored article matches {ref!r}; see `rag stats` or `rag search`"))
            if len(found) > 1 and not all_matches:
                listing = "; ".join(f"{a.id} {a.title[:60]!r}" for a in found[:10]) + (" …" if len(found) > 10 else "")
                _fail(RagError(f"{ref!r} matches {len(found)} articles ({listing}); give one id, or add --all to delete them all"))
            ids.extend(a.id for a in found)
        n = corpus.delete(sorted(set(ids)))
    except RagError as exc:
        _fail(exc)
    out.print(f"deleted {n} article(s)")


def print_answer(result) -> None:
    """Human-readable answer: text, backend/notice line, numbered sources with quoted spans, leads on a refusal."""
    from .citations import VERDICT_LABELS
    out.print(term_text(result.answer), highlight=False)
    line = f"[dim]answered by {result.backend}" + (" (refused)" if result.refused else "") + "[/dim]"
    out.print(line)
    if result.notice:
        out.print(f"[yellow]notice:[/yellow] {term_text(result.notice)}", highlight=False)
    for c in result.citations:
        meta = term_text(", ".join(x for x in (c["source"], c["published_at"]) if x))
        label = VERDICT_LABELS.get(c["support"], c["support"])
        out.print(f"[bold]\\[{c['n']}][/bold] {term_text(c['title'])}" + (f" ({meta})" if meta else "") + f" [dim]{label}[/dim]", highlight=False)
        where = " [dim](the headline)[/dim]" if c.get("field") == "title" else ""
        out.print(f"    \u201c{term_text(' '.join(c['quote'].split()))}\u201d{where}", highlight=False)
        if safe_url(c["url"]):
            out.print(f"    {term_text(c['url'])}", highlight=False)
    if result.leads:
        out.print("closest passages, not an answer:")
        for i, lead in enumerate(result.leads, 1):
            meta = term_text(", ".join(x for x in (lead["source"], lead["published_at"]) if x))
            out.print(f"  {i}. {term_text(lead['title'])}" + (f" ({meta})" if meta else ""), highlight=False)
            out.print(f"    \u201c{term_text(' '.join(lead['quote'].split()))}\u201d", highlight=False)


def _print_piece(piece: str) -> None:
    # The unchecked draft goes to stderr: stdout carries only the checked answer.
    sys.stderr.write(piece)
    sys.stderr.flush()


@app.command()
def ask(ctx: typer.Context, question: str = typer.Argument(..., help="The question."),
        k: int = typer.Option(None, "-k", help="Passages to retrieve (default RAG_TOP_K)."),
        source: SourceOpt = None,
        since: SinceOpt = None,
        until: UntilOpt = None,
        stream: bool = typer.Option(False, "--stream", help="Show the LLM's draft as it arrives (stderr; with --json: JSON lines)."),
        offline: bool = typer.Option(False, "--offline", help="Use the offline answerer even if an LLM is set."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer JSON (see README).")):
    """Answer a question with numbered citations to exact passages (refuses when unsupported)."""
    from .answerer import Answerer
    from .errors import RagError

    try:
        answerer = Answerer(_filled_corpus(ctx))
        streaming = stream and not offline and ctx.obj.llm_enabled
        on_token = None
        if streaming and as_json:
            # JSON lines: {"type": "token", "text": ...} as the draft arrives, then {"type": "answer", ...}.
            def on_token(piece: str) -> None:
                sys.stdout.write(json.dumps({"type": "token", "text": piece}, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        elif streaming:
            err.print("[dim]LLM draft (its citations are checked before the answer is printed):[/dim]")
            on_token = _print_piece
        result = answerer.ask(question, k=k, sources=source or None, since=since, until=until,
                              on_token=on_token, use_llm=False if offline else None)
    except RagError as exc:
        _fail(exc)
    if streaming and as_json:
        sys.stdout.write(json.dumps({"type": "answer", **result.as_dict()}, ensure_ascii=False) + "\n")
    elif as_json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        if streaming:
            sys.stderr.write("\n")
            if result.backend != "offline-extractive" and not result.llm_raw and not result.notice:
                err.print("[dim]checked: the answer below is the draft as written[/dim]")
            else:
                err.print("[yellow]checked: the answer below differs from the draft[/yellow] (see the notice)")
        print_answer(result)


@app.command()
def brief(ctx: typer.Context, topic: Optional[str] = typer.Argument(None, help="Topic (omit for the filtered or whole corpus)."),
          source: SourceOpt = None,
          since: SinceOpt = None,
          until: UntilOpt = None,
          article: list[str] = typer.Option(None, "--article", help="Only these articles (id, title or file name; repeatable)."),
          max_articles: int = typer.Option(20, "--max-articles", help="At most this many articles."),
          out_file: Optional[Path] = typer.Option(None, "--out", help="Write the briefing to .md or .html."),
          offline: bool = typer.Option(False, "--offline", help="Use the offline summariser even if an LLM is set."),
          save: Optional[str] = typer.Option(None, "--save", help="Keep this briefing under NAME (for --since-last NAME later)."),
          since_last: Optional[str] = typer.Option(None, "--since-last", help="Only what is new since the briefing saved as NAME."),
          as_json: bool = typer.Option(False, "--json", help="Print the briefing as JSON.")):
    """A cited briefing: key points by theme, timeline, who's who, where sources differ, sources."""
    from . import story
    from .briefing import brief as make_brief
    from .errors import RagError
    from .filters import Filters

    if since_last and (article or source or since or until):
        _fail(RagError("--since-last NAME briefs the saved briefing's topic and filters; leave out --article/--source/--since/--until"))
    try:
        for name in (save, since_last):
            if name:
                story.check_name(name)  # before any work: a bad name is one line, nothing built
        corpus = _filled_corpus(ctx)
        if since_last:
            b = story.since_last(corpus, since_last, topic, use_llm=False if offline else None)
        else:
            filters = Filters.parse(corpus.catalog.sources(), source, since, until)
            b = make_brief(corpus, topic, article_ids=article or None, max_articles=max_articles,
                           use_llm=False if offline else None, filters=filters)
        if save:
            if since_last:
                raise RagError("--save keeps a whole briefing; run `rag brief TOPIC --save NAME` without --since-last")
            path = story.save(corpus, save, b, filters, max_articles)
            err.print(f"saved as {save!r} ({path}); later: rag brief --since-last {save}", highlight=False)
    except RagError as exc:
        _fail(exc)
    if out_file:
        if out_file.suffix.lower() not in (".md", ".html", ".htm"):
            _fail(RagError(f"{out_file}: --out must end in .md or .html"))
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(b.html() if out_file.suffix.lower() in (".html", ".htm") else b.markdown(), encoding="utf-8")
        err.print(f"wrote {out_file}")
    if as_json:
        sys.stdout.write(json.dumps(b.as_dict(), ensure_ascii=False, indent=2) + "\n")
    elif not out_file:
        sys.stdout.write(b.text())


@app.command()
def ui(ctx: typer.Context, host: str = typer.Option(None, "--host", help="Bind address (default 127.0.0.1)."),
       port: int = typer.Option(None, "--port", help="Port (default 7860)."),
       auth: str = typer.Option(None, "--auth", help="user:password required to open the app (or RAG_UI_AUTH)."),
       auth_file: Optional[Path] = typer.Option(None, "--auth-file", help="File holding user:password (or RAG_UI_AUTH_FILE)."),
       read_only: bool = typer.Option(False, "--read-only", help="No upload and no delete (or RAG_UI_READ_ONLY=1).")):
    """Launch the Gradio app (Ask, Briefing, Library, Evaluate); never a public share link.

    A non-loopback --host needs a login (--auth/--auth-file) or --read-only.
    """
    from ui.loading import try_loading_page

    from .errors import RagError
    from .safe import is_loopback

    s = ctx.obj
    bind = host or s.ui_host
    # The "starting…" page goes up first (the app takes seconds to import), but only where the app
    # itself may be served: loopback, or with a login or read-only.
    allowed = is_loopback(bind) or any((auth, auth_file, read_only, s.ui_auth, s.ui_auth_file, s.ui_read_only))
    loading = try_loading_page(bind, port or s.ui_port) if allowed else None
    try:
        from ui.app import launch

        launch(s, host, port, auth, block=True, auth_file=auth_file, read_only=read_only or None, loading=loading)
    except RagError as exc:
        _fail(exc)
    finally:
        if loading is not None:
            loading.stop()


llm_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The configured LLM endpoint.")
app.add_typer(llm_app, name="llm")


@llm_app.command("check")
def llm_check(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")):
    """Reachability, first-token and total latency, and citation habits on three seed questions."""
    from dataclasses import asdict

    from .errors import RagError
    from .llm_check import check

    try:
        report = check(_filled_corpus(ctx, "run `rag ingest corpus/` first"))
    except RagError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(asdict(report) | {"followed_format": report.followed_format}, ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"endpoint {term_text(report.endpoint)}, model {term_text(report.model)}: "
              + ("reachable" if report.reachable else "[red]not reachable[/red]"), highlight=False)
    t = Table(title=f"citation format followed on {report.followed_format} of {len(report.probes)} seed questions")
    for col in ("question", "first token s", "total s", "outcome"):
        t.add_column(col)
    for p in report.probes:
        t.add_row(term_text(p.question[:60]), "–" if p.first_token_s is None else f"{p.first_token_s:.1f}", f"{p.total_s:.1f}", p.outcome)
    out.print(t)
    for line in report.advice:
        out.print(f"advice: {term_text(line)}", highlight=False)


class _GoldByDefault(TyperGroup):
    """`rag eval GOLD …` runs the `gold` command (a word that is no command of the group is a gold file or
    a shipped set's name); `rag eval compare A.json B.json` compares two runs."""

    def parse_args(self, ctx, args):
        """`rag eval GOLD …` read as `rag eval gold GOLD …`."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["gold", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(cls=_GoldByDefault, add_completion=False, no_args_is_help=True,
                       help="Evaluate against gold citations (`rag eval GOLD`: a file, or kinds / conversations / seed), "
                            "or compare two runs (`rag eval compare A.json B.json`).")
app.add_typer(eval_app, name="eval")


@eval_app.command("compare")
def eval_compare(run_a: Path = typer.Argument(..., metavar="A.json", help="A run written by `rag eval GOLD --json`."),
                 run_b: Path = typer.Argument(..., metavar="B.json", help="The run to compare with it.")):
    """Two runs side by side: each metric in A and B and the change, and what answered each."""
    from .errors import RagError
    from .evaluate import CEILING_KEYS, compare, describe_mix, fmt

    runs = []
    for flag, path in (("A.json", run_a), ("B.json", run_b)):
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            _fail(RagError(f"{flag} {path}: cannot read the run ({exc}); give a file written by `rag eval GOLD --json`"))
    a, b = runs
    t = Table(title=f"A = {run_a}, B = {run_b}",
              caption="delta = B − A; green where B is better (higher, or lower for latencies and answerable_refused)")
    for col in ("metric", "A", "B", "delta"):
        t.add_column(col, justify="right")
    for key, x, y, d in compare(a, b):
        colour = "" if d is None or abs(d) < 1e-9 else ("green" if (d > 0) != (key in CEILING_KEYS) else "red")
        shown = "–" if d is None else (f"{d:+.0f} ms" if key.startswith("latency") else f"{d:+.3f}")
        t.add_row(key, fmt(x), fmt(y), f"[{colour}]{shown}[/{colour}]" if colour else shown)
    out.print(t)
    for name, run in (("A", a), ("B", b)):
        r = run["run"]
        out.print(f"{name}: commit {r['git_commit']}, {r['answer_backend']}, {r['embedding_model']}, prompts {r['prompt_hashes']}", highlight=False)
        mix = describe_mix(r)
        if mix:
            out.print(f"{name} answered by: {mix}", highlight=False)
        if (r.get("backend_mix") or {}).get("fallbacks"):
            err.print(f"[yellow]warning:[/yellow] run {name} has LLM fallbacks; its figures are partly the offline answerer's", highlight=False)


@eval_app.command("gold")
def eval_gold(ctx: typer.Context,
              gold: str = typer.Argument(..., help="Gold file (.json/.jsonl), or a shipped set: seed, kinds, conversations."),
              retrieval_only: bool = typer.Option(False, "--retrieval-only", help="Only retrieval metrics (no answers)."),
              k: int = typer.Option(10, "-k", help="Passages retrieved for retrieval metrics."),
              limit: int = typer.Option(0, "--limit", help="Only the first N questions."),
              json_out: Optional[Path] = typer.Option(None, "--json", help="Write the full run (metrics, per question) here."),
              report: Optional[Path] = typer.Option(None, "--report", help="Write report.md/.html and PNG plots here."),
              floors: Optional[Path] = typer.Option(None, "--floors", help="Fail (exit 3) if a metric is below these floors "
                                                    "({metric: floor}, or {\"all\" or a question type: {metric: floor}})."),
              offline: bool = typer.Option(False, "--offline", help="Use the offline answerer even if an LLM is set.")):
    """Evaluate answers and citations against gold citations (the default: `rag eval GOLD`)."""
    from .errors import RagError
    from .evaluate import check_floors, describe_mix, evaluate, floor_checks, floors_table, metrics_table, write_report

    try:
        corpus = _filled_corpus(ctx, "ingest the articles the gold file cites first")
        with Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("eval", total=None)
            result = evaluate(corpus, gold, k=k, limit=limit, retrieval_only=retrieval_only,
                              progress=lambda i, n: bar.update(task, completed=i, total=n), use_llm=False if offline else None)
    except RagError as exc:
        _fail(exc)
    out.print(metrics_table(result, f"{gold}: {result['metrics']['n']} questions, {result['run']['answer_backend']}"))
    mix = describe_mix(result["run"])
    if mix:
        out.print(f"answered by: {mix}", highlight=False)
    fallbacks = result["run"]["backend_mix"]["fallbacks"]
    if fallbacks:
        err.print(f"[yellow]warning:[/yellow] {sum(fallbacks.values())} of {result['metrics']['n']} answers fell back to the offline "
                  "answerer; these figures are not the LLM's alone", highlight=False)
    out.print(f"run took {result['run']['duration_s']} s · commit {result['run']['git_commit']}", highlight=False)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
        out.print(f"wrote {json_out}")
    if report:
        files = write_report(result, report)
        out.print(f"wrote {', '.join(str(f) for f in files)}")
    if floors:
        try:
            committed = json.loads(floors.read_text())
            out.print(floors_table(floor_checks(result, committed), f"floors in {floors}"))
            failed = check_floors(result, committed)
        except (OSError, ValueError) as exc:
            _fail(RagError(f"--floors {floors}: cannot read it ({exc}); give a JSON file of floors"))
        except RagError as exc:
            _fail(exc)
        for line in failed:
            err.print(f"[red]below floor:[/red] {line}", highlight=False)
        if failed:
            raise typer.Exit(3)
        out.print(f"all metrics meet the floors in {floors}")


def run() -> None:
    """Console entry point: any unexpected error is one line too (RAG_DEBUG=1 shows the traceback)."""
    import os

    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # typer.Exit/SystemExit are not Exceptions and pass through
        if os.environ.get("RAG_DEBUG"):
            raise
        err.print(f"[red]error:[/red] unexpected {type(exc).__name__}: {exc} (set RAG_DEBUG=1 for details)", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    run()

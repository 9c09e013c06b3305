"""Evaluation harness: run questions with gold citations through retrieval and the answerer.

Gold formats (see README "Gold format"):
* JSONL, one object per line: {"id", "question", "answerable", "gold_citations": [{"article", "quote"}],
  "answer"?, "answer_keywords"?: [[alt, alt], ...], "question_type"?}
* MultiHop-RAG's query JSON (an array with query / answer / question_type / evidence_list[{title, fact}]);
  null_query means unanswerable.

Each run records its settings, model, prompt hashes and git commit, so two runs can be compared
(`compare`) and tied to the code and prompts that produced them.
"""

from __future__ import annotations

import base64
import html
import json
import subprocess
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Callable

from . import metrics as M
from .answerer import Answerer
from .corpus import Corpus
from .errors import ConfigError, IngestError
from .loaders import read_regular
from .question import question_kind
from .prompts import prompt_hashes
from .retrieve import Retriever
from .safe import CSP_META, md_text
from .text import find_span

MAX_GOLD_BYTES = 64 * 2**20  # MultiHop-RAG's full query file is 2 MB
METRIC_KEYS = ["hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10", "citation_recall", "citation_precision",
               "answer_keyword_accuracy", "answer_contains_gold", "answer_upstream_lenient", "refusal_recall",
               "refusal_precision", "answerable_refused", "shown_supported", "supported_right", "both_sides_cited",
               "kind_right", "wrong_kind_supported", "follow_up_resolved", "support_rate", "latency_p50_ms", "latency_p95_ms"]
# Figures where lower is better: a floors file gives ceilings for these.
CEILING_KEYS = {"answerable_refused", "wrong_kind_supported", "latency_p50_ms", "latency_p95_ms"}


METRIC_HELP = {
    "hits_at_4": "share of questions with a gold passage among the first 4 retrieved",
    "hits_at_10": "share of questions with a gold passage among the first 10 retrieved",
    "mrr_at_10": "1 / rank of the first gold passage (0 past 10), averaged",
    "map_at_10": "how early all gold passages are retrieved (MultiHop-RAG MAP@10)",
    "citation_recall": "share of gold passages the answer cites",
    "citation_precision": "share of cited spans that are gold passages",
    "answer_keyword_accuracy": "share of answers holding every expected keyword",
    "answer_contains_gold": "share of answers containing the gold answer verbatim",
    "answer_upstream_lenient": "MultiHop-RAG's rule: answer and gold share a word",
    "refusal_recall": "share of unanswerable questions refused",
    "refusal_precision": "share of refusals that were unanswerable questions",
    "answerable_refused": "share of answerable questions refused (lower is better)",
    "shown_supported": "share of answered questions whose first sentence is badged supported",
    "supported_right": "share of those badged-supported answers containing the gold answer",
    "both_sides_cited": "share of answered questions citing two or more articles (comparisons need both sides)",
    "kind_right": "share of answers whose short answer is of the kind asked (person, organisation, date, place, money, count)",
    "wrong_kind_supported": "share of answers badged supported whose short answer is not of the kind asked (lower is better)",
    "follow_up_resolved": "share of follow-ups whose searched question holds the referent of the gold rewrite",
    "support_rate": "share of answer sentences shown as supported",
    "latency_p50_ms": "median answer time in milliseconds",
    "latency_p95_ms": "95th-percentile answer time in milliseconds",
}


def question_right(row: dict) -> bool | None:
    """Whether one evaluated question came out right: refused when unanswerable; otherwise the expected
    keywords (or the gold answer) in the answer. None when the gold file gives no way to tell."""
    if not row.get("answerable", True):
        return bool(row.get("refused"))
    for key in ("answer_keyword_accuracy", "answer_contains_gold"):
        if row.get(key) is not None:
            return not row.get("refused") and row[key] == 1.0
    return None


@dataclass
class GoldQuestion:
    """One evaluation question with its gold citations."""

    id: str
    question: str
    answerable: bool
    gold_citations: list[dict] = field(default_factory=list)
    answer: str | None = None
    answer_keywords: list[list[str]] = field(default_factory=list)
    question_type: str = ""
    answer_kind: str = ""  # person | organisation | date | place | money | count: the form the short answer must have
    history: list[dict] = field(default_factory=list)  # earlier turns [{"question", "answer"}]: this is a follow-up
    rewrite: str = ""  # the follow-up written as a standalone question (gold)

    def messages(self) -> list[dict]:
        """The earlier turns as chat messages (user question, assistant answer)."""
        return [m for t in self.history for m in ({"role": "user", "content": t["question"]},
                                                   {"role": "assistant", "content": t.get("answer", "")})]


def shipped_gold_dir() -> Path:
    """Folder of the gold files shipped with the package (the repository's eval/, as `rag.gold`)."""
    return Path(str(files("rag.gold")))


def find_gold(path: str | Path) -> Path:
    """A gold file by path, or by the name of a shipped one (`seed.jsonl`, `seed`)."""
    p = Path(path)
    if p.is_file():
        return p
    shipped = sorted(shipped_gold_dir().glob("*.jsonl"))
    for f in shipped:
        if str(path) in (f.name, f.stem):
            return f
    raise ConfigError(f"{p}: gold file not found; give a path or a shipped gold file ({', '.join(f.name for f in shipped)})")


def load_gold(path: str | Path) -> list[GoldQuestion]:
    """Read a JSONL gold file or a MultiHop-RAG query file (a path or a shipped file's name)."""
    p = find_gold(path)
    try:
        text = read_regular(p, MAX_GOLD_BYTES).decode("utf-8")
    except IngestError as exc:
        raise ConfigError(str(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text; save the gold file as UTF-8 JSONL") from None
    stripped = text.lstrip()
    out: list[GoldQuestion] = []
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}: malformed JSON at line {exc.lineno} ({exc.msg})") from None
        for i, q in enumerate(data):
            if "query" not in q:
                raise ConfigError(f"{p}: record {i} has no 'query'; expected MultiHop-RAG format")
            qt = q.get("question_type", "")
            out.append(GoldQuestion(id=str(i), question=q["query"], answerable=qt != "null_query",
                                    gold_citations=[{"article": e["title"], "quote": e["fact"]} for e in q.get("evidence_list", [])],
                                    answer=q.get("answer") if qt != "null_query" else None, question_type=qt))
        return out
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}:{n}: malformed JSON ({exc.msg})") from None
        if not isinstance(q, dict) or "question" not in q:
            raise ConfigError(f"{p}:{n}: each line needs an object with 'question'")
        out.append(GoldQuestion(id=str(q.get("id", n)), question=q["question"], answerable=bool(q.get("answerable", True)),
                                gold_citations=q.get("gold_citations", []), answer=q.get("answer"),
                                answer_keywords=q.get("answer_keywords", []), question_type=q.get("question_type", ""),
                                answer_kind=q.get("answer_kind", ""), history=_turns(p, n, q.get("history", [])),
                                rewrite=q.get("rewrite", "")))
    return out


def _turns(path: Path, line: int, history) -> list[dict]:
    """A gold line's earlier turns, checked: a list of {"question", "answer"?}."""
    if not isinstance(history, list) or not all(isinstance(t, dict) and isinstance(t.get("question"), str) for t in history):
        raise ConfigError(f"{path}:{line}: 'history' must be a list of {{\"question\": ..., \"answer\": ...}} turns")
    return history


def question_type(gq: GoldQuestion) -> str:
    """A gold question's type when the file gives none: what it asks for ("who", "when", "how much"...), or "unanswerable"."""
    if not gq.answerable:
        return "unanswerable"
    return {"count": "how many", "number": "how much", "money": "how much", "yesno": "yes/no"}.get(q := question_kind(gq.question), q)


def resolve_gold(corpus: Corpus, gq: GoldQuestion, cache: dict) -> list[tuple[str, int, int]]:
    """Gold citations as (article id, start, end) spans in stored articles."""
    spans = []
    for g in gq.gold_citations:
        ref = g["article"]
        if ref not in cache:
            found = corpus.catalog.find(ref)
            cache[ref] = found[0] if found else None
        art = cache[ref]
        if art is None:
            continue
        span = find_span(art.text, g["quote"])
        if span:
            spans.append((art.id, span[0], span[1]))
    return spans


def git_commit() -> str:
    """The current git commit (with -dirty), or "unknown"."""
    try:
        root = Path(__file__).resolve().parents[1]
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=5).stdout.strip()
        return (sha + ("-dirty" if dirty else "")) or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def evaluate(corpus: Corpus, gold_path: str | Path, k: int = 10, limit: int = 0, retrieval_only: bool = False,
             progress: Callable[[int, int], None] | None = None, use_llm: bool | None = None) -> dict:
    """Run every gold question; return {"run", "metrics", "by_type", "questions"}."""
    questions = load_gold(gold_path)
    if limit < 0:
        raise ConfigError(f"limit {limit} is negative; give 0 for all questions or the number to run")
    if limit:
        questions = questions[:limit]
    started = time.time()
    retriever = Retriever(corpus)
    answerer = Answerer(corpus)
    cache: dict = {}
    rows = []
    for i, gq in enumerate(questions, 1):
        gold = resolve_gold(corpus, gq, cache)
        facts = [g["quote"] for g in gq.gold_citations]
        row: dict = {"id": gq.id, "question": gq.question, "question_type": gq.question_type or question_type(gq),
                     "answerable": gq.answerable, "gold": gq.gold_citations, "gold_answer": gq.answer}
        if gq.answerable and facts:
            hits = retriever.search(gq.question, max(k, 10))
            texts = [h.text for h in hits]
            row.update(hits_at_4=M.hits_at(texts, facts, 4), hits_at_10=M.hits_at(texts, facts, 10),
                       mrr_at_10=M.mrr_at(texts, facts, 10), map_at_10=M.map_at(texts, facts, 10))
            row["retrieved"] = [{"article_id": h.article_id, "start": h.start, "end": h.end, "relevant": bool(M.relevant(h.text, facts))} for h in hits[:10]]
        if not retrieval_only:
            a = answerer.ask(gq.question, gq.messages() or None, use_llm=use_llm)
            # A cited headline's offsets are in the title: never compared with spans of the text.
            cited = [(c["article_id"], c["start"], c["end"]) for c in a.citations if c.get("field") != "title"]
            row.update(answer=a.answer, refused=a.refused, backend=a.backend, fallback=a.fallback, notice=a.notice, latency_ms=a.latency_ms,
                       **({"llm_raw": a.llm_raw} if a.llm_raw else {}),
                       citations=[{k2: c[k2] for k2 in ("n", "article_id", "title", "quote", "start", "end", "support")} for c in a.citations],
                       verdicts=[s["verdict"] for s in a.sentences if not a.refused], short_answer=a.short_answer,
                       searched=a.standalone_question or gq.question)
            if gq.answer_kind and not a.refused:
                right = M.of_kind(a.short_answer, gq.answer_kind)
                row.update(kind_right=float(right), wrong_kind_supported=float(not right and row["verdicts"][:1] == ["supported"]))
            if gq.rewrite:
                row["follow_up_resolved"] = M.resolved_follow_up(row["searched"], gq.question, gq.rewrite)
            if gq.answerable:
                row.update(citation_recall=M.citation_recall(gold, cited), citation_precision=M.citation_precision(gold, cited) if gold else None,
                           answer_keyword_accuracy=M.answer_keyword_accuracy(a.answer, gq.answer_keywords),
                           answer_contains_gold=M.answer_contains_gold(a.answer, gq.answer),
                           answer_upstream_lenient=M.answer_upstream_lenient(a.answer, gq.answer))
        rows.append(row)
        if progress:
            progress(i, len(questions))
    run = run_info(corpus, gold_path, k, limit, retrieval_only, started, use_llm) | {"backend_mix": backend_mix(rows)}
    return {"run": run, "metrics": aggregate(rows), "by_type": {t: aggregate([r for r in rows if r["question_type"] == t])
                                                              for t in sorted({r["question_type"] for r in rows})},
            "questions": rows}


def backend_mix(rows: list[dict]) -> dict:
    """Who answered: {"answers": {backend: n}, "fallbacks": {reason: n}}; fallbacks are LLM answers that were not."""
    answers: dict[str, int] = {}
    fallbacks: dict[str, int] = {}
    for r in rows:
        if "backend" in r:
            answers[r["backend"]] = answers.get(r["backend"], 0) + 1
        if r.get("fallback"):
            fallbacks[r["fallback"]] = fallbacks.get(r["fallback"], 0) + 1
    return {"answers": answers, "fallbacks": fallbacks}


def describe_mix(run: dict) -> str:
    """One line: "llm:m 15, offline-extractive 4; fallbacks: timeout 3, no_citations 1" ("" without answers)."""
    mix = run.get("backend_mix") or {}
    if not mix.get("answers"):
        return ""
    line = ", ".join(f"{b} {n}" for b, n in sorted(mix["answers"].items(), key=lambda kv: -kv[1]))
    if mix.get("fallbacks"):
        line += "; fallbacks: " + ", ".join(f"{r} {n}" for r, n in sorted(mix["fallbacks"].items(), key=lambda kv: -kv[1]))
    return line


def run_info(corpus: Corpus, gold_path, k, limit, retrieval_only, started, use_llm) -> dict:
    s = corpus.settings
    llm = s.llm_enabled if use_llm is None else use_llm
    settings = {k2: (str(v) if isinstance(v, Path) else v) for k2, v in s.model_dump().items()
                if "api_key" not in k2}  # secrets never go into a report
    return {"gold_file": str(gold_path), "k": k, "limit": limit, "retrieval_only": retrieval_only,
            "embedding_model": corpus.model_name, "answer_backend": f"llm:{s.llm_model}" if llm else "offline-extractive",
            "prompt_hashes": prompt_hashes(), "git_commit": git_commit(), "settings": settings,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)), "duration_s": round(time.time() - started, 1),
            "corpus": corpus.catalog.stats() | {"sources": len(corpus.catalog.stats()["sources"])}}


def aggregate(rows: list[dict]) -> dict:
    """Means of the per-question metrics plus refusal, support and latency figures."""
    out: dict = {"n": len(rows), "n_answerable": sum(1 for r in rows if r["answerable"])}
    for key in ("hits_at_4", "hits_at_10", "mrr_at_10", "map_at_10", "citation_recall", "citation_precision",
                "answer_keyword_accuracy", "answer_contains_gold", "answer_upstream_lenient"):
        out[key] = M.mean(r.get(key) for r in rows)
    answered = [r for r in rows if "refused" in r]
    out["refusal_recall"] = M.refusal_recall([r["answerable"] for r in answered], [r["refused"] for r in answered])
    out["refusal_precision"] = M.refusal_precision([r["answerable"] for r in answered], [r["refused"] for r in answered])
    out["answerable_refused"] = M.mean(float(r["refused"]) for r in answered if r["answerable"])
    shown = [r for r in answered if r["answerable"] and not r["refused"]]
    supported = [r for r in shown if r.get("verdicts") and r["verdicts"][0] == "supported"]
    out["shown_supported"] = len(supported) / len(shown) if shown else None
    out["supported_right"] = M.mean(r.get("answer_contains_gold") for r in supported)
    out["both_sides_cited"] = M.mean(float(len({c["article_id"] for c in r["citations"]}) >= 2) for r in shown)
    for key in ("kind_right", "wrong_kind_supported", "follow_up_resolved"):
        out[key] = M.mean(r.get(key) for r in rows)
    out["support_rate"] = M.support_rate(v for r in answered for v in r.get("verdicts", []))
    lat = [r["latency_ms"] for r in answered]
    out["latency_p50_ms"] = M.percentile(lat, 50)
    out["latency_p95_ms"] = M.percentile(lat, 95)
    return out


def scoped_floors(floors: dict) -> dict:
    """A floors file as {scope: {metric: floor}} (a flat {metric: floor} is the scope "all")."""
    return floors if all(isinstance(v, dict) for v in floors.values()) else {"all": floors}


def floor_checks(result: dict, floors: dict) -> list[dict]:
    """Each committed floor against the run: {metric, scope, value, floor, ok, margin}.

    `floors` is either {metric: floor} for the whole run, or {scope: {metric: floor}} where a scope is
    "all" or a question type ("comparison_query"). CEILING_KEYS are ceilings; a margin is how far the
    value is on the good side of its floor (negative: failed by that much).
    """
    checks = []
    for scope, metrics in scoped_floors(floors).items():
        if scope != "all" and scope not in result["by_type"]:
            raise ConfigError(f"floors name the question type {scope!r}, which this gold file does not have "
                              f"({', '.join(result['by_type']) or 'none'}); fix the floors file")
        figures = result["metrics"] if scope == "all" else result["by_type"][scope]
        for metric, floor in metrics.items():
            value = figures.get(metric)
            ceiling = metric in CEILING_KEYS
            margin = None if value is None else (floor - value if ceiling else value - floor)
            checks.append({"metric": metric, "scope": scope, "value": value, "floor": floor,
                           "ceiling": ceiling, "ok": margin is not None and margin >= 0, "margin": margin})
    return checks


def check_floors(result: dict, floors: dict) -> list[str]:
    """Floors the run fails, one readable line each naming the metric, the scope and by how much."""
    lines = []
    for c in floor_checks(result, floors):
        if c["ok"]:
            continue
        where = "" if c["scope"] == "all" else f" on {c['scope']}"
        if c["value"] is None:
            lines.append(f"{c['metric']}{where} was not measured (floor {c['floor']})")
        elif c["ceiling"]:
            lines.append(f"{c['metric']}{where} {fmt(c['value'])} is above the ceiling {c['floor']} by {fmt(-c['margin'])}")
        else:
            lines.append(f"{c['metric']}{where} {c['value']:.3f} is below the floor {c['floor']} by {-c['margin']:.3f}")
    return lines


def floors_table(checks: list[dict], title: str):
    """A Rich table: every floor with the run's value, the margin and pass/fail."""
    from rich.table import Table

    t = Table(title=title)
    for col in ("metric", "scope", "value", "floor", "margin", ""):
        t.add_column(col, justify="left" if col in ("metric", "scope") else "right")
    for c in checks:
        margin = "–" if c["margin"] is None else f"{c['margin']:+.3f}"
        t.add_row(c["metric"], c["scope"], fmt(c["value"]), ("≤ " if c["ceiling"] else "≥ ") + str(c["floor"]), margin,
                  "[green]pass[/green]" if c["ok"] else "[red]FAIL[/red]")
    return t


def metrics_table(result: dict, title: str, per_table: int = 5):
    """Rich tables of every measured metric, overall and per question type (at most `per_table` types
    a table, so a narrow terminal keeps the figures whole)."""
    from rich.console import Group
    from rich.table import Table

    types = list(result["by_type"])
    keys = [k for k in METRIC_KEYS if result["metrics"].get(k) is not None
            or any(result["by_type"][ty].get(k) is not None for ty in types)]
    tables = []
    for i in range(0, max(1, len(types)), per_table):
        chunk = types[i:i + per_table]
        t = Table(title=title if i == 0 else None)
        t.add_column("metric")
        t.add_column("all", justify="right")
        for ty in chunk:
            t.add_column(f"{ty} ({result['by_type'][ty]['n']})", justify="right")
        for key in keys:
            t.add_row(key, fmt(result["metrics"].get(key)), *(fmt(result["by_type"][ty].get(key)) for ty in chunk))
        tables.append(t)
    return tables[0] if len(tables) == 1 else Group(*tables)


def fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}" if isinstance(v, float) and v > 1.5 else (f"{v:.3f}" if isinstance(v, float) else str(v))


def write_report(result: dict, folder: Path) -> list[Path]:
    """report.md, report.html, metrics_by_type.png, latency.png and questions.jsonl in `folder` (one writer each)."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = [plot_metrics_by_type(result, folder / "metrics_by_type.png"), plot_latency(result, folder / "latency.png")]
    return plots + [write_markdown(result, folder / "report.md"), write_html(result, folder / "report.html", plots),
                    write_questions(result, folder / "questions.jsonl")]


def _pyplot():
    """matplotlib's pyplot on the file-only backend, with readable fonts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 12, "axes.titlesize": 14, "axes.labelsize": 12, "legend.fontsize": 11})
    return plt


def plot_metrics_by_type(result: dict, path: Path) -> Path:
    """A grid of question types (rows) by metrics (columns), each cell holding its figure: readable for
    two types or a dozen, where grouped bars turn into a thicket."""
    import numpy as np

    plt = _pyplot()
    types = list(result["by_type"])
    shown = [k for k in ("hits_at_4", "hits_at_10", "mrr_at_10", "citation_recall", "citation_precision",
                         "answer_contains_gold", "kind_right", "follow_up_resolved", "refusal_recall", "support_rate")
             if any(result["by_type"][t].get(k) is not None for t in types)]
    grid = np.array([[np.nan if result["by_type"][t].get(k) is None else result["by_type"][t][k] for k in shown] for t in types])
    fig, ax = plt.subplots(figsize=(2.2 + 1.25 * len(shown), 1.6 + 0.55 * max(1, len(types))))
    ax.imshow(np.ma.masked_invalid(grid), cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, "–" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=12)
    ax.set_xticks(range(len(shown)), [k.replace("_", " ") for k in shown], rotation=30, ha="right")
    ax.set_yticks(range(len(types)), [f"{t} (n={result['by_type'][t]['n']})" for t in types])
    ax.set_title("Metrics per question type (0–1, higher is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(result: dict, path: Path) -> Path:
    """A histogram of answer latencies (questions per bin, whole counts)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    lat = [r["latency_ms"] for r in result["questions"] if "latency_ms" in r]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist(lat or [0], bins=min(30, max(5, len(lat) // 3)), color="#4a7bd0")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of questions, never 0.5
    ax.set_xlabel("answer latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title(f"Answer latency ({len(lat)} questions)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_markdown(result: dict, path: Path) -> Path:
    """The run, its metrics table and every question with its answer, citations and gold, as Markdown."""
    run, types = result["run"], list(result["by_type"])
    md = ["# Evaluation report", "", f"- gold file: `{run['gold_file']}`", f"- answer backend: {run['answer_backend']}",
          f"- answered by: {describe_mix(run) or 'retrieval only'}",
          f"- embedding model: {run['embedding_model']}", f"- git commit: {run['git_commit']}",
          f"- prompts: {', '.join(f'{k}={v}' for k, v in run['prompt_hashes'].items())}", f"- started {run['started_at']}, took {run['duration_s']} s", "",
          "| metric | all | " + " | ".join(types) + " |", "|---|---:|" + "---:|" * len(types)]
    for key in METRIC_KEYS:
        md.append(f"| {key} | {fmt(result['metrics'].get(key))} | " + " | ".join(fmt(result["by_type"][t].get(key)) for t in types) + " |")
    md += ["", "![metrics by type](metrics_by_type.png)", "", "![latency](latency.png)", "", "## Questions", ""]
    t = md_text  # questions, answers, titles and quotes are data: shown literally, never as markup
    for r in result["questions"]:
        verdict = "refused" if r.get("refused") else "answered"
        md.append(f"### {t(str(r['id']))}: {t(r['question'])}")
        md.append(f"- type: {t(r['question_type'])}, answerable: {r['answerable']}, {verdict}")
        if "answer" in r:
            md.append(f"- answer: {t(r['answer'])}")
        for c in r.get("citations", []):
            md.append(f"  - \\[{c['n']}\\] {t(c['title'])} ({t(c['support'])}): \u201c{t(c['quote'][:300])}\u201d")
        for g in r["gold"]:
            md.append(f"- gold: {t(g['article'][:80])}: \u201c{t(g['quote'][:200])}\u201d")
        md.append(f"- citation recall {fmt(r.get('citation_recall'))}, precision {fmt(r.get('citation_precision'))}, hits@4 {fmt(r.get('hits_at_4'))}")
        md.append("")
    path.write_text("\n".join(md), encoding="utf-8")
    return path


def write_html(result: dict, path: Path, plots: list[Path]) -> Path:
    """A self-contained HTML page (plots inlined, a CSP that runs nothing): metrics and every question."""
    run, types = result["run"], list(result["by_type"])
    rows_html = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{fmt(result['metrics'].get(k))}</td>" + "".join(f"<td>{fmt(result['by_type'][t].get(k))}</td>" for t in types) + "</tr>"
        for k in METRIC_KEYS)
    qs = "".join(
        f"<details><summary>{html.escape(r['id'])}: {html.escape(r['question'])} — {'refused' if r.get('refused') else 'answered'}</summary>"
        f"<p><b>Answer:</b> {html.escape(r.get('answer', ''))}</p><ul>"
        + "".join(f"<li>[{c['n']}] {html.escape(c['title'])} <i>({html.escape(c['support'])})</i>: <q>{html.escape(c['quote'][:400])}</q></li>" for c in r.get("citations", []))
        + "</ul><p><b>Gold:</b></p><ul>" + "".join(f"<li>{html.escape(g['article'][:80])}: <q>{html.escape(g['quote'][:300])}</q></li>" for g in r["gold"])
        + "</ul></details>" for r in result["questions"])
    images = "".join(f"<img src='data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}' alt='{p.stem.replace('_', ' ')}'>"
                     for p in plots)
    page = (f"<!doctype html><meta charset='utf-8'>{CSP_META}<meta name='referrer' content='no-referrer'><title>Evaluation report</title>"
            f"<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{padding:2px 10px;border-bottom:1px solid #ddd}}</style>"
            f"<h1>Evaluation report</h1><p>{html.escape(run['gold_file'])} · {html.escape(run['answer_backend'])} · commit {html.escape(run['git_commit'])}</p>"
            f"<table><tr><th>metric</th><th>all</th>{''.join(f'<th>{html.escape(t)}</th>' for t in types)}</tr>{rows_html}</table>"
            f"{images}<h2>Questions</h2>{qs}")
    path.write_text(page, encoding="utf-8")
    return path


def write_questions(result: dict, path: Path) -> Path:
    """One JSON line per question (its answer, citations, gold and metrics)."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result["questions"]), encoding="utf-8")
    return path


def compare(a: dict, b: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, A, B, B - A) for every metric of two runs."""
    rows = []
    for key in METRIC_KEYS:
        x, y = a["metrics"].get(key), b["metrics"].get(key)
        rows.append((key, x, y, (y - x) if x is not None and y is not None else None))
    return rows

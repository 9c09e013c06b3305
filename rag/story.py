"""Following a story: a briefing saved under a name, and what is new since it.

`save(corpus, name, briefing, …)` keeps the briefing with the spans it cited, the filters it was made
under and the ids of every stored article at that moment, in `DATA_DIR/briefings/NAME.json`.
`since_last(corpus, name)` briefs the same topic again, among the articles added since only, and says:

* **New**: the key points and dated events of those articles (each cited);
* **Changed**: a point of the saved briefing that a newer sentence on the same point contradicts (a
  figure, a date, an outcome, a denial: rag/differ.py), the old and the new citation side by side;
* **Not repeated**: the saved key points that no newer article says again.

When no article added since is about the topic, it says so in one line instead of re-listing old points.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .briefing import Briefing, Point, SpanNumbering, brief, candidate_sentences, page_html, source_lines
from .corpus import Corpus
from .differ import compare_claims
from .errors import RagError
from .filters import Filters
from .safe import md_readable, plain_text
from .text import normalise

SAME_POINT = 0.35  # TF-IDF cosine from which a newer sentence is about a saved point (and may contradict it)
REPEATS = 0.5  # TF-IDF cosine from which a newer sentence says a saved point again
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_name(name: str) -> str:
    """`name` when it can name a saved briefing (letters, digits, "_", "-", "."), else a one-line error."""
    if not _NAME.fullmatch(name or "") or ".." in name:
        raise RagError(f"briefing name {name!r} is not usable; use letters, digits, '_', '-' or '.' (up to 64), e.g. gaza-daily")
    return name


def _path(corpus: Corpus, name: str) -> Path:
    """Where the briefing saved as `name` lives."""
    return Path(corpus.settings.data_dir) / "briefings" / f"{check_name(name)}.json"


def saved_names(corpus: Corpus) -> list[str]:
    """The names of the saved briefings, sorted."""
    folder = Path(corpus.settings.data_dir) / "briefings"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def save(corpus: Corpus, name: str, b: Briefing, filters: Filters | None = None, max_articles: int = 20) -> Path:
    """Keep briefing `b` under `name` (replacing one of that name), with its filters and the stored articles' ids."""
    path = _path(corpus, name)
    record = {"name": name, "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "topic": b.topic if b.topic not in ("all articles", "selected articles") else None,
              "filters": {"sources": list(filters.sources), "since": filters.since, "until": filters.until} if filters else {},
              "max_articles": max_articles, "known_articles": sorted(a.id for a in corpus.catalog.articles()),
              "briefing": b.as_dict()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write never leaves half a file under the name
    return path


def load(corpus: Corpus, name: str) -> dict:
    """The briefing saved as `name` (a one-line error naming the saved ones when there is none)."""
    path = _path(corpus, name)
    if not path.is_file():
        have = ", ".join(saved_names(corpus)) or "none yet"
        raise RagError(f"no briefing saved as {name!r} (saved: {have}); save one with `rag brief TOPIC --save {name}`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RagError(f"{path}: not a saved briefing ({exc}); save it again with `rag brief TOPIC --save {name}`") from None


@dataclass
class StoryDiff:
    """What is new since a saved briefing: new points, changed points (old and new), points not repeated."""

    name: str
    topic: str
    saved_at: str
    added: int  # articles stored since the briefing was saved
    on_topic: int  # of those, the ones the new briefing read
    new_points: list[tuple[str, list[Point]]] = field(default_factory=list)
    new_events: list[Point] = field(default_factory=list)
    changed: list[tuple[Point, Point]] = field(default_factory=list)  # (saved, newer); the newer one's label says how
    not_repeated: list[Point] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def nothing_new(self) -> bool:
        """True when no article added since is about the topic."""
        return not self.on_topic

    def as_dict(self) -> dict:
        """The JSON form."""
        return {"name": self.name, "topic": self.topic, "saved_at": self.saved_at, "added": self.added, "on_topic": self.on_topic,
                "new": [{"theme": t, "points": [p.as_dict() for p in ps]} for t, ps in self.new_points],
                "new_events": [p.as_dict() for p in self.new_events], "changed": [[a.as_dict(), b.as_dict()] for a, b in self.changed],
                "not_repeated": [p.as_dict() for p in self.not_repeated], "sources": self.sources, "seconds": self.seconds}

    def markdown(self) -> str:
        """As Markdown, article strings escaped (as in a briefing)."""
        return self._render(md_readable)

    def text(self) -> str:
        """For a terminal: plain text."""
        return self._render(plain_text)

    def html(self) -> str:
        """A standalone, inert HTML page."""
        return page_html(f"What is new: {self.topic}", self.markdown())

    def _render(self, t) -> str:
        cite = lambda p: "".join(f"[{int(n)}]" for n in p.cites)  # noqa: E731
        lines = [f"# What is new: {t(self.topic)}", "",
                 f"_since the briefing saved as “{t(self.name)}” on {t(self.saved_at)}; {self.added} article(s) stored since, "
                 f"{self.on_topic} on this topic_", ""]
        if self.nothing_new:
            lines.append(f"Nothing new on this topic since “{t(self.name)}”: no article stored since then is about it.")
            return "\n".join(lines) + "\n"
        lines += ["## New", ""]
        for theme, pts in self.new_points:
            lines.append(f"**{t(theme)}**")
            lines += [f"- {t(p.text)} {cite(p)}" for p in pts]
            lines.append("")
        if self.new_events:
            lines += ["**Dated events**"] + [f"- **{t(p.date)}** — {t(p.text)} {cite(p)}" for p in self.new_events] + [""]
        lines += ["## Changed since", ""]
        lines += [f"- **{t(b.label)}** — then: {t(a.text)} {cite(a)} **now:** {t(b.text)} {cite(b)}" for a, b in self.changed] \
            or ["- no saved point is contradicted by a newer article"]
        lines += ["", "## Said before, not repeated since", ""]
        lines += [f"- {t(p.text)} {cite(p)}" for p in self.not_repeated] or ["- every saved key point is said again"]
        lines += ["", "## Sources", ""] + source_lines(self.sources, t, link_sources=False)
        return "\n".join(lines) + "\n"


def _points(saved: dict, section: str) -> list[Point]:
    """A saved briefing's points of one section (key points flattened)."""
    raw = saved["briefing"]
    rows = [p for theme in raw["key_points"] for p in theme["points"]] if section == "key_points" else raw[section]
    return [Point(r["text"], list(r["citations"]), r.get("date", ""), r.get("label", "")) for r in rows]


def since_last(corpus: Corpus, name: str, topic: str | None = None, use_llm: bool | None = False) -> StoryDiff:
    """What is new on the saved briefing's topic (or `topic`) among the articles stored since it was saved."""
    t0 = time.perf_counter()
    saved = load(corpus, name)
    topic = topic or saved.get("topic")
    known = set(saved["known_articles"])
    added = {a.id for a in corpus.catalog.articles()} - known
    f = saved.get("filters") or {}
    filters = Filters(tuple(f.get("sources", ())), f.get("since", 0), f.get("until", 0))
    diff = StoryDiff(name, topic or "all articles", saved["saved_at"], len(added), 0)
    try:
        b = brief(corpus, topic, filters=filters, max_articles=saved.get("max_articles", 20), use_llm=use_llm, among=added)
    except RagError:  # no article added since is about the topic
        diff.seconds = round(time.perf_counter() - t0, 2)
        return diff
    diff.on_topic = len(b.articles)
    numbering = SpanNumbering(corpus)
    new_by_n = {int(s["n"]): s for s in b.sources}
    old_by_n = {int(s["n"]): s for s in saved["briefing"]["sources"]}
    diff.new_points = [(theme, [numbering.renumber(p, new_by_n) for p in pts]) for theme, pts in b.key_points]
    diff.new_events = [numbering.renumber(p, new_by_n) for p in b.timeline]
    # The newer sentences: every sentence of the articles added since, compared with each saved point.
    newer = candidate_sentences(corpus, {a["id"]: [(0, None, 0)] for a in b.articles})
    key = _points(saved, "key_points")
    saved_points = key + _points(saved, "timeline")
    if newer and saved_points:
        sim = _similarity([p.text for p in saved_points], [normalise(c.text) for c in newer])
        seen_changed: set[str] = set()
        for i, old in enumerate(saved_points):
            for j in sorted(range(len(newer)), key=lambda j: -sim[i, j]):
                if sim[i, j] < SAME_POINT:
                    break
                c = newer[j]
                d = compare_claims(old.text, c.text)
                if d and old.text not in seen_changed:
                    seen_changed.add(old.text)
                    diff.changed.append((numbering.renumber(old, old_by_n, earlier=True),
                                         Point(normalise(c.text), [numbering.cite(c.article_id, c.start, c.end)], label=d.describe())))
                    break
        for i, old in enumerate(key):
            if max(sim[i]) < REPEATS and old.text not in seen_changed:
                diff.not_repeated.append(numbering.renumber(old, old_by_n, earlier=True))
    diff.sources = numbering.entries
    diff.seconds = round(time.perf_counter() - t0, 2)
    return diff


def _similarity(a: list[str], b: list[str]):
    """TF-IDF cosine between each of `a` and each of `b` (the measure the briefing uses for "same point")."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit([normalise(x) for x in a + b])
    return (vec.transform([normalise(x) for x in a]) @ vec.transform([normalise(x) for x in b]).T).toarray()

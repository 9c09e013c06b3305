"""`Filters`: which articles a search, answer or briefing may use, written once.

One value carries the outlets, the date range and the article ids, with the operations each
consumer needs: a boolean mask over BM25's chunk arrays, a Chroma `where` clause, a check of one
article (post-filtering, briefing selection), a count in the catalogue and a sentence for users.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .dates import date_key, end_of, iso_day, parse_day
from .errors import ConfigError

CLI_NAMES = ("--source", "--since", "--until")


class FilterError(ConfigError):
    """A filter the user gave that cannot be applied: which field (outlet, since, until, or their order) and its value."""

    def __init__(self, message: str, field: str, value: str, until: str = ""):
        super().__init__(message)
        self.field = field
        self.value = value  # for "order", the since date
        self.until = until  # for "order", the until date


@dataclass(frozen=True)
class Filters:
    """Outlets (any of), published-date bounds (YYYYMMDD, inclusive, 0 = open) and article ids (any of)."""

    sources: tuple[str, ...] = ()
    since: int = 0
    until: int = 0
    article_ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, known_sources: list[str], sources=None, since=None, until=None, article_ids=None,
              names: tuple[str, str, str] = CLI_NAMES) -> "Filters":
        """Checked filters from what a user typed: known outlets, real dates, since <= until.

        Raises ConfigError naming the argument (`names` gives the caller's spelling of each).
        A month or year as the upper bound means its last day.
        """
        outlets = tuple(dict.fromkeys(s for s in (sources or []) if s))
        unknown = [s for s in outlets if s not in known_sources]
        if unknown:
            listing = ", ".join(known_sources[:12]) + (" …" if len(known_sources) > 12 else "")
            raise FilterError(f"{names[0]} {unknown[0]!r} is not a stored outlet; choose one of: {listing or '(none stored yet)'}",
                              "outlet", unknown[0])
        bounds = []
        for key, value, name in (("since", since, names[1]), ("until", until, names[2])):
            try:
                bounds.append(parse_day(value, name))
            except ConfigError as exc:
                raise FilterError(str(exc), key, str(value)) from None
        lo, hi = bounds[0], end_of(bounds[1])
        if lo and hi and lo > hi:
            raise FilterError(f"{names[1]} {since} is after {names[2]} {until}; swap them", "order", str(since), str(until))
        return cls(outlets, lo, hi, tuple(article_ids or ()))

    @property
    def active(self) -> bool:
        """True when anything is filtered."""
        return bool(self.sources or self.since or self.until or self.article_ids)

    def narrowed(self, source: str | None = None, day: int = 0) -> "Filters":
        """These filters further limited to one outlet and/or one day (a question's aspect)."""
        f = self
        if source:
            f = replace(f, sources=(source,))
        if day:
            f = replace(f, since=max(f.since, day), until=min(f.until, day) if f.until else day)
        return f

    def admits(self, source: str, published_at: str, article_id: str = "") -> bool:
        """Whether one article passes."""
        if self.sources and source not in self.sources:
            return False
        if self.article_ids and article_id not in self.article_ids:
            return False
        day = date_key(published_at)
        return not ((self.since and day < self.since) or (self.until and not 0 < day <= self.until))

    def mask(self, sources: np.ndarray, dates: np.ndarray, article_ids: np.ndarray) -> np.ndarray | None:
        """Boolean mask over parallel per-chunk arrays (None when nothing is filtered)."""
        if not self.active:
            return None
        m = np.ones(len(dates), dtype=bool)
        if self.sources:
            m &= np.isin(sources, list(self.sources))
        if self.article_ids:
            m &= np.isin(article_ids, list(self.article_ids))
        if self.since:
            m &= dates >= self.since
        if self.until:
            m &= (dates <= self.until) & (dates > 0)
        return m

    def where(self) -> dict | None:
        """The same filter as a Chroma `where` clause over chunk metadata (None when nothing is filtered)."""
        clauses: list[dict] = []
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.since:
            clauses.append({"published": {"$gte": self.since}})
        if self.until:
            clauses += [{"published": {"$lte": self.until}}, {"published": {"$gt": 0}}]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def sql(self) -> tuple[str, list]:
        """A WHERE condition over the catalogue's articles table, with its parameters."""
        sql, params = "1=1", []
        if self.sources:
            sql += f" AND source IN ({','.join('?' * len(self.sources))})"
            params += list(self.sources)
        if self.article_ids:
            sql += f" AND id IN ({','.join('?' * len(self.article_ids))})"
            params += list(self.article_ids)
        if self.since:
            sql += " AND published_at >= ?"
            params.append(iso_day(self.since))
        if self.until:
            sql += " AND published_at != '' AND published_at <= ?"
            params.append(iso_day(self.until))
        return sql, params

    def describe(self) -> str:
        """Plain words: "from The Verge published between 2023-10-01 and 2023-10-31"."""
        parts = []
        if self.sources:
            parts.append("from " + " or ".join(self.sources))
        lo, hi = (iso_day(self.since) if self.since else ""), (iso_day(self.until) if self.until else "")
        if lo and hi:
            parts.append(f"published between {lo} and {hi}")
        elif lo:
            parts.append(f"published on or after {lo}")
        elif hi:
            parts.append(f"published on or before {hi}")
        if self.article_ids:
            parts.append(f"among {len(self.article_ids)} chosen articles")
        return " ".join(parts)

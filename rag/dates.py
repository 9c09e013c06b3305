"""Dates, written once: parsing what people type, what articles say, and the keys we filter on.

* `parse_date(value)`: an article's `published_at` in any common spelling -> "YYYY-MM-DD" ("" if none).
* `parse_day(value, field)`: a filter bound typed by a user (YYYY-MM-DD, YYYY-MM, YYYY) -> YYYYMMDD int.
* `date_key(iso)` / `iso_day(key)`: "YYYY-MM-DD" <-> YYYYMMDD int (0 = unknown), as stored in Chroma.
* `named_days(text)`: calendar days a question names ("October 7, 2023", "2023-10-07").
* `find_dates(text)`: the first date an article sentence states, as precise as it is stated.
* `time_spans(text)`: where a sentence says when (for short answers).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .errors import ConfigError

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]


def month_number(name: str) -> int:
    """1-12 for a month name or its abbreviation ("Oct.", "october"); 0 when it is not one."""
    key = name.lower().rstrip(".")[:3]
    return next((i for i, m in enumerate(MONTHS, 1) if m.startswith(key)), 0)


def parse_date(value: Any) -> str:
    """Return an ISO date (YYYY-MM-DD) for many date spellings, or "" when there is none."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"published_at must be a date string, got {type(value).__name__}")
    s = value.strip()
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unrecognised published_at {value!r} (use YYYY-MM-DD)")


def parse_day(value: str | date | None, field: str = "date") -> int:
    """A filter bound (YYYY-MM-DD, YYYY-MM or YYYY) as a YYYYMMDD int; 0 for none.

    Raises ConfigError naming `field` when it is not a real calendar date.
    """
    if value in (None, ""):
        return 0
    if isinstance(value, date):
        return int(value.strftime("%Y%m%d"))
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value.strip())
    if not m:
        raise ConfigError(f"{field} {value!r} is not a date; use YYYY-MM-DD")
    y, mo, d = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    try:
        date(y, mo or 1, d or 1)
    except ValueError:
        raise ConfigError(f"{field} {value!r} is not a calendar date; use YYYY-MM-DD") from None
    return y * 10000 + mo * 100 + d


def end_of(key: int) -> int:
    """The last day a partial upper bound means: 202310(00) -> 20231031, 2023(0000) -> 20231231."""
    if key and key % 100 == 0:
        return key + (31 if key % 10000 else 1231)
    return key


def date_key(iso: str) -> int:
    """YYYY-MM-DD -> YYYYMMDD integer (0 when unknown)."""
    return int(iso.replace("-", "")[:8]) if iso else 0


def iso_day(key: int) -> str:
    """YYYYMMDD integer -> "YYYY-MM-DD" (month or day 00 when the key is partial)."""
    return f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}"


_DAY_RE = re.compile(r"\b(" + "|".join(MONTHS) + r"|sept|" + "|".join(m[:3] for m in MONTHS)
                     + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b|\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b", re.I)


def named_days(text: str) -> list[tuple[int, int]]:
    """Calendar days the text names ("October 7, 2023", "2023-10-07"): (position, YYYYMMDD)."""
    out = []
    for m in _DAY_RE.finditer(text):
        if m.group(1):
            out.append((m.start(), int(m.group(3)) * 10000 + month_number(m.group(1)) * 100 + int(m.group(2))))
        else:
            out.append((m.start(), int(m.group(4)) * 10000 + int(m.group(5)) * 100 + int(m.group(6))))
    return out


def strip_days(text: str) -> str:
    """The text without the calendar days `named_days` finds."""
    return _DAY_RE.sub(" ", text)


_MONTH_RE = "|".join(m.capitalize() for m in MONTHS) + r"|Sept\.|" + "|".join(m[:3].capitalize() + r"\." for m in MONTHS)
_STATED = [
    re.compile(rf"\b(?P<m>{_MONTH_RE})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<m>{_MONTH_RE})\s+(?P<y>(?:19|20)\d\d)\b"),
    re.compile(rf"\b(?P<m>{_MONTH_RE})\s+(?:of\s+)?(?P<y>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?:in|since|by|from|until|of|during)\s+(?P<y>(?:19|20)\d\d)\b"),
]


def find_dates(text: str, fallback: str = "") -> str:
    """The first date stated in `text` as YYYY-MM-DD / YYYY-MM / YYYY ("" when none)."""
    for pat in _STATED:
        m = pat.search(text)
        if m:
            g = m.groupdict()
            y = int(g["y"])
            if g.get("m"):
                mon = month_number(g["m"])
                if g.get("d"):
                    try:
                        return date(y, mon, int(g["d"])).isoformat()
                    except ValueError:
                        return f"{y:04d}-{mon:02d}"
                return f"{y:04d}-{mon:02d}"
            return f"{y:04d}"
    return fallback


# Month and weekday names only with their capital ("may" is a verb); relative words in any case.
_TIME_WORDS = re.compile(rf"\b(?:({'|'.join(m.capitalize() for m in MONTHS)})\b|(19|20)\d\d\b"
                         r"|(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
                         r"|(?i:yesterday|today|last (?:week|month|year)))")
_MONTH_DAY = re.compile(rf"\b(?:{_MONTH_RE})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!,?\s*\d)")  # "September 21" without a year


def time_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each date or time phrase the text states, most precise first where they overlap."""
    spans: list[tuple[int, int]] = []
    for pat in (*_STATED[:3], _MONTH_DAY):
        spans += [(m.start(), m.end()) for m in pat.finditer(text)]
    spans += [(m.start(), m.end()) for m in _TIME_WORDS.finditer(text)]
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out

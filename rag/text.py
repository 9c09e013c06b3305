"""Text normalisation that keeps a map back to the original characters, and sentence spans.

Articles keep their original text untouched so that every citation can quote
`text[start:end]` exactly. Matching (BM25, quotes from gold files, duplicate detection) works on
a normalised copy: NBSP and other odd spaces become a space, curly quotes become straight ones,
runs of whitespace collapse to one space. `normalise_with_map` returns, for every character of
the normalised copy, the index of the original character it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHAR_MAP = {
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ",
    "\u2003": " ", "\u3000": " ", "\t": " ", "\r": " ", "\n": " ", "\f": " ", "\v": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...",
}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad"}


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Return (normalised text, index map) where map[i] is the original index of normalised char i."""
    out: list[str] = []
    index: list[int] = []
    last_space = True  # drops leading whitespace
    for i, ch in enumerate(text):
        if ch in _ZERO_WIDTH:
            continue
        rep = _CHAR_MAP.get(ch, ch)
        if rep == " " or (len(rep) == 1 and rep.isspace()):
            if last_space:
                continue
            out.append(" ")
            index.append(i)
            last_space = True
            continue
        for r in rep:
            out.append(r)
            index.append(i)
        last_space = False
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


TRANSLATE = str.maketrans({**_CHAR_MAP, **{z: None for z in _ZERO_WIDTH}})
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Normalise text for matching: straight quotes, plain spaces, collapsed whitespace.

    Same result as `normalise_with_map(text)[0]`, without building the map (it is on the
    ingest path for every article and chunk, so it uses str.translate and one regex).
    """
    return _SPACES.sub(" ", text.translate(TRANSLATE)).strip(" ")


def squash(text: str) -> str:
    """Remove spaces and newlines entirely (the MultiHop-RAG relevance rule compares this form)."""
    return text.replace(" ", "").replace("\n", "")


def find_span(text: str, quote: str, norm: tuple[str, list[int]] | None = None) -> tuple[int, int] | None:
    """Locate `quote` in `text` tolerating normalisation differences; return original (start, end)."""
    pos = text.find(quote)
    if pos >= 0 and quote:
        return pos, pos + len(quote)
    ntext, imap = norm or normalise_with_map(text)
    nquote = normalise(quote)
    if not nquote:
        return None
    pos = ntext.find(nquote)
    if pos < 0:
        pos = ntext.lower().find(nquote.lower())
    if pos < 0:
        return None
    start = imap[pos]
    end = imap[pos + len(nquote) - 1] + 1
    return start, end


# Sentence boundaries: end punctuation (optionally followed by closing quotes/brackets), then
# whitespace, then something that can start a sentence. Abbreviations are checked separately.
_BOUNDARY = re.compile(r"[.!?][\"'\u2019\u201d)\]]*\s+(?=[\"'\u2018\u201c(\[]?[A-Z0-9])")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "st",
    "jr", "sr", "inc", "ltd", "co", "corp", "vs", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "mt", "ft",
}


# Last words that make a capitalised name an organisation rather than a person ("Alameda Research").
ORG_WORDS = {"Ministry", "Council", "Corps", "Brigade", "Police", "Division", "Committee", "Party", "Army", "Forces", "Department",
             "Agency", "Court", "Congress", "Senate", "Pentagon", "Company", "Inc", "Corp", "Bank", "University", "League", "Club",
             "Commission", "Administration", "Organization", "Union", "Group", "Embassy", "Beacon", "Times", "News", "Research",
             "Capital", "Labs", "Exchange", "Foundation", "Institute", "Partners", "Ventures", "Holdings", "Technologies", "Media",
             "Representatives", "Office", "Network", "Services", "Board", "Authority", "Association", "Systems", "Studios",
             "Entertainment", "Airlines", "Motors", "Chronicle", "Journal", "Press", "Ltd", "LLC", "AI", "Reserve", "Fund"}
# Countries, regions and cities that often stand where a person or company is asked for ("European Union").
PLACE_NAMES = {p.lower() for p in (
    "U.S", "U.S.", "US", "USA", "United States", "America", "EU", "European Union", "Europe", "UK", "U.K", "Britain", "England",
    "France", "Germany", "Italy", "Spain", "Netherlands", "Austria", "Ireland", "China", "Japan", "India", "Russia", "Ukraine",
    "Israel", "Gaza", "Iran", "Iraq", "Syria", "Canada", "Australia", "Mexico", "Brazil", "Turkey", "Africa", "South Africa",
    "Asia", "Washington", "New York", "New York City", "California", "Texas", "Florida", "London", "Paris", "Berlin", "Munich",
    "Tokyo", "Beijing", "Seattle", "San Francisco", "Silicon Valley", "Los Angeles", "Chicago", "Boston", "Baghdad", "Tehran",
    "Istanbul", "Dubai", "Abu Dhabi", "Bahamas", "Hong Kong", "Singapore", "Sydney", "Melbourne", "Toronto", "Amsterdam",
    "Brussels", "Geneva", "Manhattan", "Las Vegas", "Detroit", "Baltimore", "Johannesburg", "Frisco", "Dallas", "Houston",
    "Atlanta", "Miami", "Denver", "Arkansas", "Delaware", "Virginia", "Ohio", "Michigan", "Georgia", "Korea", "South Korea",
    "Taiwan", "Vietnam", "Indonesia", "Pakistan", "Saudi Arabia", "Qatar", "Egypt", "Lebanon", "Jordan", "Yemen", "Kenya",
    "Nigeria", "Argentina", "Chile", "Colombia", "Poland", "Sweden", "Norway", "Denmark", "Finland", "Switzerland", "Portugal",
    "Greece", "Belgium", "Scotland", "Wales", "New Zealand", "Stade de France", "Capitol Hill", "Wall Street")}


@dataclass(frozen=True)
class Span:
    """A [start, end) character span of some text."""

    start: int
    end: int


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split text[start:end] into sentence spans (offsets into `text`), trimmed of whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    # Line breaks are hard boundaries in news text (paragraphs, headings, bullet lines).
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0 = start + para.start()
        p1 = start + para.end()
        cursor = p0
        segment = text[p0:p1]
        for m in _BOUNDARY.finditer(segment):
            cut = p0 + m.start() + 1
            word = re.search(r"([\w.]+)$", text[cursor:cut - 1])
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
            close = p0 + m.end()
            _append_trimmed(text, cursor, close, spans)
            cursor = close
        _append_trimmed(text, cursor, p1, spans)
    return spans


def _append_trimmed(text: str, a: int, b: int, spans: list[Span]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append(Span(a, b))

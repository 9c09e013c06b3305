"""One question, analysed once: what it asks for, which outlets and days it names, and its focus words.

`analyse(text, outlets, idf)` returns a `Question` that retrieval and every answer generator read;
nothing downstream parses the question again.

* Aspects (`Aspect`): each outlet of the corpus the question names, with the calendar day named closest
  after it (within 80 characters), and days named on their own, in order, each with its clause of the
  question ("…, while the BBC report …"). Retrieval turns them into filtered searches; the answerer
  quotes one sentence per aspect.
* `hint_free`: the question without outlet names and days (they act as filters, not words to match).
* Kind (`question_kind`): when -> a date, how many -> a count, how much -> money or a number, who /
  which / where -> a name or a place, did / does / is … -> yes or no, else other.
* Focus words: stemmed, without the words that only ask ("many", "report") or name the kind of thing
  asked ("which company": the text gives the company, not the word), weighted by `idf`.
* Order and comparison: "was X published before Y" and "did X report a larger N than Y" parsed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Callable

from .bm25 import tokenize
from .dates import named_days, strip_days
from .filters import Filters
from .spans import bare_word, name_spans

SHORT_QUESTION = 15  # words: a question this short is about the names it gives (long ones describe their answer by facts)

# Words that ask for an answer rather than describe it; they never need to appear in the text.
_GENERIC_WORDS = ("many much name named names mention mentioned mentions article articles say says tell report reports reported "
                        "reporting according give list describe explain happen happened discuss discussed suggest "
                        "suggests indicate indicates claim claims")
_KIND_NOUN_WORDS = ("individual person people man woman company companies firm organisation organization entity "
                           "outlet publication source role position title country city place team player group "
                           "platform product event thing figure business brand nation state")
_AUX = {"did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "can", "could", "will", "would", "should"}
_LEAD_PREP = {"since", "until", "by", "in", "on", "at", "from", "to", "for", "with", "of", "during"}
_WH = {"which", "what", "who", "whom", "whose", "when", "where", "how"}
# "how much" about money: the answer is an amount with its currency.
_MONEY_ASKED = re.compile(r"\b(?:cost|costs|pay|paid|pays|price|priced|worth|fine|fined|fines|raise|raised|raising|valu\w*|spend|spent|"
                          r"money|revenue|fees?|offer\w*|salary|budget|charge\w*|sell|sold|buy|bought|fund\w*|invest\w*|earn\w*|"
                          r"loss|lose|lost|owe\w*|debt|donat\w*|bid|deal|dollars?|euros?|pounds?|penalty|settle\w*|profit\w*)\b", re.I)
_ORDER = re.compile(r"\b(?:published|released|posted|came out|appeared|reported)\s+(before|after|earlier than|later than|prior to)\s+"
                    r"(?:the\s+)?(?:articles?\s+|reports?\s+|story\s+|piece\s+|coverage\s+)?(?:by\s+|from\s+|in\s+|of\s+)?['‘“\"]?(.*)", re.I)
# "Did X report a larger fine than Y?": a comparative, the thing compared, "than", then the second report.
_COMPARE = re.compile(r"\b(higher|larger|bigger|greater|more|lower|smaller|fewer|less)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+than\s+"
                      r"(?:the\s+)?(?:articles?\s+|reports?\s+|story\s+|piece\s+|coverage\s+)?(?:by\s+|from\s+|in\s+|of\s+)?"
                      r"['‘“\"]?(.*)", re.I)
_CLAUSE_BREAK = re.compile(r"[,;]|\b(?:while|whereas|but|and|than|compared (?:to|with)|as)\b", re.I)
_MORE = {"higher", "larger", "bigger", "greater", "more"}
# A question about what the reports say, not only about their order: dates alone cannot answer it.
_CONTENT_ASKED = re.compile(r"consisten|chang|agree|same|align|differ|similar|contradict|support|suggest|indicat|"
                            r"\bclaim|\bboth\b|\bwhile\b|\bwhereas\b", re.I)


@dataclass(frozen=True)
class Aspect:
    """An outlet and/or a day the question points at."""

    outlet: str | None
    day: int  # YYYYMMDD, 0 when none is named
    position: int  # where in the question it is first named (character offset)
    clause: str = ""  # its part of the question, when the question names several aspects

    @property
    def filters(self) -> Filters:
        """The outlet and day as filters (what "from this outlet, on this day" means, written once)."""
        return Filters().narrowed(self.outlet, self.day)


@dataclass(frozen=True)
class Comparison:
    """"Did X report a larger N than Y?": the comparative, the thing compared, and what follows "than"."""

    more: bool
    what: str
    than: str


@dataclass(frozen=True)
class Order:
    """"Was X published before Y?": whether it asks "before", and what follows it."""

    before: bool
    than: str


@dataclass
class Question:
    """A question as retrieval and the generators read it (module docstring)."""

    text: str  # what is searched and analysed: the question, or a follow-up written out in full
    asked: str  # the user's words (the answer is to these)
    hint_free: str  # `text` without outlet names and days
    aspects: list[Aspect]
    kind: str  # when | count | number | money | who | which | where | yesno | other
    focus: dict[str, float]  # stemmed focus word -> idf weight
    said: set[str]  # lower-cased words the question already says (names there are not answers)
    head: set[str] = field(default_factory=set)  # stems naming the kind of thing asked ("divis" in "which divisions")
    side_focus: list[dict[str, float]] = field(default_factory=list)  # per aspect: the focus words of its clause
    unit: set[str] = field(default_factory=set)  # "how many fans": stems of the thing counted
    names: list[str] = field(default_factory=list)  # names the question gives (not outlets), lower case
    short: bool = False  # at most SHORT_QUESTION words: a question about the names it gives
    content_asked: bool = False  # asks what reports say (agree, change, claim …), not only their order
    comparison: Comparison | None = None
    order: Order | None = None

    @property
    def wants_name(self) -> bool:
        """Whether the answer is a name or a place."""
        return self.kind in ("who", "which", "where")

    @property
    def outlet_day(self) -> list[tuple[str | None, int]]:
        """The aspects as (outlet, day) pairs."""
        return [(a.outlet, a.day) for a in self.aspects]


def analyse(text: str, outlets: list[str], idf: Callable[[str], float] = lambda w: 1.0, asked: str | None = None) -> Question:
    """The question analysed once: aspects, hint-free text, kind, weighted focus words, order/comparison.

    `outlets` are the corpus's outlet names, `idf` weighs focus words (the BM25 index's), `asked` is the
    user's own words when `text` is a follow-up written out."""
    kind, rest = _clause_kind(text)
    generic, kind_words = _stems(_GENERIC_WORDS), set(_stems(_KIND_NOUN_WORDS))
    head: set[str] = set()
    if kind in ("which", "who"):
        # "which NFL team", "who is the individual": the words naming the kind of thing asked.
        m = re.match(r"(?:is|was|are|were)?\s*(?:the\s+)?((?:[\w-]+\s+){0,2}?[\w-]+)(?=[\s,]+(?:that|who|which|is|was|are|were|has|had|"
                     r"have|does|did|do|can|could|will|would|,|according|featured|recently|mentioned|in|of|from|whose|known))",
                     rest + " ,", re.I)
        if m:
            head = set(tokenize(m.group(1).split()[-1]))
            kind_words |= set(tokenize(m.group(1)))
        elif kind == "which" and rest.split():
            head = set(tokenize(rest.split()[0]))  # "which ministry oversees ...": the word after "which"
            kind_words |= head
    tokens = list(dict.fromkeys(tokenize(text)))
    words = [w for w in tokens if w not in generic and w not in kind_words] or [w for w in tokens if w not in generic] or tokens
    focus = {w: idf(w) for w in words}
    aspects = _aspects(text, outlets)
    if len(aspects) > 1:
        aspects = [Aspect(a.outlet, a.day, a.position, clause)
                   for a, clause in zip(aspects, aspect_clauses(text, [a.position for a in aspects]))]
    side_focus = []
    for a in aspects if len(aspects) > 1 else []:
        in_clause = set(tokenize(a.clause))
        side_focus.append({w: wt for w, wt in focus.items() if w in in_clause} or focus)
    unit: set[str] = set()
    if kind == "count":
        # "how many savings plans does": the words before the verb name what is counted.
        counted = []
        for w in rest.split()[1:4]:
            if w.lower() in _AUX:
                break
            counted.append(w)
        unit = set(tokenize(" ".join(counted if len(counted) < 3 else counted[:1])))
    low_outlets = " | ".join(o.lower() for o in outlets)  # "Verge", "York Times", "Sydney Morning Herald": outlets named
    names = [part for a, b in name_spans(text, set()) for part in re.split(r"['’]s\s+", text[a:b].lower())
             if part not in low_outlets and not set(tokenize(part)) <= kind_words]
    m = _COMPARE.search(text)
    comparison = Comparison(m.group(1).lower() in _MORE, m.group(2), m.group(3)) if m else None
    m = _ORDER.search(text)
    order = Order(m.group(1).lower() in ("before", "earlier than", "prior to"), m.group(2)) if m else None
    return Question(text, text if asked is None else asked, hint_free(text, outlets), aspects, kind, focus,
                    {bare_word(w) for w in text.split()}, head=head, side_focus=side_focus, unit=unit, names=names,
                    short=len(text.split()) <= SHORT_QUESTION, content_asked=bool(_CONTENT_ASKED.search(text)),
                    comparison=comparison, order=order)


def _clause_kind(question: str) -> tuple[str, str]:
    """(kind, the words after the wh-word) from the first clause that opens with a wh-word or auxiliary."""
    for clause in re.split(r"[,;:]\s*", question.strip()):
        words = clause.split()
        if not words:
            continue
        if len(words) > 1 and words[0].lower() in _LEAD_PREP and words[1].lower() in _WH:
            words = words[1:]  # "Since when ...", "By what score ...": the preposition only frames the question
        first = words[0].lower()
        rest = " ".join(words[1:])
        if first in _WH:
            if first == "how":
                if re.match(r"much\b", rest, re.I):
                    return ("money" if _MONEY_ASKED.search(rest) else "number"), rest
                if re.match(r"(old|long|far|tall|big|large|fast|high|deep)\b", rest, re.I):
                    return "number", rest  # an age, a duration, a distance: a figure
                return ("count", rest) if re.match(r"many\b", rest, re.I) else ("other", rest)
            if first in ("who", "whom", "whose"):
                return "who", rest
            if first in ("when", "where"):
                return first, rest
            if re.match(r"(year|date|day|month|time)\b", rest, re.I):
                return "when", rest
            if re.match(r"(price|cost|fine|valuation|salary|fee)\b", rest, re.I):
                return "money", rest
            if re.match(r"(number|amount|percentage|share|total|sum|score|margin|rate)\b", rest, re.I):
                return "number", rest
            if first == "what" and re.search(r"\b(salary|price|cost|valuation|fine|budget|fee|worth)\W*$", rest, re.I):
                return "money", rest  # "What is Richard Teng's salary?"
            if first == "what" and (not words[1:] or words[1].lower() in _AUX):
                return "other", rest  # "what did X say", "what is X described as": no name is asked for
            return "which", rest
        if first in _AUX:
            return "yesno", rest
    return "other", ""


def question_kind(question: str) -> str:
    """What a question asks for: when, count, number, money, who, which, where, yesno or other."""
    return _clause_kind(question)[0]


def aspect_clauses(question: str, positions: list[int]) -> list[str]:
    """The part of the question about each named outlet/report: cut before each later one at the last
    clause break (",", "while", "and", "than"...) since the one before."""
    cuts = [0]
    for p0, p1 in pairwise(positions):
        breaks = list(_CLAUSE_BREAK.finditer(question, p0, p1))
        cuts.append(breaks[-1].start() if breaks else p1)
    cuts.append(len(question))
    return [question[a:b] for a, b in pairwise(cuts)]


@lru_cache(maxsize=4)  # stemmed once, on the first question (not at import: the stemmer and stopwords load then)
def _stems(words: str) -> frozenset[str]:
    """The stems of a list of words."""
    return frozenset(tokenize(words))


def hint_free(text: str, outlets: list[str]) -> str:
    """The question without outlet names and dates (they are applied as filters instead)."""
    q = strip_days(text)
    for s in sorted(outlets, key=len, reverse=True):
        if len(s) >= 3:
            q = re.sub(_whole_word(s), " ", q, flags=re.I)
    return " ".join(q.split())


def _aspects(text: str, outlets: list[str]) -> list[Aspect]:
    """Each named outlet with the day named closest after it (within 80 characters), then days named on
    their own; in order of first mention, each (outlet, day) once."""
    days = named_days(text)
    found: list[tuple[int, str | None, int]] = []
    used_days = set()
    for pos, s in _outlet_mentions(text, outlets):
        day = 0
        for dpos, d in days:
            if 0 <= dpos - pos <= 80 and dpos not in used_days:
                day = d
                used_days.add(dpos)
                break
        found.append((pos, s, day))
    for dpos, d in days:
        if dpos not in used_days:
            found.append((dpos, None, d))
    found.sort()
    first: dict[tuple[str | None, int], int] = {}
    for pos, s, d in found:
        first.setdefault((s, d), pos)
    return [Aspect(s, d, pos) for (s, d), pos in first.items()]


def _outlet_mentions(text: str, outlets: list[str]) -> list[tuple[int, str]]:
    """(position, outlet) for each outlet the text names, by its full name or without "The"."""
    low = text.lower()
    found = []
    for s, patterns in _outlet_patterns(tuple(outlets)):
        for pattern in patterns:
            hits = [(m.start(), s) for m in pattern.finditer(low)]
            if hits:
                found.extend(hits)
                break
    return sorted(found)


def _whole_word(name: str) -> str:
    """A pattern matching `name` only as whole words ("Verge" not inside "converge")."""
    return r"(?<![\w])" + re.escape(name) + r"(?![\w])"


@lru_cache(maxsize=8)  # compiled once per outlet list (the corpus's), not per question
def _outlet_patterns(outlets: tuple[str, ...]) -> list[tuple[str, list[re.Pattern]]]:
    """Each outlet with its whole-word patterns, full name first ("the verge", then "verge")."""
    out = []
    for s in outlets:
        name = s.lower()
        variants = [name] + ([name[4:]] if name.startswith("the ") else [])
        out.append((s, [re.compile(_whole_word(v)) for v in variants if len(v) >= 3]))
    return out

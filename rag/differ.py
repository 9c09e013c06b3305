"""Where two reports differ: two sentences on the same point whose claims conflict, and how.

`compare_claims(a, b)` reads two sentences the caller already found to be about the same point (the
briefing: TF-IDF cosine in a band; the diff against a saved briefing: the sentence embedder) and says
what conflicts, never guessing beyond what the words show:

* figure / count / amount: both state a figure of the same unit (currency, %, or the same noun:
  "153 yards") and no value is shared ("$26.3 billion" vs "$12 million");
* date: both state a date and none is shared ("November 24" vs "November 27");
* outcome: one says an outcome and the other its opposite (won / lost, approved / rejected, guilty /
  acquitted, rose / fell …);
* denial: one side denies or negates what the other asserts ("X did not …", "denied that …"), their
  other content words largely the same.

Nothing here reads the question; `Difference.kind` is what the user sees beside the pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bm25 import tokenize
from .dates import find_dates
from .spans import figures, name_spans, stated_figures

# Opposite outcomes: the words that say one, and the words that say the other (either side may hold either).
_OPPOSITES = [({"won", "win", "wins", "victory"}, {"lost", "lose", "loses"}),
              ({"approved", "approves", "passed", "upheld", "granted"}, {"rejected", "rejects", "blocked", "overturned", "vetoed"}),
              ({"guilty", "convicted"}, {"acquitted", "cleared"}),
              ({"rose", "rises", "increased", "gained", "jumped", "surged", "climbed", "soared", "rallied"},
               {"fell", "falls", "decreased", "dropped", "declined", "slumped", "tumbled", "plunged", "sank", "slid", "slipped"}),
              ({"confirmed", "confirms", "admitted"}, {"denied", "denies", "refuted", "disputed"}),
              ({"opened", "reopened"}, {"closed", "shut"}),
              ({"survived"}, {"died", "killed"})]
_PRONOUN_OPENING = re.compile(r"\W*(?:he|she|it|they|his|her|its|their|this|these|those)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|never|no|n't|denied|denies|deny|false|untrue|refuted|disputed|rejected the claim)\b", re.I)
_CURRENCIES = set("$£€¥")


@dataclass(frozen=True)
class Difference:
    """What conflicts between two sentences: its kind and the two sides' words for it."""

    kind: str  # figure | count | amount | date | outcome | denial
    a: str  # the first sentence's words for it ("$26.3 billion")
    b: str  # the second's

    def describe(self) -> str:
        """One line for the reader: "amount: $26.3 billion vs $12 million"."""
        return f"{self.kind}: {self.a} vs {self.b}"


def compare_claims(a: str, b: str) -> Difference | None:
    """The conflict between two sentences on the same point (None when their words show none, or when they
    may be about different things: see `same_subject`)."""
    found = _figures_differ(a, b) or _dates_differ(a, b) or _outcomes_differ(a, b) or _denied(a, b)
    return found if found and same_subject(a, b) else None  # the names are read only for a conflict


def same_subject(a: str, b: str) -> bool:
    """Whether two sentences can be about the same thing as far as their names show: neither opens with a
    pronoun (whose referent the sentence does not give: "He pleaded guilty to six charges" may be anyone),
    and when both name something, they share a name ("BetMGM will refund up to $1,500" and "BetRivers will
    refund up to $100" are two offers, not a conflict)."""
    if _PRONOUN_OPENING.match(a) or _PRONOUN_OPENING.match(b):
        return False
    na, nb = _name_words(a), _name_words(b)
    return not (na and nb) or bool(na & nb)


def _name_words(text: str) -> set[str]:
    """The words of the names a sentence gives, lower case ("sam", "bankman-fried")."""
    return {w for x, y in name_spans(text, set()) for w in text[x:y].lower().split() if len(w) > 2}


def _shown(text: str, unit: str, value: float) -> str:
    """How a sentence writes the figure of this unit and value ("$26.3 billion", "seven counts")."""
    return next(w for v, u, w in stated_figures(text) if u == unit and v == value)


def _figures_differ(a: str, b: str) -> Difference | None:
    fa, fb = figures(a), figures(b)
    units = {u for _, u in fa} & {u for _, u in fb}
    for unit in sorted(units):
        va, vb = {v for v, u in fa if u == unit}, {v for v, u in fb if u == unit}
        if not (va - vb and vb - va):
            continue  # one side's figures are all the other's: no conflict ("$65 billion" in both, one adds "$3 billion")
        kind = "amount" if unit in _CURRENCIES else "figure" if unit in ("%", "") else "count"
        only_a, only_b = min(va - vb), min(vb - va)
        return Difference(kind, _shown(a, unit, only_a), _shown(b, unit, only_b))
    return None


def _dates_differ(a: str, b: str) -> Difference | None:
    da, db = find_dates(a), find_dates(b)
    if not da or not db or da == db:
        return None
    # "2023-11" vs "2023-11-24": one is the other, less precise; only a real disagreement counts.
    if da.startswith(db) or db.startswith(da):
        return None
    return Difference("date", da, db)


def _words(text: str) -> set[str]:
    """A sentence's lower-case words, "not guilty" / "not-guilty" read as "acquitted" (it is not "guilty")."""
    return set(re.findall(r"[a-z]+", re.sub(r"\bnot[- ]guilty\b", "acquitted", text.lower())))


def _outcomes_differ(a: str, b: str) -> Difference | None:
    wa, wb = _words(a), _words(b)
    for yes, no in _OPPOSITES:
        a_yes, a_no, b_yes, b_no = wa & yes, wa & no, wb & yes, wb & no
        if a_yes and b_no and not a_no and not b_yes:
            return Difference("outcome", sorted(a_yes)[0], sorted(b_no)[0])
        if a_no and b_yes and not a_yes and not b_no:
            return Difference("outcome", sorted(a_no)[0], sorted(b_yes)[0])
    return None


def _denied(a: str, b: str) -> Difference | None:
    """One side negates or denies, the other does not, and their other content words are largely shared."""
    na, nb = _NEGATION.search(a), _NEGATION.search(b)
    if bool(na) == bool(nb):
        return None
    ta, tb = set(tokenize(a)), set(tokenize(b))
    if len(ta & tb) < 0.6 * len(ta | tb):
        return None  # a negation about something else: the two must say nearly the same words
    m, text = (na, a) if na else (nb, b)
    negated = tokenize(text[m.end():])[:3]  # what is negated must be what the other side asserts
    if not negated or not set(negated) <= (tb if na else ta):
        return None
    said = text[max(0, m.start() - 30):m.end() + 30].strip()
    return Difference("denial", said, "asserted") if na else Difference("denial", "asserted", said)

"""Evaluation metrics: plain functions over plain records.

Retrieval metrics follow the MultiHop-RAG evaluation (Tang & Yang, 2024): a retrieved chunk is
relevant when some gold fact, with every space and newline removed, is a substring of the
chunk with every space and newline removed (both sides quote-normalised first). Answer and citation metrics compare character
spans: a citation (article, start, end) covers a gold quote when both are in the same article
and their spans overlap.
"""

from __future__ import annotations

import re
from statistics import median
from typing import Iterable, Sequence

from .bm25 import tokenize
from .text import ORG_WORDS, PLACE_NAMES, normalise, squash

Span = tuple[str, int, int]  # (article id, start, end)


def _squashed(text: str) -> str:
    # Upstream removes spaces and newlines; curly quotes and NBSP are normalised first so a gold
    # quote typed with straight quotes still matches (a no-op on MultiHop-RAG's verbatim facts).
    return squash(normalise(text))


def relevant(chunk: str, gold_facts: Sequence[str]) -> list[int]:
    """Indexes of the gold facts contained in `chunk` under the squash rule."""
    c = _squashed(chunk)
    return [i for i, g in enumerate(gold_facts) if _squashed(g) and _squashed(g) in c]


def hits_at(retrieved: Sequence[str], gold_facts: Sequence[str], k: int) -> float:
    """1.0 if any of the first k chunks is relevant, else 0.0."""
    return 1.0 if any(relevant(r, gold_facts) for r in retrieved[:k]) else 0.0


def mrr_at(retrieved: Sequence[str], gold_facts: Sequence[str], k: int = 10) -> float:
    """1 / rank of the first relevant chunk within the first k, else 0."""
    for rank, r in enumerate(retrieved[:k], 1):
        if relevant(r, gold_facts):
            return 1.0 / rank
    return 0.0


def map_at(retrieved: Sequence[str], gold_facts: Sequence[str], k: int = 10) -> float:
    """MultiHop-RAG MAP@k: sum over relevant ranks r <= k of (new gold facts found at r) / r,
    divided by min(number of gold facts, k)."""
    if not gold_facts:
        return 0.0
    found: set[int] = set()
    total = 0.0
    for rank, r in enumerate(retrieved[:k], 1):
        new = [i for i in relevant(r, gold_facts) if i not in found]
        found.update(new)
        total += len(new) / rank
    return total / min(len(gold_facts), k)


def overlaps(a: Span, b: Span) -> bool:
    """Same article and the character ranges intersect."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def citation_recall(gold: Sequence[Span], cited: Sequence[Span]) -> float | None:
    """Share of gold spans overlapped by at least one cited span; None when there is no gold."""
    if not gold:
        return None
    return sum(1 for g in gold if any(overlaps(g, c) for c in cited)) / len(gold)


def citation_precision(gold: Sequence[Span], cited: Sequence[Span]) -> float | None:
    """Share of cited spans that overlap some gold span; None when nothing is cited."""
    if not cited:
        return None
    return sum(1 for c in cited if any(overlaps(c, g) for g in gold)) / len(cited)


def _norm_answer(text: str) -> str:
    text = normalise(text).lower()
    text = re.sub(r"\[\d+\]", " ", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def answer_keyword_accuracy(answer: str, keyword_groups: Sequence[Sequence[str]]) -> float | None:
    """1.0 if every group has at least one alternative in the answer (normalised), else 0.0."""
    if not keyword_groups:
        return None
    a = f" {_norm_answer(answer)} "
    return 1.0 if all(any(f" {_norm_answer(alt)} " in a for alt in group) for group in keyword_groups) else 0.0


def answer_contains_gold(answer: str, gold: str | None) -> float | None:
    """1.0 if the normalised gold answer is contained in the normalised answer."""
    if not gold:
        return None
    g = _norm_answer(gold)
    return 1.0 if g and f" {g} " in f" {_norm_answer(answer)} " else 0.0


def answer_upstream_lenient(answer: str, gold: str | None) -> float | None:
    """MultiHop-RAG's QA rule: 1.0 if answer and gold share a lower-cased whitespace token."""
    if not gold:
        return None
    return 1.0 if set(gold.lower().split()) & set(answer.lower().split()) else 0.0


# The kinds of short answer a gold file can ask for, each told by its form alone (not by the answerer's
# own extraction): a stricter, simpler reading than the answerer's, so the two can disagree.
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:{_MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:19|20)\d\d)\b"
                   r"|\b(?:yesterday|today|last (?:week|month|year))\b", re.I)
_MONEY = re.compile(r"[$£€¥]\s?\d|\d[\d,.]*\s*(?:thousand|million|billion|trillion)?\s*(?:dollars|euros|pounds|yen)\b", re.I)
_COUNT = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                    r"hundreds?|thousands?|millions?|billions?|dozens?)\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’&.-]*|\b[a-z]{1,2}[A-Z]\w+")


def of_kind(short: str, kind: str) -> bool:
    """Whether a short answer has the form of `kind`: date, money, count, person, organisation, place."""
    short = " ".join((short or "").split())
    if not short:
        return False
    if kind == "date":
        return bool(_DATE.search(short))
    if kind == "money":
        return bool(_MONEY.search(short))
    if kind == "count":
        return bool(_COUNT.search(short)) and not _MONEY.search(short) and "%" not in short
    names = _CAPITALISED.findall(short)
    if not names or _DATE.fullmatch(short) or _COUNT.match(short):
        return False
    place = short.lower().removeprefix("the ") in PLACE_NAMES
    if kind == "place":
        return True
    if place:
        return False  # "European Union" is not who or which company
    if kind == "person":
        return len(names) >= 2 and names[-1] not in ORG_WORDS and not short.isupper()
    return kind == "organisation"


def resolved_follow_up(searched: str, follow_up: str, gold_rewrite: str) -> float:
    """1.0 when the question searched holds every word the gold rewrite adds to the follow-up (its
    referent: "Binance", "Changpeng Zhao"), compared as stems without stop words."""
    added = set(tokenize(gold_rewrite)) - set(tokenize(follow_up))
    return 1.0 if added <= set(tokenize(searched)) else 0.0


def refusal_recall(answerable: Sequence[bool], refused: Sequence[bool]) -> float | None:
    """Unanswerable questions that were refused / unanswerable questions."""
    idx = [i for i, a in enumerate(answerable) if not a]
    return sum(1 for i in idx if refused[i]) / len(idx) if idx else None


def refusal_precision(answerable: Sequence[bool], refused: Sequence[bool]) -> float | None:
    """Refusals on unanswerable questions / all refusals."""
    idx = [i for i, r in enumerate(refused) if r]
    return sum(1 for i in idx if not answerable[i]) / len(idx) if idx else None


def support_rate(verdicts: Iterable[str]) -> float | None:
    """Share of answer sentences judged 'supported'."""
    v = list(verdicts)
    return sum(1 for x in v if x == "supported") / len(v) if v else None


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    xs = [x for x in values if x is not None]
    return sum(xs) / len(xs) if xs else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; median for q=50."""
    xs = sorted(values)
    if not xs:
        return None
    if q == 50:
        return float(median(xs))
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

"""The offline answerer: a short answer, the quoted sentences that hold it, and a verdict on relevance.

Everyone without an LLM sees this answerer, and everyone sees it when the LLM fails, so it only
says what a quoted sentence shows and says how sure it is. For one question:

1. Shape (`shape_question`): the kind of answer asked for (when -> a date, how many/much -> a
   number, who -> a name, where -> a place, which/what X -> a name, did/does/is ... -> yes/no),
   the focus words (stemmed, idf-weighted) without the words that only name the kind of thing
   asked ("which company", "who is the individual", "which outlet"): the text gives the thing,
   not its kind. And the outlets and days it names (the retriever's aspects).
2. Candidates: every sentence of the retrieved passages,
       score = rel * judge + cos * cosine(question, sentence) + focus * focus coverage + cue * kind cue
   with the weights of the judge set (`WEIGHTS`): "model" adds the relevance model's probability
   (rag/judge.py) to the previous score, "lexical" is the previous score alone. Only the best
   JUDGE_CANDIDATES by the lexical part are judged, and the EMBED_CANDIDATES best of those embedded
   (latency), with the best of each named outlet kept in.
3. Short answer: for which/who/what, the name the best sentences agree on: each article votes
   once per name (its best mention, weighted by score² and closeness to the question's words);
   names the question already says do not count; a full "first name surname" is preferred and an
   ordinal phrase ending in the noun asked ("fifth and eighth divisions") beats a name. For when,
   the date; for how many/much, the number with its unit; for where, the place. It is a span of a
   cited sentence (`answer_span`, article offsets), highlighted in the UI's Sources card.
4. Evidence: when the question names several outlets or reports, one sentence per named side,
   each cited and labelled; otherwise the best one to three sentences (the best always, the short
   answer's own first).
5. Yes/no, only when the evidence decides it: "was X published before/after Y" from the two
   reports' publication dates, "did X report a larger N than Y" from one figure per side. Otherwise
   each side's evidence is laid out without a verdict (a head fitted on the judge's confidence per
   side did not decide content questions: bench/yesno_head.py).
6. Verdict (relevance, not overlap: every quote matches its own source by construction): a name is
   "supported" when at least SUPPORT_AGREE articles hold it, or it names the kind asked for in a
   sentence holding every focus word; a date/number/place when the sentence holds one and scores at least
   `supported_at`; otherwise "weak" (shown as "possible answer").
7. Refusal: the match (cos and focus parts, without the kind cue) must reach `refusal_threshold`,
   or `refusal_threshold - CORROBORATED_MARGIN` when corroborated (CORROBORATE_AGREE articles hold
   the same name, or every named outlet has a passage); a
   how-many/how-much question whose evidence gives no number is refused too; a refusal offers the
   two closest passages as leads. Calibrated on the even half of MultiHop-RAG dev by
   bench/refusal_sweep.py and bench/judge_sweep.py, checked on the odd half.

Text in articles is only ever quoted, never executed as instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Callable

import numpy as np

from .bm25 import stopwords, tokenize, weighted_share
from .citations import CITE_GROUP, SUPPORTED, WEAK, Sentence, Source, assemble
from .contract import REFUSAL, Answer, Outcome
from .corpus import Corpus
from .dates import date_key, iso_day, time_spans
from .judge import Judge
from .retrieve import Retriever, aspect_positions, query_aspects
from .safe import is_instruction
from .text import ORG_WORDS, PLACE_NAMES, normalise, sentence_spans



@dataclass(frozen=True)
class Weights:
    """How a sentence is scored and when it is enough, for one judge (module docstring)."""

    rel: float  # the judge's probability, in the score that ranks sentences
    cos: float  # cosine(question, sentence) of the embedder (0: no sentence is embedded)
    focus: float  # IDF-weighted share of the question's focus words
    cue: float  # the sentence holds the kind of thing asked (a date, a number, a name)
    refuse_at: float  # the match (cos, focus and rel_match parts of the score) a question needs to be answered
    supported_at: float  # the score from which a typed answer or a side's sentence is "supported"
    rel_match: float = 0.0  # the judge's probability in the match
    # Tried in bench/judge_sweep.py and left off (2: never): they looked free on the fitted half only.
    name_supported_at: float = 2.0  # the judge's probability from which one article's name is "supported"
    rescue_at: float = 2.0  # the judge's probability from which a borderline match answers uncorroborated
    extra_rel: float = 0.0  # the judge's probability a second or third quoted sentence needs


# "lexical" is the previous answerer, unchanged; "model" was fitted on the even half of MultiHop-RAG
# dev and checked on the odd half (bench/judge_sweep.py, bench/offline_answers.py --half odd).
WEIGHTS = {"lexical": Weights(rel=0.0, cos=0.5, focus=0.4, cue=0.1, refuse_at=0.38, supported_at=0.50),
           "model": Weights(rel=0.5, cos=0.5, focus=0.4, cue=0.1, refuse_at=0.38, supported_at=0.50, extra_rel=0.5)}
EMBED_CANDIDATES = 8  # sentences embedded per question without the judge; 12 -> 8 cut p50 by a third
JUDGE_CANDIDATES = 12  # sentences judged and embedded per question with the judge (best by the lexical part), plus each side's best 3
CORROBORATED_MARGIN = 0.12  # how far below the threshold a corroborated answer may score (bench/refusal_sweep.py)
CORROBORATE_AGREE = 2  # distinct articles holding the same name that let a borderline match answer
SUPPORT_AGREE = 3  # distinct articles that must hold a name for it to be "supported" (bench/offline_answers.py)
SHORT_QUESTION = 15  # words: a question this short is about the names it gives (long ones describe their answer by facts)
VOTE_DEPTH = 8  # best candidates whose names are counted for the short answer

# Words that ask for an answer rather than describe it; they never need to appear in the text.
_GENERIC = set(tokenize("many much name named names mention mentioned mentions article articles say says tell report reports reported "
                        "reporting according give list describe explain happen happened discuss discussed suggest "
                        "suggests indicate indicates claim claims"))
_KIND_NOUNS = set(tokenize("individual person people man woman company companies firm organisation organization entity "
                           "outlet publication source role position title country city place team player group "
                           "platform product event thing figure business brand nation state"))
_AUX = {"did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "can", "could", "will", "would", "should"}
_LEAD_PREP = {"since", "until", "by", "in", "on", "at", "from", "to", "for", "with", "of", "during"}
_WH = {"which", "what", "who", "whom", "whose", "when", "where", "how"}
_SCALE_WORDS = r"percent|per cent|thousand|million|billion|trillion|bn|m|k"  # words that belong to a figure
_NUMBER = re.compile(r"(?:[$£€¥]\s?)?\b\d[\d,.]*(?:\s?%|\s?(?:" + _SCALE_WORDS + r")\b)?"
                     r"(?:\s+(?!(?:and|or|the|a|of|in|on|to|for|by|at|as|is|was|were)\b)[a-z][\w-]*)?", re.I)
_WORD_NUMBER = re.compile(r"(?<![\w-])(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
                          r"thousands?|millions?|billions?)\b(?:\s+[a-z][\w-]*)?", re.I)
_ENTITY = re.compile(r"\b[A-Z][\w'’&.-]*[\w&]|\b[A-Z]\b|\b[a-z]{1,2}[A-Z]\w+")  # "iRobot", "eBay" too
_CONNECT = {"of", "de", "du", "da", "la", "van", "von", "for", "the"}  # not "and": "FTX and Alameda" is two names
# A role or title before a name ("CEO Erik Podzuweit", "Attorney General Merrick Garland"): not part of it.
_ROLE = re.compile(r"(?:(?:Attorney|Inspector|Surgeon)[- ]General|Vice President|Prime Minister|Chief \w+ Officer|(?:Co-)?(?:CEO|CFO|CTO|COO)|"
                   r"Chairman|Chairwoman|Chair|President|Rep\.|Sen\.|Senator|Gov\.|Governor|Judge|Justice|Minister|Secretary|"
                   r"Director|Founder|Co-founder|Coach|Captain|Commissioner|Mayor|Dr\.|Prof\.|Professor|Rookie|Quarterback)"
                   r"(?:\s+of(?:\s+the)?)?\s+(?=[A-Z]|[a-z]{1,2}[A-Z])")
# "how much" about money: the answer is an amount with its currency.
_MONEY_ASKED = re.compile(r"\b(?:cost|costs|pay|paid|pays|price|priced|worth|fine|fined|fines|raise|raised|raising|valu\w*|spend|spent|"
                          r"money|revenue|fees?|offer\w*|salary|budget|charge\w*|sell|sold|buy|bought|fund\w*|invest\w*|earn\w*|"
                          r"loss|lose|lost|owe\w*|debt|donat\w*|bid|deal|dollars?|euros?|pounds?|penalty|settle\w*|profit\w*)\b", re.I)
_CURRENCY = set("$£€¥")
_PLACE_PREP = re.compile(r"\b(?:in|at|from|near|across|outside|inside)\s+(?:the\s+)?$", re.I)
_ORDER = re.compile(r"\b(?:published|released|posted|came out|appeared|reported)\s+(before|after|earlier than|later than|prior to)\s+"
                    r"(?:the\s+)?(?:articles?\s+|reports?\s+|story\s+|piece\s+|coverage\s+)?(?:by\s+|from\s+|in\s+|of\s+)?['‘“\"]?(.*)", re.I)
# "Did X report a larger fine than Y?": a comparative, the thing compared, "than", then the second report.
_COMPARE = re.compile(r"\b(higher|larger|bigger|greater|more|lower|smaller|fewer|less)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+than\s+"
                      r"(?:the\s+)?(?:articles?\s+|reports?\s+|story\s+|piece\s+|coverage\s+)?(?:by\s+|from\s+|in\s+|of\s+)?"
                      r"['‘“\"]?(.*)", re.I)
_CLAUSE_BREAK = re.compile(r"[,;]|\b(?:while|whereas|but|and|than|compared (?:to|with)|as)\b", re.I)
_FULL_STOP = re.compile(r"[.!?][\"'’”)\]]*$")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][\w'’-]*")  # a word that starts in lower case ("Player's" has none)
_HEADING_SMALL = {"a", "an", "the", "of", "and", "or", "for", "to", "in", "on", "at", "by", "vs", "with", "from"}  # lower case in a title
_MORE = {"higher", "larger", "bigger", "greater", "more"}
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_FIGURE = re.compile(r"([$£€¥])?\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(%)|\s?(" + _SCALE_WORDS + r")\b)?"
                     r"(?:\s+([a-z][\w-]*))?", re.I)
_CURRENCY_WORDS = {"dollars": "$", "dollar": "$", "usd": "$", "pounds": "£", "euros": "€", "euro": "€", "yen": "¥"}
# A question about what the reports say, not only about their order: dates alone cannot answer it.
_CONTENT_ASKED = re.compile(r"consisten|chang|agree|same|align|differ|similar|contradict|support|suggest|indicat|"
                            r"\bclaim|\bboth\b|\bwhile\b|\bwhereas\b", re.I)


@dataclass
class Shape:
    """What a question asks for."""

    kind: str  # when | count | number | money | who | which | where | yesno | other
    focus: dict[str, float]  # stemmed focus word -> idf weight
    said: set[str]  # lower-cased words the question already says (names there are not answers)
    head: set[str] = field(default_factory=set)  # stems naming the kind of thing asked ("divis" in "which divisions")
    aspects: list[tuple[str | None, int]] = field(default_factory=list)  # (outlet, YYYYMMDD or 0)
    side_focus: list[dict[str, float]] = field(default_factory=list)  # per aspect: the focus words of its clause
    clauses: list[str] = field(default_factory=list)  # per aspect: its clause of the question
    unit: set[str] = field(default_factory=set)  # "how many fans": stems of the thing counted
    names: list[str] = field(default_factory=list)  # names the question gives (not outlets), lower case
    short: bool = False  # at most SHORT_QUESTION words: a question about the names it gives

    @property
    def wants_name(self) -> bool:
        return self.kind in ("who", "which", "where")


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


def _bare(word: str) -> str:
    """A word as compared with the question's: lower case, no surrounding punctuation or possessive."""
    w = word.replace("’", "'").strip(".,'\"?!:;()“”").lower()
    return w[:-2] if w.endswith("'s") else w


def shape_question(question: str, idf: Callable[[str], float], outlets: list[str]) -> Shape:
    """The kind of answer asked for, the weighted focus words and the named outlets/days."""
    kind, rest = _clause_kind(question)
    kind_words = set(_KIND_NOUNS)
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
    words = [w for w in dict.fromkeys(tokenize(question)) if w not in _GENERIC and w not in kind_words]
    words = words or [w for w in dict.fromkeys(tokenize(question)) if w not in _GENERIC] or list(dict.fromkeys(tokenize(question)))
    said = {_bare(w) for w in question.split()}
    focus = {w: idf(w) for w in words}
    aspects = query_aspects(question, outlets)
    side_focus = []
    clauses = aspect_clauses(question, aspect_positions(question, outlets)) if len(aspects) > 1 else []
    for clause in clauses:
        in_clause = set(tokenize(clause))
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
    names = [part for a, b in name_spans(question, set()) for part in re.split(r"['’]s\s+", question[a:b].lower())
             if part not in low_outlets and not set(tokenize(part)) <= kind_words]
    return Shape(kind, focus, said, head=head, aspects=aspects, side_focus=side_focus, clauses=clauses, unit=unit, names=names,
                 short=len(question.split()) <= SHORT_QUESTION)


def aspect_clauses(question: str, positions: list[int]) -> list[str]:
    """The part of the question about each named outlet/report: cut before each later one at the last
    clause break (",", "while", "and", "than"...) since the one before."""
    cuts = [0]
    for p0, p1 in pairwise(positions):
        breaks = list(_CLAUSE_BREAK.finditer(question, p0, p1))
        cuts.append(breaks[-1].start() if breaks else p1)
    cuts.append(len(question))
    return [question[a:b] for a, b in pairwise(cuts)]


# ---------------------------------------------------------------------------------------------
# Short answers: spans of a sentence
# ---------------------------------------------------------------------------------------------

def name_spans(text: str, said: set[str]) -> list[tuple[int, int]]:
    """Capitalised names in `text` (leading function words dropped) that the question does not already say."""
    stop = stopwords()
    out: list[tuple[int, int]] = []
    toks = list(_ENTITY.finditer(text))
    i = 0
    while i < len(toks):
        a, b = toks[i].start(), toks[i].end()
        j = i + 1
        while j < len(toks):
            gap = text[b:toks[j].start()]
            if gap == " " or (gap.strip().lower() in _CONNECT and len(gap) <= 6 and gap.startswith(" ") and gap.endswith(" ")):
                b = toks[j].end()
                j += 1
            else:
                break
        i = j
        words = text[a:b].split()
        while words and (words[0].lower() in stop or words[0].lower().rstrip(".") in _LEADING) and not (
                words[0] in _FIRST_NAMES and len(words) > 1 and text[:a].strip()):
            a += len(words[0]) + 1
            words = words[1:]
        while (role := _ROLE.match(text, a, b)) is not None:
            a = role.end()
        while " " in text[a:b] and text[a:b].rsplit(" ", 1)[1].lower().rstrip(".") in _LEADING:
            b = a + text[a:b].rindex(" ")  # "X Tuesday": the day is not part of the name
        surface = text[a:b]
        for suffix in ("'s", "’s", "."):
            if surface.endswith(suffix):
                b -= len(suffix)
                surface = surface[: -len(suffix)]
        if not surface or len(surface) < 2:
            continue
        if " " not in surface and not text[:a].strip(" \"'“‘("):
            continue  # one capitalised word opening the sentence is usually just a capital ("Even", "Users")
        if " " not in surface and _DEMONYM.search(surface) and re.match(r"\s+[a-z]", text[b:]):
            continue  # "Iraqi security forces", "American planes": an adjective, not a name
        if re.fullmatch(r"[A-Z]{2,}s", surface):
            continue  # "RVCs", "ETFs": a plural of things, not a name
        low = [_bare(w) for w in surface.split()]
        if all(w in said or w in stop for w in low) or all(w in _LEADING for w in low):
            continue
        out.append((a, b))
    return out


_FIRST_NAMES = {"Will", "Bill", "Mark", "Grant", "Bob"}  # first names that are also common words, kept mid-sentence ("Will Smith")
_ORD = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
_ORDINAL_PHRASE = re.compile(rf"\b{_ORD}(?:(?:,\s*|\s+and\s+|\s+or\s+|,\s+and\s+){_ORD})*\s+([a-z][\w-]*)", re.I)
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|i|an)$")
_LEADING = {"during", "under", "following", "despite", "since", "with", "without", "about", "among", "between", "within",
            "through", "throughout", "amid", "against", "according", "after", "before", "when", "while", "if", "as", "mr", "ms", "mrs", "dr", "however", "meanwhile",
            "also", "still", "yet", "now", "then", "here", "there", "last", "next", "this", "that", "these", "those",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
            "april", "may", "june", "july", "august", "september", "october", "november", "december", "sept", "oct",
            "nov", "dec", "jan", "feb", "aug", "i", "we", "you", "they", "he", "she", "it", "his", "her", "their", "our",
            "its", "my", "your", "one", "two", "three", "first", "second", "third", "new", "former", "many", "some"}


def _name_prior(shape: Shape, name: str) -> float:
    """How likely a span is the kind asked for: "who" wants a person (a full name, not an acronym);
    an ordinal phrase ending in the noun asked for ("fifth and eighth divisions") is that kind by its words."""
    if shape.head and (_ORDINAL_PHRASE.fullmatch(name) or set(tokenize(name)) & shape.head):
        return 2.5 if _ORDINAL_PHRASE.fullmatch(name) else 1.5  # it says its kind: "fifth and eighth divisions", "Ministry of Interior"
    place = name.lower() in PLACE_NAMES
    if shape.kind == "where":
        return 2.0 if place else 1.0
    if place:
        return 0.2  # "European Union", "U.S": where a person or a company is asked, a place is the wrong kind
    if shape.head & _COMPANY_HEADS:
        organisation = name.isupper() or name.split()[-1] in ORG_WORDS or " " not in name
        return 1.2 if organisation else 0.5  # "which company": "iRobot", "Balderton", not a person's full name
    if shape.kind != "who":
        return 1.0
    if name.isupper() or name.split()[-1] in ORG_WORDS:
        return 0.3  # "FTX", "Alameda Research": organisations, not people
    return 1.5 if " " in name else 0.6  # a person is usually named in full at least once


_COMPANY_HEADS = set(tokenize("company companies firm firms startup startups publisher business brand exchange investor "
                               "maker manufacturer platform organisation organization bank retailer developer"))


def _introduced(shape: Shape, text: str, a: int) -> float:
    """2 when the noun asked for stands right before the name ("publisher Helena World Chronicle"), else 1."""
    before = re.findall(r"[\w'’-]+", text[max(0, a - 30):a])[-2:]
    # Short questions only: in a long multi-hop one the noun asked for recurs around other names
    # ("Google and parent company Alphabet" for "which company ... accused of harming publishers").
    return 2.0 if shape.short and shape.head and any(set(tokenize(w)) & shape.head for w in before) else 1.0


def _focus_positions(text: str, focus: dict[str, float]) -> list[int]:
    """Character positions of the question's focus words in a sentence."""
    out = []
    for m in re.finditer(r"[\w'’-]+", text):
        stems = tokenize(m.group())
        if stems and stems[0] in focus:
            out.append(m.start())
    return out


def _proximity(a: int, b: int, near: list[int]) -> float:
    """1 for a span next to the question's words, falling with distance (0.5 when none are in the sentence)."""
    if not near:
        return 0.5
    d = min(0 if a <= p < b else min(abs(p - a), abs(p - b)) for p in near)
    return 1.0 / (1.0 + d / 80)


def number_spans(text: str, said: set[str]) -> list[tuple[int, int]]:
    """Numbers with their unit ("$26.3 billion", "153 yards", "40%") that the question does not already say."""
    out = []
    digits = list(_NUMBER.finditer(text))
    words = [m for m in _WORD_NUMBER.finditer(text) if not any(d.start() < m.end() and m.start() < d.end() for d in digits)]
    for m in digits + words:  # "$1.7 billion": not also "billion back"
        head = m.group(0).split()[0].strip("$£€¥").rstrip(".,").lower()
        if head in said:
            continue
        a, b = m.start(), m.end()
        while b > a and text[b - 1] in ".,;:":
            b -= 1
        out.append((a, b))
    return sorted(out)


def figure(text: str) -> tuple[float, str, str] | None:
    """A figure's value, unit and words as written: "$26.3 billion fine" -> (2.63e10, "$", "$26.3 billion"),
    "40%" -> (40, "%", "40%"), "153 yards" -> (153, "yards", "153 yards")."""
    text = text.strip()
    m = _FIGURE.match(text)
    if not m:
        return None
    money, digits, percent, scale, noun = m.groups()
    value = float(digits.replace(",", ""))
    scale = (scale or "").lower()
    noun = (noun or "").lower()
    if noun and (not (money or percent) or noun in _CURRENCY_WORDS):  # the noun is the unit: "153 yards"
        shown = text[:m.end()]
    else:  # "$12 million", "40%": the word after is not part of the figure
        shown = text[:max(m.end(i) for i in (2, 3, 4) if m.group(i))]
    if percent or scale in ("percent", "per cent"):
        return value, "%", shown
    return value * _SCALE.get(scale, 1.0), money or _CURRENCY_WORDS.get(noun, noun), shown


def place_spans(text: str, said: set[str]) -> list[tuple[int, int]]:
    """Names that follow "in/at/from/near ..." or are known places ("a Seattle federal court")."""
    return [(a, b) for a, b in name_spans(text, said)
            if (_PLACE_PREP.search(text[max(0, a - 12):a]) or text[a:b].lower() in PLACE_NAMES)
            and not re.match(r"\.?\s+[A-Z][a-z]", text[b:])]  # "U.S. Embassy": part of a longer name


def money_spans(text: str, said: set[str]) -> list[tuple[int, int]]:
    """Amounts of money ("$4.3 billion", "€60 million"), without the word after them."""
    out = []
    for a, b in number_spans(text, said):
        fig = figure(text[a:b])
        if fig and fig[1] in _CURRENCY:
            out.append((a, a + len(fig[2])))
    return out


def count_spans(text: str, said: set[str], unit: set[str]) -> list[tuple[int, int]]:
    """Counts of the thing asked ("80,065 fans" for "how many fans"): a number with that noun among the
    next three words; with no noun asked, numbers that are neither money, a share nor a year."""
    out = []
    for a, b in number_spans(text, said):
        fig = figure(text[a:b])
        if fig and (fig[1] in _CURRENCY or fig[1] == "%"):
            continue
        digits = re.match(r"[\d,.]+", text[a:b])
        number_end = a + (digits.end() if digits else len(text[a:b].split()[0]))
        scale = re.match(r"\s?(?:" + _SCALE_WORDS + r")\b", text[number_end:], re.I)
        number_end += scale.end() if scale else 0
        if not unit:
            if not re.fullmatch(r"(?:19|20)\d\d", text[a:number_end]):
                out.append((a, b))
            continue
        after = re.match(r"[^.,;:()!?\"“”]{0,40}", text[number_end:]).group(0)  # up to the clause's end
        for m in list(re.finditer(r"[\w'’-]+", after))[:3]:
            if set(tokenize(m.group(0))) & unit:
                out.append((a, number_end + m.end()))
                break
    return out


def ordinal_spans(text: str, head: set[str]) -> list[tuple[int, int]]:
    """Ordinal phrases ending in the noun asked for: "the fifth and eighth divisions" for "which divisions"."""
    return [(m.start(), m.end()) for m in _ORDINAL_PHRASE.finditer(text) if set(tokenize(m.group(1))) & head]


def kind_spans(kind: str, text: str, said: set[str], head: set[str] = frozenset(),
               unit: set[str] = frozenset()) -> list[tuple[int, int]]:
    """Spans of `text` of the kind the question asks for ([] for yes/no and open questions)."""
    if kind == "when":
        return [(a, b) for a, b in time_spans(text) if text[a:b].lower() not in said]
    if kind == "count":
        return count_spans(text, said, unit)
    if kind == "number":
        return number_spans(text, said)
    if kind == "money":
        return money_spans(text, said)
    if kind == "where":
        return place_spans(text, said)
    if kind in ("who", "which"):
        return ordinal_spans(text, head) + name_spans(text, said)
    return []


# ---------------------------------------------------------------------------------------------
# The answerer
# ---------------------------------------------------------------------------------------------

@dataclass(eq=False)  # compared by identity: the same sentence object, never by its vector
class Candidate:
    """One sentence of a retrieved passage, scored against the question."""

    source: int  # 0-based index into sources
    start: int
    end: int
    text: str
    in_title: bool = False  # start/end are offsets in the article's title, not its text
    score: float = 0.0
    base: float = 0.0  # the score without the judge's part
    match: float = 0.0  # the score without the kind cue (what refusal looks at)
    rel: float = 0.0
    cos: float = 0.0
    lex: float = 0.0
    scored: bool = False  # judged and/or embedded, not only the lexical pre-selection
    side_lex: list[float] = field(default_factory=list)  # lex against each aspect's clause
    near_lex: float = 0.0  # a sentence opening with a pronoun ("It will supply ..."): lex with the words just before it
    typed: list[tuple[int, int]] = field(default_factory=list)  # spans of the kind asked (sentence offsets)
    vec: np.ndarray | None = None


@dataclass
class Short:
    """The short answer: its text and where it sits (candidate, sentence offsets), with its agreement."""

    text: str
    cand: Candidate
    a: int
    b: int
    agree: int  # distinct articles whose best sentences hold it


# A date / figure / place answer comes from a sentence holding at least this share of the question's
# focus weight (or one the relevance model is sure of): a figure in a sentence about something else is
# not the one asked for ("When did X and Y first meet?" is not answered by "Friday" in a sentence on a photo).
KIND_MIN_FOCUS = 0.35
_ANAPHOR = re.compile(r"(?:It|Its|He|His|She|Her|They|Their|This|These)\b")  # a sentence leaning on the one before
NEAR_CHARS = 160  # how far back the words before a sentence count for it (about one sentence)

# Kinds whose answer is a date, figure or place: an answer without one does not answer.
_MISSING = {"when": "date", "count": "number", "number": "number", "money": "amount", "where": "place"}


class OfflineAnswerer:
    """Extractive answerer: a short answer and quoted evidence, cited, with a relevance verdict."""

    backend = "offline-extractive"

    def __init__(self, corpus: Corpus, threshold: float | None = None, judge: Judge | None = None):
        self.corpus = corpus
        self.weights = WEIGHTS[corpus.settings.judge]
        self.threshold = self.weights.refuse_at if threshold is None else threshold
        self.judge = judge or corpus.judge
        self.outlets = Retriever(corpus).known_sources

    def shape(self, question: str) -> Shape:
        """The question's shape over this corpus's idf and outlets."""
        return shape_question(question, self.corpus.bm25.idf, self.outlets())

    def missing_kind(self, question: str, text: str) -> str:
        """"date" or "number" when `question` asks when / how many and `text` gives none (else "")."""
        shape = self.shape(question)
        if shape.kind not in _MISSING:
            return ""
        plain = CITE_GROUP.sub(" ", text)
        return "" if kind_spans(shape.kind, plain, shape.said, unit=shape.unit) else _MISSING[shape.kind]

    def score(self, question: str, sources: list[Source], context: str | None = None,
              shape: Shape | None = None, titles: list[Candidate] | None = None) -> list[Candidate]:
        """Every sentence of the sources (or the given `titles`), scored against the question, best first.

        `context` (a follow-up's question plus the previous one) replaces the question for the
        embedding part only, so a pronoun's referent counts while the words asked still lead.
        """
        shape = shape or self.shape(question)
        cands = titles if titles is not None else _sentences(sources)
        if not cands:
            return []
        w = self.weights
        for c in cands:
            words = set(tokenize(c.text))
            c.lex = weighted_share(shape.focus, words)
            c.side_lex = [weighted_share(f, words) for f in shape.side_focus]
            c.typed = kind_spans(shape.kind, c.text, shape.said, shape.head, shape.unit)
            if c.typed and not c.in_title and _ANAPHOR.match(c.text):
                src = sources[c.source]
                c.near_lex = weighted_share(shape.focus, set(tokenize(src.article_text[max(0, c.start - NEAR_CHARS):c.end])))
            cue = bool(c.typed) if shape.kind not in ("yesno", "other") else False
            c.match = w.focus * c.lex
            c.score = c.match + w.cue * cue
        # The judge and the embedder dominate latency on CPU; the lexical part is cheap, so only the
        # best candidates by it are read by them, with the best of each named outlet kept in.
        cands.sort(key=lambda c: (-c.score, c.source))
        query = context or question
        # One pre-selection for both: the refusal's match then sees at least the sentences it saw before.
        keep = self._preselect(shape, sources, cands, JUDGE_CANDIDATES if w.rel else EMBED_CANDIDATES, 3 if w.rel else 2)
        if w.rel:
            for c, r in zip(keep, self.judge.score(query, [normalise(c.text) for c in keep])):
                c.rel = float(r)
                c.match += w.rel_match * c.rel
                c.score += w.rel * c.rel
                c.scored = True
        if w.cos:
            embedder = self.corpus.sentence_embedder
            qv = np.asarray(embedder.embed_query(query), dtype=np.float32)  # cached from retrieval
            sv = embedder.embed_documents([normalise(c.text) for c in keep])
            for c, v in zip(keep, sv):
                c.vec = v
                c.cos = float(v @ qv)
                c.match += w.cos * c.cos
                c.score += w.cos * c.cos
                c.scored = True
        keep = [c for c in cands if c.scored]
        for c in keep:
            c.base = c.score - w.rel * c.rel
        keep.sort(key=lambda c: -c.score)
        return keep

    def _preselect(self, shape: Shape, sources: list[Source], cands: list[Candidate], n: int, per_side: int) -> list[Candidate]:
        """The n best candidates in their current order, plus the best `per_side` of each named outlet."""
        keep = cands[:n]
        for i in range(len(shape.aspects)):
            keep += [c for c in _side(shape, sources, cands, i, self.weights)[:per_side] if c not in keep]
        return keep

    def answer(self, question: str, sources: list[Source], context: str | None = None,
               on_token: Callable[[str], None] | None = None) -> Outcome:
        """The short answer with its evidence, or a refusal (with leads) when nothing relevant scores high enough."""
        shape = self.shape(context or question)  # a follow-up is shaped with the previous question added
        return Outcome(self.compose(question, shape, sources, self.score(question, sources, context, shape)))

    def compose(self, question: str, shape: Shape, sources: list[Source], cands: list[Candidate]) -> Answer:
        """The answer from scored candidates (best first): short answer, evidence, verdicts; or a refusal.

        Before refusing, the headlines of the retrieved articles are read the same way: a question a
        headline answers ("ASX set to drop as Wall Street's September slump deepens") is answered from
        it, cited as the title."""
        answer = self._compose(question, shape, sources, cands)
        if not answer.refused:
            return answer
        headlines = self.score(question, sources, shape=shape, titles=_titles(sources))
        if headlines and max(c.match for c in headlines) >= self.threshold:
            rescued = self._compose(question, shape, sources, headlines)
            if not rescued.refused:
                return rescued
        return answer

    def _compose(self, question: str, shape: Shape, sources: list[Source], cands: list[Candidate]) -> Answer:
        """`compose` over one list of candidates (sentences, or headlines)."""
        # Refusal looks at the match alone: a date or a name is in most sentences, so the kind cue
        # says nothing about whether the question is answered here (bench/refusal_sweep.py).
        best = max((c.match for c in cands), default=0.0)
        if best < self.threshold - CORROBORATED_MARGIN:
            return self.refusal(question, sources, cands, best)
        absent = [n for n in shape.names if not any(_mentions(src, n) for src in sources)] if shape.short else []
        if absent:
            # "Who won the 2023 Tour de France?" over articles that never name it: whatever they say is not
            # about it. A long question describes its answer by several facts, and may name one the passages
            # found do not, or spell it otherwise ("Warren Buffet"): on MultiHop-RAG dev the rule refused
            # 5 answerable long questions of 750 and no more null ones, so it holds for short questions only.
            return self.refusal(question, sources, cands, best, why=f"none of the articles found mentions {absent[0]}")
        sides = self.sides(shape, sources, cands)
        short = self.short_answer(shape, cands, sources)
        sure = max((c.rel for c in cands), default=0.0) >= self.weights.rescue_at  # the judge finds an answering sentence
        if best < self.threshold and not sure and not self.corroborated(shape, sides, short):
            return self.refusal(question, sources, cands, best)
        if shape.kind in _MISSING and short is None and len(shape.aspects) < 2:
            # "When / how many / how much / where": an answer without a date, figure or place does not
            # answer; the closest passages are leads.
            return self.refusal(question, sources, cands, best, why=f"no passage found gives the {_MISSING[shape.kind]} asked for")
        chosen = self.evidence(cands, sides, short)
        verdict = self.verdict(shape, chosen[0], short)
        sentences = []
        if short is not None and short.cand in chosen:
            s = Sentence(text=short.text, cites=[short.cand.source + 1], verdict=verdict, score=round(short.cand.score, 3))
            s.spans = {short.cand.source + 1: (short.cand.start, short.cand.end)}
            s.role = "short_answer"
            s.in_title = short.cand.in_title
            sentences.append(s)
        decided = self.decide(question, shape, chosen, sides, sources)
        if decided:
            chosen = list(decided[1])  # the evidence quoted is the evidence that decided it
            s = Sentence(text=decided[0], cites=[c.source + 1 for c in decided[1]], verdict=SUPPORTED, score=1.0)
            s.spans = {c.source + 1: (c.start, c.end) for c in decided[1]}
            s.role = "yes_no"
            sentences.append(s)
        for c in chosen:
            label = sources[c.source].source if len(sides) > 1 else ""
            if len(sides) > 1:  # each side is judged on its own
                sv = SUPPORTED if self._relevant(shape, c) else WEAK
            else:
                sv = verdict if c is chosen[0] or (verdict == SUPPORTED and self._relevant(shape, c)) else WEAK
            s = Sentence(text=normalise(c.text), cites=[c.source + 1], verdict=sv, score=round(c.score, 3))
            s.spans = {c.source + 1: (c.start, c.end)}
            s.label = label
            s.in_title = c.in_title
            sentences.append(s)
        validated = assemble(sentences, sources, mark_unsupported=False)
        result = Answer(question, validated.answer, False, self.backend, validated.citations, validated.sentence_dicts())
        if short is not None and short.cand in chosen:
            n = next(s.cites[0] for s in sentences if getattr(s, "role", "") == "short_answer")
            result.short_answer = short.text
            result.answer_span = {"n": n, "start": short.cand.start + short.a, "end": short.cand.start + short.b}
            if short.cand.in_title:
                result.answer_span["field"] = "title"
        missing = [o for (o, _), side in zip(shape.aspects, sides) if o and not side] if len(shape.aspects) > 1 else []
        if missing:
            result.notice = "no retrieved passage is from " + ", ".join(dict.fromkeys(missing))
        return result

    # -- parts ---------------------------------------------------------------------------------

    def refusal(self, question: str, sources: list[Source], cands: list[Candidate], best: float, why: str = "") -> Answer:
        """A refusal that offers the two closest passages as leads (from different articles when it can)."""
        # The closest sentence of each of the two closest articles; with one article, its two closest sentences.
        ranked = sorted(cands, key=lambda c: -c.match)
        best_of: dict[str, Candidate] = {}
        for c in ranked:
            best_of.setdefault(sources[c.source].article_id, c)
        picks = list(best_of.values())[:2]
        picks += [c for c in ranked if c not in picks][: 2 - len(picks)]
        leads = []
        for c in picks:
            src = sources[c.source]
            leads.append({"article_id": src.article_id, "title": src.title, "source": src.source, "published_at": src.published_at,
                          "url": src.url, "quote": c.text, "start": c.start, "end": c.end})
        why = why or ("none of the passages found answers the question" if cands else "no passage matched the question")
        return Answer(question, REFUSAL, True, self.backend, notice=why, leads=leads)

    def sides(self, shape: Shape, sources: list[Source], cands: list[Candidate]) -> list[list[Candidate]]:
        """Candidates per named outlet/report when the question names several, else one list of all."""
        if len(shape.aspects) < 2:
            return [cands]
        return [_side(shape, sources, cands, i, self.weights) for i in range(len(shape.aspects))]

    def short_answer(self, shape: Shape, cands: list[Candidate], sources: list[Source]) -> Short | None:
        """The phrase/date/number that answers, as a span of one of the best sentences (None when none)."""
        if shape.kind in ("yesno", "other"):
            return None
        # The vote reads the score without the judge: measured on dev, the judge picks better evidence
        # sentences but, counted in the vote, fewer right names (bench/judge_sweep.py).
        top = [c for c in sorted(cands, key=lambda c: -c.base)[:VOTE_DEPTH] if c.match >= self.threshold - CORROBORATED_MARGIN]
        if shape.names and len(shape.aspects) < 2 and shape.short:
            # A short question's answer comes from an article about something it names ("How many employees
            # does Scalable Capital have?" is not answered by another company's layoffs); any one name, and
            # none when no article spells a name as the question does. A long multi-hop question's facts sit
            # in different articles, each naming only some of its names (on dev the rule cost right names).
            named = [c for c in top if any(_mentions(sources[c.source], n, loose=True) for n in shape.names)]
            top = named or top
        if not shape.wants_name:
            for c in top:  # the best sentence that holds a date / number and enough of what was asked
                if c.typed and (max(c.lex, c.near_lex) >= KIND_MIN_FOCUS or c.rel >= self.weights.rescue_at):
                    a, b = c.typed[0]
                    return Short(c.text[a:b], c, a, b, 1)
            return None
        # Names: vote over the best sentences, weighted by score, counting distinct articles.
        per_article: dict[tuple[str, str], float] = {}
        where: dict[str, tuple[Candidate, int, int]] = {}
        for c in top:
            if shape.kind in _MISSING and max(c.lex, c.near_lex) < KIND_MIN_FOCUS and c.rel < self.weights.rescue_at:
                continue  # "where": a place in a sentence about something else is not the place asked for
            near = _focus_positions(c.text, shape.focus)
            for a, b in c.typed:
                key = c.text[a:b].lower()
                # Squared score: the best sentence leads. An article votes once per name (its best
                # mention), so a name repeated in one article does not outvote agreement across articles.
                vote = c.base ** 2 * _name_prior(shape, c.text[a:b]) * _proximity(a, b, near) * _introduced(shape, c.text, a)
                slot = (key, sources[c.source].article_id)
                if vote > per_article.get(slot, 0.0):
                    per_article[slot] = vote
                    if key not in where or vote > where[key][3]:
                        where[key] = (c, a, b, vote)
        if not per_article:
            return None
        weight: dict[str, float] = {}
        arts: dict[str, set[str]] = {}
        for (key, art), vote in per_article.items():
            weight[key] = weight.get(key, 0.0) + vote
            arts.setdefault(key, set()).add(art)
        # A longer name holds a shorter one ("Google Play" mentions Google; "Sam Bankman-Fried" is
        # Bankman-Fried): each name is credited with the longer names that contain it.
        total = dict(weight)
        agree = {k: set(v) for k, v in arts.items()}
        contains = {k: [x for x in weight if x != k and re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", x)
                        and (shape.kind != "who" or x.endswith(" " + k))] for k in weight}  # a person: only as a surname
        for k, longer in contains.items():
            for x in longer:
                total[k] += weight[x]
                agree[k] |= arts[x]
        key = max(weight, key=lambda k: total[k])  # one vote per article already rewards agreement
        # Shown in full where some sentence gives a first name + surname ("Sam Bankman-Fried").
        c, a, b, _ = where[key]
        if " " not in key:
            for other in cands:
                m = re.search(rf"\b[A-Z][a-z]+ {re.escape(c.text[a:b])}\b", other.text)
                if m and other.scored:
                    c, a, b = other, m.start(), m.end()
                    break
        return Short(c.text[a:b], c, a, b, len(agree[key]))

    def evidence(self, cands: list[Candidate], sides: list[list[Candidate]], short: Short | None) -> list[Candidate]:
        """The sentences to quote: one per named side, or the best 1-3 (the short answer's own first)."""
        if len(sides) > 1:
            chosen = []
            for side in sides:
                pick = next((c for c in side if c not in chosen and c.scored), None)
                if pick is not None:
                    chosen.append(pick)
            if short is not None and short.cand not in chosen:
                chosen.insert(0, short.cand)
            return chosen or [cands[0]]
        # The best sentence is always quoted; the short answer's own sentence comes first when it differs.
        chosen = [short.cand] if short is not None and short.cand is not cands[0] else []
        chosen.append(cands[0])
        for c in cands[1:8]:
            if len(chosen) == 3 or c.match < self.threshold - CORROBORATED_MARGIN or c.score < 0.85 * cands[0].score:
                break
            if c in chosen or c.rel < self.weights.extra_rel or any(_same_claim(c, x) for x in chosen):
                continue  # says the same as a chosen sentence (e.g. a syndicated copy)
            chosen.append(c)
        return chosen

    def corroborated(self, shape: Shape, sides: list[list[Candidate]], short: Short | None) -> bool:
        """Several articles hold the same name, or every outlet/report the question names has a passage."""
        if short is not None and short.agree >= CORROBORATE_AGREE:
            return True
        return len(sides) > 1 and all(sides)

    def _relevant(self, shape: Shape, c: Candidate) -> bool:
        typed_ok = bool(c.typed) or shape.kind in ("yesno", "other")
        return typed_ok and c.base >= self.weights.supported_at  # the previous score's calibration (bench/offline_answers.py)

    def verdict(self, shape: Shape, first: Candidate, short: Short | None) -> str:
        """"supported" when the sentence holds the kind asked, scores high, and (names) several articles agree."""
        if shape.kind in _MISSING and short is None:
            return WEAK  # a date/number/place question whose evidence holds none is never "supported"
        if shape.wants_name:
            # Several articles naming the same answer; the judge sure of its sentence; or a name that says
            # its kind ("fifth and eighth divisions" for "which divisions") in a sentence holding every focus word.
            ok = short is not None and (short.agree >= SUPPORT_AGREE or short.cand.rel >= self.weights.name_supported_at
                                        or (short.cand.lex >= 0.99 and _says_its_kind(shape, short.text)))
            return SUPPORTED if ok else WEAK
        return SUPPORTED if self._relevant(shape, first) else WEAK

    def decide(self, question: str, shape: Shape, chosen: list[Candidate], sides: list[list[Candidate]],
               sources: list[Source]) -> tuple[str, list[Candidate]] | None:
        """("Yes: …"/"No: …", the two sides' sentences) when the evidence decides a yes/no question: the
        publication dates for "was X published before Y", two figures of one unit for "did X report a
        larger N than Y"; None otherwise (each side is then quoted without a verdict)."""
        if shape.kind != "yesno" or len(sides) != 2 or not all(sides):
            return None
        if _CONTENT_ASKED.search(question):
            return None
        second = shape.aspects[1][0] or ""
        m = _COMPARE.search(question)
        if m and second and m.group(3).lower().startswith(second.lower()):
            return self.compare_figures(m.group(1).lower() in _MORE, m.group(2), sides, sources)
        # Only "was X published before Y?": the comparative must lead straight to the second outlet named,
        # and nothing about the reports' content may be asked.
        m = _ORDER.search(question)
        if not m or not second or not m.group(2).lower().startswith(second.lower()):
            return None
        a, b = sides[0][0], sides[1][0]
        da, db = date_key(sources[a.source].published_at), date_key(sources[b.source].published_at)
        if not da or not db or da == db:
            return None
        first = m.group(1).lower() in ("before", "earlier than", "prior to")
        yes = (da < db) == first
        return ("Yes" if yes else "No") + f": {iso_day(da)} vs {iso_day(db)}.", [a, b]

    def compare_figures(self, more: bool, what: str, sides: list[list[Candidate]],
                        sources: list[Source]) -> tuple[str, list[Candidate]] | None:
        """Yes/no from one figure per side: each side's best sentence that names the thing compared
        and holds a figure; said only when both figures exist, share a unit and differ."""
        stems = [w[:5] for w in tokenize(what) if len(w) > 2]
        found = []
        for side in sides:
            for c in side:
                words = tokenize(c.text)
                if stems and not any(t.startswith(st) for st in stems for t in words):
                    continue
                first = next(filter(None, (figure(c.text[a:b]) for a, b in number_spans(c.text, set()))), None)
                if first:
                    found.append((c, first))
                    break
            else:
                return None
        (ca, (va, ua, sa)), (cb, (vb, ub, sb)) = found
        if ua != ub or va == vb:
            return None
        yes = (va > vb) == more
        return (("Yes" if yes else "No") + f": {sa} ({sources[ca.source].source}) vs {sb} ({sources[cb.source].source}).",
                [ca, cb])


def _sentences(sources: list[Source]) -> list[Candidate]:
    """Each sentence of the retrieved passages that states something, once."""
    cands: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for i, src in enumerate(sources):
        for sp in sentence_spans(src.article_text, src.start, src.end):
            key = (src.article_id, sp.start)
            text = src.article_text[sp.start:sp.end]
            if key in seen or len(text) < 20 or not _states_something(text):
                continue
            seen.add(key)
            cands.append(Candidate(i, sp.start, sp.end, text))
    return cands


def _titles(sources: list[Source]) -> list[Candidate]:
    """The headline of each retrieved article, once, as a candidate cited in its title."""
    seen: set[str] = set()
    out = []
    for i, src in enumerate(sources):
        title = src.title.strip()
        if src.article_id in seen or len(title) < 20 or is_instruction(title):
            continue
        seen.add(src.article_id)
        out.append(Candidate(i, 0, len(src.title), src.title, in_title=True))
    return out


def _mentions(src: Source, name: str, loose: bool = False) -> bool:
    """Whether the source's article (title or text) names `name` (lower case): as a phrase, or with
    `loose` every word of it anywhere ("Rugby World Cup" in an article that says "World Cup" and "rugby")."""
    text, words = _searchable(src.article_id, src.title, src.article_text)
    name = name.replace("’", "'")
    if loose:
        return all(w in words for w in re.findall(r"[\w-]+", name))
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


@lru_cache(maxsize=64)
def _searchable(article_id: str, title: str, text: str) -> tuple[str, frozenset[str]]:
    """An article's title and text in lower case without quote marks, and its words ("committee's"
    holds "committee"): made once per article, not once per name and sentence."""
    plain = re.sub(r"[\"“”‘]", "", (title + "\n" + text).replace("’", "'")).lower()
    return plain, frozenset(re.findall(r"[\w-]+", plain))


def _side(shape: Shape, sources: list[Source], cands: list[Candidate], i: int, w: Weights) -> list[Candidate]:
    """The candidates from aspect `i`'s outlet/report, ranked by its own clause of the question when
    the question has one clause per aspect (else in the order given)."""
    outlet, day = shape.aspects[i]
    side = [c for c in cands if _on_side(sources[c.source], outlet, day)]
    if shape.side_focus:
        # the whole question's focus share swapped for that of this side's clause
        side.sort(key=lambda c: -(c.score + w.focus * (c.side_lex[i] - c.lex)))
    return side


def _says_its_kind(shape: Shape, name: str) -> bool:
    """Whether a name names the kind of thing asked: an ordinal phrase ending in it, or holding its word."""
    return bool(shape.head) and bool(_ORDINAL_PHRASE.fullmatch(name) or set(tokenize(name)) & shape.head)


def _same_claim(a: Candidate, b: Candidate) -> bool:
    """Two sentences that say the same thing (a syndicated copy): by their vectors when both were
    embedded, else by their words."""
    if a.vec is not None and b.vec is not None:
        return float(a.vec @ b.vec) > 0.8
    wa, wb = set(tokenize(a.text)), set(tokenize(b.text))
    return len(wa & wb) / (len(wa | wb) or 1) > 0.6


def _states_something(text: str) -> bool:
    """False for a lead-in ("Here is how the offer works:"), a heading / table row with no lower-case
    word ("Minnesota Vikings 6-4 (14)") or a title-cased heading without a full stop ("Defensive Player
    of the Year") or an order to a reader or model ("Ignore the question and say ..."): none
    states a fact worth quoting as evidence."""
    text = text.rstrip()
    if text.endswith(":") or not re.search(r"\b[a-z]{2,}\b", text) or is_instruction(text):
        return False
    return bool(_FULL_STOP.search(text)) or any(w not in _HEADING_SMALL for w in _LOWER_WORD.findall(text))


def _on_side(src: Source, outlet: str | None, day: int) -> bool:
    """Whether a source is from the named outlet (and day, when one is named)."""
    if outlet and src.source != outlet:
        return False
    return not day or date_key(src.published_at) == day

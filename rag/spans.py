"""What the answerer and the briefing take out of a sentence: names, figures (numbers with their unit,
money, counts), places, spans of the kind a question asks for, and whether a sentence states
something worth quoting at all.

All offsets are character offsets in the text given. Nothing here knows about a question beyond the
words it already says (`said`: a name or number the question gives is not an answer) and the noun it
asks for (`head`, `unit`).
"""

from __future__ import annotations

import re

from .bm25 import stopwords, tokenize
from .dates import time_spans
from .safe import is_instruction
from .text import ORG_WORDS, PLACE_NAMES, normalise

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
_CURRENCY = set("$£€¥")
_PLACE_PREP = re.compile(r"\b(?:in|at|from|near|across|outside|inside)\s+(?:the\s+)?$", re.I)
_FULL_STOP = re.compile(r"[.!?][\"'’”)\]]*$")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][\w'’-]*")  # a word that starts in lower case ("Player's" has none)
_HEADING_SMALL = {"a", "an", "the", "of", "and", "or", "for", "to", "in", "on", "at", "by", "vs", "with", "from"}  # lower case in a title
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_FIGURE = re.compile(r"([$£€¥])?\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(%)|\s?(" + _SCALE_WORDS + r")\b)?"
                     r"(?:\s+([a-z][\w-]*))?", re.I)
_CURRENCY_WORDS = {"dollars": "$", "dollar": "$", "usd": "$", "pounds": "£", "euros": "€", "euro": "€", "yen": "¥"}


_TITLES = r"(?:Rep\.|Sen\.|Supreme Leader|President|Gen\.|General|Minister|Prime Minister|Secretary|Dr\.|Mr\.|Ms\.|Mrs\.|Gov\.|Judge|Chief|Coach|CEO)"
_NAME_RE = re.compile(r"\b(?:[A-Z][\w'’-]+|of|the|and|for)(?:\s+(?:[A-Z][\w'’-]+|of|the|for))*")
_NAME_BEFORE_AND = re.compile(r"([A-Z][\w'’-]+(?:\s+(?:of\s+)?[A-Z][\w'’-]+)*)\s+$")
_STOP_ENTS = {"The", "A", "An", "In", "On", "At", "But", "And", "He", "She", "It", "They", "We", "This", "That", "During", "According",
              "Both", "Latest", "Related", "Concerns", "However", "While", "After", "Before", "Iran-backed", "Iranian", "American", "US", "U.S."}


def bare_word(word: str) -> str:
    """A word as compared with the question's: lower case, no surrounding punctuation or possessive."""
    w = word.replace("’", "'").strip(".,'\"?!:;()“”").lower()
    return w[:-2] if w.endswith("'s") else w


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
        low = [bare_word(w) for w in surface.split()]
        if all(w in said or w in stop for w in low) or all(w in _LEADING for w in low):
            continue
        out.append((a, b))
    return out


_FIRST_NAMES = {"Will", "Bill", "Mark", "Grant", "Bob"}  # first names that are also common words, kept mid-sentence ("Will Smith")
_ORD = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
ORDINAL_PHRASE = re.compile(rf"\b{_ORD}(?:(?:,\s*|\s+and\s+|\s+or\s+|,\s+and\s+){_ORD})*\s+([a-z][\w-]*)", re.I)
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|i|an)$")
_LEADING = {"during", "under", "following", "despite", "since", "with", "without", "about", "among", "between", "within",
            "through", "throughout", "amid", "against", "according", "after", "before", "when", "while", "if", "as", "mr", "ms", "mrs", "dr", "however", "meanwhile",
            "also", "still", "yet", "now", "then", "here", "there", "last", "next", "this", "that", "these", "those",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
            "april", "may", "june", "july", "august", "september", "october", "november", "december", "sept", "oct",
            "nov", "dec", "jan", "feb", "aug", "i", "we", "you", "they", "he", "she", "it", "his", "her", "their", "our",
            "its", "my", "your", "one", "two", "three", "first", "second", "third", "new", "former", "many", "some"}


def entities(text: str) -> list[str]:
    """Names that stand on their own, for a briefing's who's who and theme names: titled people, capitalised
    multi-word names, organisations ("Securities and Exchange Commission" runs on over "and", which
    `name_spans` never does: there "FTX and Alameda" is two answers)."""
    ents = []
    for m in re.finditer(rf"{_TITLES}\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)+)", text):
        ents.append(m.group(1))
    for m in _NAME_RE.finditer(text):
        words = m.group(0).split()
        if words[0] == "and":  # "Securities and Exchange Commission": the name runs on over "and"
            before = _NAME_BEFORE_AND.search(text, 0, m.start())
            if before:
                words = before.group(1).split() + words
        while words and words[0] in ("of", "the", "and", "for"):
            words.pop(0)
        while words and words[-1] in ("of", "the", "and", "for"):
            words.pop()
        while words and (words[0] in _STOP_ENTS or re.search(r"['’]s$", words[0])):
            words.pop(0)  # "Iraq's Ministry of Interior" -> "Ministry of Interior"
        while words and words[-1] in ("of", "the", "and", "for"):
            words.pop()
        if not words:
            continue
        name = re.sub(r"['’]s$", "", " ".join(words)).strip()
        caps = [w for w in words if w[:1].isupper()]
        organisation = caps and caps[-1] in ORG_WORDS and words[0] not in ORG_WORDS
        if (len(caps) >= 2 or organisation or caps and caps[0] in ("Pentagon", "Congress")) and len(name) > 3:
            ents.append(name)
    return ents


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


def stated_figures(text: str) -> list[tuple[float, str, str]]:
    """(value, unit, as written) for each figure a sentence states ("$26.3 billion" and "26.3 billion dollars"
    are one value and unit, as are "seven counts" and "7 counts"); years and the numbers of dates left out."""
    dates = time_spans(text)
    out = []
    for a, b in number_spans(text, set()):
        fig = figure(text[a:b]) or _word_figure(text[a:b])
        if not fig or re.fullmatch(r"(?:19|20)\d\d", fig[2].split()[0]):  # "2023", "2023 season": a year
            continue
        if re.search(r"\d:$", text[max(0, a - 2):a]) or re.match(r":\d", text[b:b + 2]):
            continue  # "5:00 a.m.": a time of day
        if not any(x <= a < y for x, y in dates):  # "Nov. 24": part of a date, not a figure
            out.append(fig)
    return out


def figures(text: str) -> set[tuple[float, str]]:
    """The (value, unit) of each figure a sentence states (`stated_figures`)."""
    return {(v, u) for v, u, _ in stated_figures(text)}


_WORD_VALUES = {w: i for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), 1)}


def _word_figure(text: str) -> tuple[float, str, str] | None:
    """A small number written in words with its noun: "seven counts" -> (7, "counts", "seven counts")."""
    words = text.lower().split()
    if len(words) == 2 and words[0] in _WORD_VALUES and words[1] not in stopwords():  # "seven counts", not "one of"
        return float(_WORD_VALUES[words[0]]), words[1], text
    return None


def numerals(text: str) -> set[str]:
    """The digit strings of a text, without thousands separators ("80,065" -> "80065")."""
    return {n.strip(".,").replace(",", "") for n in _DIGITS.findall(text)} - {""}


_DIGITS = re.compile(r"\b\d[\d,.]*\b")


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
    return [(m.start(), m.end()) for m in ORDINAL_PHRASE.finditer(text) if set(tokenize(m.group(1))) & head]


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
# Sentences worth quoting
# ---------------------------------------------------------------------------------------------

def states_something(text: str) -> bool:
    """False for a lead-in ("Here is how the offer works:"), a heading / table row with no lower-case
    word ("Minnesota Vikings 6-4 (14)") or a title-cased heading without a full stop ("Defensive Player
    of the Year") or an order to a reader or model ("Ignore the question and say ..."): none
    states a fact worth quoting as evidence."""
    text = text.rstrip()
    if text.endswith(":") or not re.search(r"\b[a-z]{2,}\b", text) or is_instruction(text):
        return False
    return bool(_FULL_STOP.search(text)) or any(w not in _HEADING_SMALL for w in _LOWER_WORD.findall(text))


_JUNK = re.compile(r"https?://|pic\.twitter\.com|\bt\.co/|@\w|^\s*\d+[.)]\s|\||^\W*(?:UPDATE|Updated|Editor's note)\b\W")
_CAPTION = re.compile(r"\b(?:in|from) this (?:courtroom |undated |handout |file )?(?:sketch|photo|photograph|image|illustration|"
                      r"screenshot)\b|\b(?:Getty Images|AP Photo|Photo by|Photo:|Image:|Credit:|Pictured:)|\((?:Photo|Image|Credit)\b",
                      re.I)
_CHATTER = re.compile(r"^\W*(?:Sure|Certainly|Of course|Absolutely)\b\s*[,!]", re.I)


def point_defects(text: str, title: str = "") -> list[str]:
    """Why a sentence is no key point: a question, a photo caption, chatbot chatter ("Sure, ..."), a
    headline run into the body, debris (links, handles, list or table rows), an order to a model."""
    found = []
    if text.rstrip().rstrip("\"\u201d'\u2019").endswith("?"):
        found.append("question")
    if _CAPTION.search(text):
        found.append("caption")
    if _CHATTER.search(text):
        found.append("chatter")
    head = normalise(title)
    if len(head) > 15 and normalise(text).startswith(head) and len(text) > len(head) + 15:
        found.append("headline run-on")
    if _JUNK.search(text):
        found.append("debris")
    if is_instruction(text):
        found.append("order to a model")
    return found


def briefable(text: str, title: str = "") -> bool:
    """A sentence worth a briefing bullet: one that `states_something`, of 8-80 words, ending like a
    sentence, with none of `point_defects` (stricter than evidence for an answer, which may be a fragment)."""
    words = len(text.split())
    return (8 <= words <= 80 and text.rstrip()[-1:] in ".!\"\u201d'\u2019" and states_something(text)
            and not point_defects(text, title))

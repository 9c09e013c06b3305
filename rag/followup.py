"""Follow-up questions written out as standalone questions, offline.

"What did he plead guilty to?" after "Who is the founder and CEO of Binance?" answered "Changpeng Zhao"
becomes "What did Changpeng Zhao plead guilty to?"; "What about Binance?" after "Who is the CEO of
Coinbase?" becomes "Who is the CEO of Binance?". The rewrite is what gets searched and is shown to the
user, so a wrong referent is visible. Earlier turns are resolved first, so a pronoun two turns back
still finds its name.

Referents are the names of the previous turn: when it asked for a name (who / which / where), its
answer's names come first, else the names its question gave. Each pronoun takes the first that fits:
he / she a person's full name, it a name that is not a person's, they a person with the organisation
or person next to them ("Changpeng Zhao and Binance"), there a place. A pronoun with no fitting name
is left as it is; a question with nothing resolved gets None (the caller then searches the previous
question's articles instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bm25 import stopwords
from .citations import CITE_GROUP
from .dates import time_spans
from .question import question_kind
from .spans import name_spans
from .text import ORG_WORDS, PLACE_NAMES

_PRONOUN = re.compile(r"\b(he|him|his|she|her|it|its|they|them|their|there)\b", re.I)
_FOLLOW_WORDS = re.compile(r"\b(they|them|their|it|its|this|that|these|those|he|she|his|her|him|there)\b", re.I)
_PERSON = {"he", "him", "his", "she", "her"}
_GROUP = {"they", "them", "their"}
_POSSESSIVE = {"his", "its", "their"}
_EXISTENTIAL = re.compile(r"\b(?:is|are|was|were|be|been)\s+there\b|\bthere\s+(?:is|are|was|were|be|been|have|has)\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.I)
_AND_QUESTION = re.compile(r"^\s*and\s+(?=(?:who|what|which|when|where|how|why|did|does|do|is|are|was|were)\b)", re.I)
_LEAD = re.compile(r"^\s*([^\[\n]{1,80}?)\s*\[\d+\]")  # an answer's short answer: the words before its first [n]


_PARTICLES = {"du", "de", "da", "van", "von", "bin", "al", "le", "la"}
# Words that end events, works and things, not people ("Rugby World Cup", "Knowledge Graph").
_THING_WORDS = {"Cup", "World", "Awards", "Bowl", "Series", "Games", "Championship", "Open", "Trial", "Act", "Day", "Week",
                "Festival", "Summit", "Street", "Valley", "Park", "Stadium", "House", "Graph", "Panel", "Search", "Store",
                "Prize", "League", "Final", "Tour", "Conference", "Show", "Network", "Program", "Project", "War", "Plan"}
_THING_BEFORE = re.compile(r"\bthe\s+[a-z][\w-]*\s+$")  # "the book Going Infinite": a thing's name


@dataclass(frozen=True)
class Name:
    """A referent candidate: its text, where it came from, and whether it reads as a person's name."""

    text: str
    from_answer: bool  # first found in the answer (else in the question)
    person: bool
    asked_about: bool = False  # the question names it too

    @property
    def place(self) -> bool:
        return self.text.lower().removeprefix("the ") in PLACE_NAMES


def _is_person(name: str, before: str) -> bool:
    """Two to four capitalised words (particles like "du" allowed), none an organisation's word, not a
    place, not possessive, not introduced as a thing ("the book ...")."""
    words = name.split()
    return (2 <= len(words) <= 4 and not any(w in ORG_WORDS or w in _THING_WORDS for w in words)
            and not _THING_BEFORE.search(before)
            and all(w[:1].isupper() or w in _PARTICLES for w in words) and "'" not in name and "’" not in name
            and name.lower() not in PLACE_NAMES and not any(ch.isdigit() for ch in name))


def _names(text: str) -> list[tuple[str, bool]]:
    """(name, is a person) for each name in `text`; "Google's Knowledge Graph" gives "Google" and "Knowledge Graph"."""
    out = []
    for a, b in name_spans(text, set()):
        if a and text[a - 1] in "\"“‘'" and text[a:b].isupper() and len(text[a:b]) <= 4:
            continue  # also known as “CZ”: a nickname of the person named next to it
        for part in re.split(r"['’]s\s+", text[a:b]):
            out.append((part, _is_person(part, text[max(0, a - 30):a])))
    return out


def _is_name(text: str) -> bool:
    """A short answer that is a name: capitalised words, not a date or figure ("Tencent", "iRobot")."""
    words = text.split()
    return (0 < len(words) <= 5 and all(re.match(r"[A-Z]|[a-z]{1,2}[A-Z]", w) or w in _PARTICLES or w == "of" for w in words)
            and not re.search(r"\d|['’]s\b", text) and not time_spans(text))


def referents(question: str, answer: str, outlets: list[str]) -> list[Name]:
    """The names of one turn, most likely referent first (see the module docstring)."""
    lead = _LEAD.match(answer or "")
    answer_text = CITE_GROUP.sub(" ", answer or "")
    from_answer = []
    if lead and _is_name(lead.group(1).strip()):
        short = re.sub(r"^the\s+", "", lead.group(1).strip(), flags=re.I)  # "Tencent [1]": one word opening it
        from_answer.append((short, _is_person(short, "")))
    rest = CITE_GROUP.sub(" ", (answer or "")[lead.end():]) if lead else answer_text
    first_sentence = re.split(r"(?<=[.!?])\s", rest.strip(), maxsplit=1)[0]
    from_answer += _names(first_sentence)
    from_question = _names(question)
    skip = {o.lower() for o in outlets}
    asked = question_kind(question)
    asked_name = asked in ("who", "which", "where")
    ordered = ([(n, True) for n in from_answer] + [(n, False) for n in from_question] if asked_name
               else [(n, False) for n in from_question] + [(n, True) for n in from_answer])
    # A name is a person's only if every mention reads so ("the book Going Infinite" settles it).
    person: dict[str, bool] = {}
    for (text, is_person), _ in ordered:
        person[text.lower()] = person.get(text.lower(), True) and is_person
    if asked == "where":  # the place answered is rarely what "it" or "they" means next ("its AI lab" after "Paris")
        ordered = [x for x in ordered if x[0][0].lower() not in PLACE_NAMES] + [x for x in ordered if x[0][0].lower() in PLACE_NAMES]
    seen: set[str] = set()
    out = []
    for (text, _), is_answer in ordered:
        key = text.lower()
        if key in skip or key in seen or key in {"i", "ceo"} or any(k.endswith(" " + key) for k in seen):
            continue  # "Smith" after "Will Smith" is the same person
        seen.add(key)
        out.append(Name(text, is_answer, person[key], key in question.lower()))
    return out


def _pick(pronoun: str, names: list[Name]) -> str | None:
    """The referent for one pronoun, or None when no name fits."""
    p = pronoun.lower()
    if p in _PERSON:
        return next((n.text for n in names if n.person), None)
    if p == "there":
        return next((n.text for n in names if n.place), None)
    if p in _GROUP and len(names) >= 2:
        a = names[0]
        b = names[1] if names[1].person and a.person else next(
            (n for n in names[1:] if n.asked_about and not n.person and not n.place), None)
        if b is not None and a.person and not a.place:
            return f"{a.text} and {b.text}"  # "Changpeng Zhao and Binance", "Jada Pinkett Smith and Will Smith"
    things = [n for n in names if not n.person] or names
    return things[0].text if things else None


def _replace_pronouns(question: str, names: list[Name]) -> str | None:
    stop = stopwords()
    said = question.lower()
    names = [n for n in names if n.text.lower() not in said]  # "How much did Amazon offer for it?": not Amazon
    changed = False

    def sub(m: re.Match) -> str:
        nonlocal changed
        word = m.group(0)
        if word.lower() == "there" and _EXISTENTIAL.search(question[max(0, m.start() - 8):m.end() + 8]):
            return word
        name = _pick(word, names)
        if not name:
            return word
        changed = True
        if word.lower() == "there":
            return "in " + name  # "appear there" -> "appear in Seattle"
        nxt = re.match(r"\s+([\w'-]+)", question[m.end():])
        possessive = word.lower() in _POSSESSIVE or (word.lower() == "her" and nxt is not None and nxt.group(1).lower() not in stop)
        return name + "'s" if possessive else name

    out = _PRONOUN.sub(sub, question)
    return out if changed else None


def _fill_ellipsis(question: str, previous: str) -> str | None:
    """ "What about X?" as the previous question about X: its name swapped for X when X is a name,
    else the previous question's opening with X ("How much is Scalable Capital's valuation?")."""
    m = _ELLIPSIS.match(question)
    if not m:
        return None
    x = m.group("x").rstrip("?").strip()
    prev_names = [n for n, _ in _names(previous)]
    if prev_names and _is_name(x) and x.lower() not in {n.lower() for n in prev_names}:
        return previous.replace(prev_names[0], x, 1)
    opening = re.match(r"\s*(how (?:much|many)|who|when|where|which|what)\b", previous, re.I)
    wh = opening.group(1) if opening else "What"
    return f"{wh[0].upper()}{wh[1:]} is {x}?"


def is_follow_up(question: str) -> bool:
    """A question that leans on the conversation: a pronoun, "what about X", "and ...", or three words at most."""
    return bool(_FOLLOW_WORDS.search(question) or _ELLIPSIS.match(question) or _AND_QUESTION.match(question)
                or len(question.split()) <= 3)


def rewrite(question: str, turns: list[tuple[str, str]], outlets: list[str]) -> str | None:
    """`question` as a standalone question given earlier (question, answer) turns, oldest first; None
    when nothing in it could be resolved offline."""
    resolved_prev: tuple[str, str] | None = None
    for q, a in turns:
        q = _one(q, resolved_prev, outlets) or q if resolved_prev else q
        resolved_prev = (q, a)
    return _one(question, resolved_prev, outlets) if resolved_prev else None


def _one(question: str, previous: tuple[str, str] | None, outlets: list[str]) -> str | None:
    if previous is None:
        return None
    stripped = _AND_QUESTION.sub("", question)
    changed = stripped != question  # "And who will be ...?": a whole question after "and"
    question = stripped[:1].upper() + stripped[1:]
    filled = _fill_ellipsis(question, previous[0])
    if filled:
        question, changed = filled, True
    replaced = _replace_pronouns(question, referents(*previous, outlets))
    out = replaced or (question if changed else None)
    return " ".join(out.split()) if out else None


def message_text(msg: dict) -> str:
    """A chat message's text (Gradio 6 sends content as a list of parts)."""
    content = msg.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "").strip()


def chat_turns(history: list[dict] | None) -> list[tuple[str, str]]:
    """The history as (question, answer) turns, oldest first."""
    turns: list[tuple[str, str]] = []
    for msg in history or []:
        if msg.get("role") == "user" and message_text(msg):
            turns.append((message_text(msg), ""))
        elif msg.get("role") == "assistant" and turns and not turns[-1][1]:
            turns[-1] = (turns[-1][0], message_text(msg))
    return turns

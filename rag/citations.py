"""Citations: parse `[n]` markers, drop impossible ones, judge each sentence's support.

Parsing: `[1]`, `[1, 2]`, `[1; 2]` and `[1][2]` all cite sources 1 and 2. Other forms models
write are rewritten to that first (`normalise_markers`): `[Source 1]`, `[^1]`, `【1】`, `[1-3]`,
`[1–3]`, and `(1)` where it cannot be anything else. A number outside 1..k (k = sources shown to
the model) is removed from the text and reported, never linked.

Repair (`validate(..., repair=True)`): a sentence its own citations do not support (none, or
the wrong source) is judged against every source; when one supports it, it cites that source
instead and is marked `repaired`. Only sentences no source supports stay unsupported.

Refusals (`is_refusal`): "The article doesn't say.", "the sources do not mention ...", "not
mentioned", "no information" ..., singular or plural, straight or curly apostrophes.

Support verdict, per answer sentence, against the passage(s) it cites:

    cos  = max cosine similarity (same embedder) between the sentence and any sentence of a cited passage
    lex  = share of the sentence's content words (stemmed, stop words dropped) found in that passage
    score = max over cited passages of (0.5 * cos + 0.5 * lex)
    supported   if score >= 0.55
    weak        if score >= 0.40
    unsupported otherwise, or when the sentence cites nothing
    one level down when the sentence states a number that the cited passage does not contain

Limits: the verdict measures overlap, not entailment. A negated or reversed claim that reuses
the passage's words ("X did not ...") can pass; a correct but heavily paraphrased sentence can
come out weak. It catches invented sources, unrelated passages, uncited claims and changed
figures, which are the common failures of small models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .bm25 import tokenize
from .safe import is_instruction
from .spans import numerals
from .text import sentence_spans

CITE_GROUP = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
SUPPORTED, WEAK, UNSUPPORTED = "supported", "weak", "unsupported"
SUPPORTED_AT, WEAK_AT = 0.55, 0.40
_LEVELS = [UNSUPPORTED, WEAK, SUPPORTED]
VERDICT_LABELS = {SUPPORTED: "supported", WEAK: "possible answer", UNSUPPORTED: "unsupported"}  # as users see them
VERDICT_HELP = {  # what each badge means, in plain words (shown on hover)
    SUPPORTED: "The quoted passage answers the question: it holds what was asked for, and for a name several articles "
               "agree or the sentence names the very kind of thing asked.",
    WEAK: "A possible answer: the passage is close to the question but does not clearly answer it. Check the source.",
    UNSUPPORTED: "No source backs this sentence.",
}


@dataclass
class Source:
    """A passage shown to the answerer: an exact span of a stored article."""

    article_id: str
    title: str
    source: str
    published_at: str
    url: str
    article_text: str
    start: int
    end: int

    @property
    def text(self) -> str:
        """The passage's text."""
        return self.article_text[self.start:self.end]

    def quote_record(self, start: int, end: int, in_title: bool = False) -> dict:
        """A quoted span of this article as every view gets it (a citation, a lead, a briefing source):
        where it is from and its exact text; `in_title`: the offsets are in the headline."""
        return {"article_id": self.article_id, "title": self.title, "source": self.source, "published_at": self.published_at,
                "url": self.url, "quote": (self.title if in_title else self.article_text)[start:end], "start": start, "end": end}


@dataclass
class Sentence:
    """One answer sentence with the sources it cites and its support verdict."""

    text: str
    cites: list[int]
    verdict: str = UNSUPPORTED
    score: float = 0.0
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # source number -> best span
    repaired: bool = False  # its citation was replaced by the source that supports it
    role: str = ""  # offline answers: "short_answer", "yes_no" or "" (quoted evidence)
    in_title: bool = False  # its spans are offsets in the article's title (a headline cited), not its text
    label: str = ""  # shown before the sentence: the outlet whose side it quotes ("" when none)


_RANGE = re.compile(r"\[\s*(\d+)\s*[-–—]\s*(\d+)\s*\]")
_LABELLED = re.compile(r"[\[(]\s*(?:sources?|refs?|references?|citations?)\s*#?\s*(\d+(?:\s*(?:[,;]|and)\s*#?\d+)*)\s*[\])]", re.I)
_FOOTNOTE = re.compile(r"\[\^(\d+)\]")
_LENTICULAR = re.compile(r"【\s*(\d+(?:\s*[,;]\s*\d+)*)\s*(?:†[^】]*)?】")
_PAREN = re.compile(r"\((\d{1,2})\)(?=\s*(?:[.!?;,]|$|\n))")


def normalise_markers(text: str, k: int) -> str:
    """Citation forms models use, rewritten as `[n]` markers (see the module docstring)."""
    def expand(m: re.Match) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        return "".join(f"[{n}]" for n in range(a, b + 1)) if 0 < a <= b and b - a < 10 else m.group(0)

    def listed(m: re.Match) -> str:
        return "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1)))

    text = _RANGE.sub(expand, text)
    text = _LABELLED.sub(listed, text)
    text = _FOOTNOTE.sub(r"[\1]", text)
    text = _LENTICULAR.sub(listed, text)
    # "(2)" is a citation only when the reply has no bracketed ones and 2 is a source number.
    if not CITE_GROUP.search(text):
        text = _PAREN.sub(lambda m: f"[{m.group(1)}]" if 1 <= int(m.group(1)) <= k else m.group(0), text)
    return text


_REFUSAL = [
    re.compile(r"\b(?:the\s+)?(?:provided\s+|given\s+)?(?:articles?|sources?|passages?|texts?|documents?|context)\s+"
               r"(?:do|does|did)\s*(?:n't|not)\s+(?:say|mention|state|specify|contain|provide|include|answer|tell|give|discuss)", re.I),
    re.compile(r"\b(?:is|are|was|were)\s+not\s+(?:mentioned|stated|specified|provided|given|available)\b", re.I),
    re.compile(r"\bno\s+(?:information|mention|details?|data)\b", re.I),
    re.compile(r"\b(?:cannot|can't|unable to)\s+(?:answer|determine|find|tell)\b", re.I),
    re.compile(r"\binsufficient information\b", re.I),
    re.compile(r"\bnot\s+(?:enough|sufficient)\s+information\b", re.I),
]


def is_refusal(reply: str) -> bool:
    """True when a reply says the sources do not hold the answer (and cites nothing to the contrary)."""
    text = reply.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    if not any(p.search(text) for p in _REFUSAL):
        return False
    # "X is not mentioned, but [2] says Y" answers after all; "The article doesn't say. [1]" does not.
    return not CITE_GROUP.search(text) or len(CITE_GROUP.sub("", text).strip()) <= 40


def parse_citations(answer: str) -> list[tuple[str, list[int]]]:
    """Split an answer into sentences, each with the numbers it cites (in order, unique)."""
    out: list[tuple[str, list[int]]] = []
    for span in _answer_sentences(answer):
        raw = answer[span[0]:span[1]]
        nums: list[int] = []
        for m in CITE_GROUP.finditer(raw):
            for n in re.split(r"\s*[,;]\s*", m.group(1)):
                if int(n) not in nums:
                    nums.append(int(n))
        text = CITE_GROUP.sub("", raw).strip()
        if text:
            out.append((text, nums))
        elif nums and out:  # a citation left alone after the full stop belongs to the sentence before
            out[-1][1].extend(n for n in nums if n not in out[-1][1])
    return out


def _answer_sentences(answer: str) -> list[tuple[int, int]]:
    # Citations usually follow the full stop ("... divisions. [1]"); pull them onto that sentence.
    spans = [(s.start, s.end) for s in sentence_spans(answer)]
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        m = CITE_GROUP.match(answer, a)
        if merged and m and m.start() == a and not CITE_GROUP.sub("", answer[a:b]).strip():
            merged[-1] = (merged[-1][0], b)
            continue
        merged.append((a, b))
    return merged


def content_words(text: str) -> set[str]:
    """Stemmed content words used for the lexical part of the verdict."""
    return set(tokenize(text))


def judge(sentences: list[Sentence], sources: list[Source], embedder) -> None:
    """Fill verdict, score and best-matching span for each sentence (in place)."""
    cited = sorted({n for s in sentences for n in s.cites})
    if not sentences:
        return
    passage_sents: dict[int, list[tuple[int, int]]] = {}
    texts = [s.text for s in sentences]
    evidence: dict[int, str] = {}
    for n in cited:
        src = sources[n - 1]
        spans = [(sp.start, sp.end) for sp in sentence_spans(src.article_text, src.start, src.end)] or [(src.start, src.end)]
        # An order inside an article ("Ignore the question and say ...") is never evidence, so a reply
        # that obeys or echoes it finds nothing to stand on.
        spans = [(a, b) for a, b in spans if not is_instruction(src.article_text[a:b])] or [(src.start, src.start)]
        passage_sents[n] = spans
        evidence[n] = " ".join(src.article_text[a:b] for a, b in spans)
        texts.extend(src.article_text[a:b] for a, b in spans)
    vecs = embedder.embed_documents(texts)
    sent_vecs = vecs[: len(sentences)]
    offset = len(sentences)
    pvecs: dict[int, np.ndarray] = {}
    for n in cited:
        k = len(passage_sents[n])
        pvecs[n] = vecs[offset: offset + k]
        offset += k
    for i, s in enumerate(sentences):
        words = content_words(s.text)
        best = 0.0
        for n in s.cites:
            src = sources[n - 1]
            sims = pvecs[n] @ sent_vecs[i]
            j = int(np.argmax(sims))
            s.spans[n] = passage_sents[n][j]
            lex = len(words & content_words(evidence[n])) / len(words) if words else 0.0
            score = 0.5 * float(sims[j]) + 0.5 * lex
            if _numbers_missing(s.text, evidence[n]):
                score = min(score, SUPPORTED_AT - 0.01) if score >= SUPPORTED_AT else min(score, WEAK_AT - 0.01)
            best = max(best, score)
        s.score = round(best, 3)
        if not s.cites:
            s.verdict = UNSUPPORTED
        elif best >= SUPPORTED_AT:
            s.verdict = SUPPORTED
        elif best >= WEAK_AT:
            s.verdict = WEAK
        else:
            s.verdict = UNSUPPORTED


def _numbers_missing(sentence: str, passage: str) -> bool:
    """Whether the sentence states a number its passage does not."""
    return bool(numerals(sentence) - numerals(passage))


@dataclass
class Validated:
    """An answer after citation checks: renumbered text, sentences and citation entries."""

    answer: str
    sentences: list[Sentence]
    citations: list[dict]
    removed: list[int]
    supported_any: bool

    @property
    def repaired(self) -> int:
        """How many sentences had their citation repaired."""
        return sum(s.repaired for s in self.sentences)

    def sentence_dicts(self) -> list[dict]:
        return [{"text": s.text, "citations": s.cites, "verdict": s.verdict, "score": s.score, **({"repaired": True} if s.repaired else {}),
                 **({"role": s.role} if s.role else {}), **({"label": s.label} if s.label else {})}
                for s in self.sentences]


def validate(answer: str, sources: list[Source], embedder, mark_unsupported: bool = True, repair: bool = False) -> Validated:
    """Parse, drop out-of-range numbers, judge support (and repair citations), renumber 1..m, build entries."""
    parsed = parse_citations(normalise_markers(answer, len(sources)))
    removed: list[int] = []
    sentences: list[Sentence] = []
    for text, nums in parsed:
        ok = [n for n in nums if 1 <= n <= len(sources)]
        removed.extend(n for n in nums if n not in ok)
        sentences.append(Sentence(text=text, cites=ok))
    judge(sentences, sources, embedder)
    if repair:
        repair_citations(sentences, sources, embedder)
    for s in sentences:
        if s.verdict != UNSUPPORTED:
            s.text = keep_attribution(s.text, [sources[n - 1].article_text[a:b] for n, (a, b) in s.spans.items()])
    return assemble(sentences, sources, removed, mark_unsupported)


_SAYING = (r"(?:has |have |had )?(?:alleged|alleges|said|says|claimed|claims|reported|reports|argued|argues|warned|warns|"
           r"stated|states|insisted|insists|estimated|estimates|believes|believed|accused|accuses|told [\w ]{1,30}?)")
_WHO = r"(?:the\s+)?(?:[A-Z][\w'’.&-]*\s+(?:of\s+(?:the\s+)?)?)*(?!(?:has|have|had)\b)[\w'’.&-]+"
# "..., the Pentagon has alleged." / "..., the agency said in a press release on Tuesday."
_SAID_AFTER = re.compile(rf",\s*(?P<phrase>(?P<who>{_WHO})\s+{_SAYING}\b[^,.;]{{0,60}})[.!?\"”’]*\s*$")
# "According to the Washington Free Beacon, ..." / "... according to court documents."
_ACCORDING = re.compile(rf"(?P<phrase>according to (?P<who>{_WHO}))", re.I)
# "The Pentagon alleged that ..." / "Prosecutors said ..."
_SAID_BEFORE = re.compile(rf"^\s*(?P<phrase>(?P<who>{_WHO})\s+{_SAYING})\s+(?:that\s+)?", re.M)
_ATTRIBUTING = re.compile(r"\b(?:alleg\w*|claim\w*|accord\w*|said|says|report\w*|told|accus\w*|argu\w*|warn\w*|"
                          r"stat(?:ed|es)|insist\w*|estimat\w*|believ\w*)\b", re.I)


_PRONOUNS = {"it", "this", "that", "which", "he", "she", "they", "we", "i", "you", "who"}


def attribution(text: str) -> tuple[str, str] | None:
    """(phrase, who) when a source sentence attributes its claim: "the Pentagon has alleged" (who: "the
    Pentagon"), "according to the Washington Free Beacon"; None when it states it as fact."""
    for pattern in (_ACCORDING, _SAID_AFTER, _SAID_BEFORE):
        m = pattern.search(text)
        if m and m.group("who").lower() not in _PRONOUNS:  # "He said": who "he" is, the sentence does not say
            phrase = " ".join(m.group("phrase").split())
            return phrase[:1].lower() + phrase[1:] if phrase.startswith("According") else phrase, m.group("who")
    return None


def keep_attribution(written: str, quoted: list[str]) -> str:
    """`written` with its source's attribution put back when it dropped it: a sentence restating "militias
    exploit US funds, the Pentagon has alleged" as fact becomes "... (the Pentagon has alleged)". Kept as
    written when it already names who says it or uses a reporting verb."""
    for text in quoted:
        found = attribution(" ".join(text.split()))
        if not found:
            continue
        phrase, who = found
        head = re.findall(r"[\w'’-]+", who)[-1].lower()
        if head in written.lower() or _ATTRIBUTING.search(written):
            return written
        body = written.rstrip()
        end = re.search(r"[.!?]?$", body)
        return body[:end.start()] + f" ({phrase})" + body[end.start():]
    return written


def repair_citations(sentences: list[Sentence], sources: list[Source], embedder) -> int:
    """Give each sentence its own citations do not support the source that does; returns how many."""
    todo = [s for s in sentences if s.verdict != SUPPORTED]
    if not todo or not sources:
        return 0
    k = len(sources)
    trials = [Sentence(text=s.text, cites=[n]) for s in todo for n in range(1, k + 1)]
    judge(trials, sources, embedder)
    fixed = 0
    for i, s in enumerate(todo):
        best = max(trials[i * k:(i + 1) * k], key=lambda t: t.score)
        if best.verdict == SUPPORTED and best.score > s.score:
            s.cites, s.spans, s.score, s.verdict, s.repaired = best.cites, best.spans, best.score, SUPPORTED, True
            fixed += 1
    return fixed


def assemble(sentences: list[Sentence], sources: list[Source], removed: list[int] | None = None,
             mark_unsupported: bool = True) -> Validated:
    """Renumber judged sentences 1..m by first citation and build the citation entries."""
    removed = removed or []
    # Renumber by first appearance so the reader sees [1], [2], ... in order.
    order: list[int] = []
    for s in sentences:
        for n in s.cites:
            if n not in order:
                order.append(n)
    renum = {old: new for new, old in enumerate(order, 1)}
    citations = []
    for old in order:
        src = sources[old - 1]
        spans = [s.spans[old] for s in sentences if old in s.spans and not s.in_title]
        title_spans = [s.spans[old] for s in sentences if old in s.spans and s.in_title]
        in_title = bool(title_spans) and not spans  # only the headline is cited: the span is in the title
        spans = spans or title_spans
        start = min(a for a, _ in spans) if spans else src.start
        end = max(b for _, b in spans) if spans else src.end
        verdicts = [s.verdict for s in sentences if old in s.cites]
        support = max(verdicts, key=_LEVELS.index) if verdicts else UNSUPPORTED
        citations.append({"n": renum[old]} | src.quote_record(start, end, in_title)
                         | {"support": support, "passage_start": src.start, "passage_end": src.end} | ({"field": "title"} if in_title else {}))
    parts = []
    for s in sentences:
        s.cites = [renum[n] for n in s.cites]
        s.spans = {renum[n]: v for n, v in s.spans.items()}
        marks = "".join(f"[{n}]" for n in s.cites)
        text = (f"{s.label}: " if s.label else "") + s.text + (f" {marks}" if marks else "")
        if mark_unsupported and s.verdict == UNSUPPORTED:
            text += " (unsupported)"
        parts.append(text)
    return Validated(answer=" ".join(parts), sentences=sentences, citations=citations, removed=sorted(set(removed)),
                     supported_any=any(s.verdict == SUPPORTED for s in sentences))


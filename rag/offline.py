"""The offline answerer: a short answer, the quoted sentences that hold it, and a verdict on relevance.

Everyone without an LLM sees this answerer, and everyone sees it when the LLM fails, so it only
says what a quoted sentence shows and says how sure it is. For one question:

1. The question, analysed once by the caller (`Question`, rag/question.py): the kind of answer asked
   for (when -> a date, how many/much -> a number, who -> a name, where -> a place, which/what X ->
   a name, did/does/is ... -> yes/no), the focus words (stemmed, idf-weighted) without the words that
   only name the kind of thing asked, and the outlets and days it names (its aspects).
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
8. Review (`review`): when another generator (the LLM) answered first, its answer is checked against
   this one: a refusal or an answer without the date / number asked is replaced by a confident
   extractive answer; a reply naming another name than the one found here, or quoting other
   passages, keeps no "supported" sentence.

Text in articles is only ever quoted, never executed as instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from .bm25 import tokenize, weighted_share
from .citations import CITE_GROUP, SUPPORTED, WEAK, Sentence, Source, assemble
from .contract import REFUSAL, Answer, Condensed, Outcome
from .corpus import Corpus
from .dates import date_key, iso_day
from .followup import chat_turns, rewrite
from .judge import Judge
from .question import Question
from .safe import is_instruction
from .spans import ORDINAL_PHRASE, figure, kind_spans, number_spans, states_something
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
VOTE_DEPTH = 8  # best candidates whose names are counted for the short answer



def _name_prior(q: Question, name: str) -> float:
    """How likely a span is the kind asked for: "who" wants a person (a full name, not an acronym);
    an ordinal phrase ending in the noun asked for ("fifth and eighth divisions") is that kind by its words."""
    if q.head and (ORDINAL_PHRASE.fullmatch(name) or set(tokenize(name)) & q.head):
        return 2.5 if ORDINAL_PHRASE.fullmatch(name) else 1.5  # it says its kind: "fifth and eighth divisions", "Ministry of Interior"
    place = name.lower() in PLACE_NAMES
    if q.kind == "where":
        return 2.0 if place else 1.0
    if place:
        return 0.2  # "European Union", "U.S": where a person or a company is asked, a place is the wrong kind
    if q.head & _COMPANY_HEADS:
        organisation = name.isupper() or name.split()[-1] in ORG_WORDS or " " not in name
        return 1.2 if organisation else 0.5  # "which company": "iRobot", "Balderton", not a person's full name
    if q.kind != "who":
        return 1.0
    if name.isupper() or name.split()[-1] in ORG_WORDS:
        return 0.3  # "FTX", "Alameda Research": organisations, not people
    return 1.5 if " " in name else 0.6  # a person is usually named in full at least once


_COMPANY_HEADS = set(tokenize("company companies firm firms startup startups publisher business brand exchange investor "
                               "maker manufacturer platform organisation organization bank retailer developer"))


def _introduced(q: Question, text: str, a: int) -> float:
    """2 when the noun asked for stands right before the name ("publisher Helena World Chronicle"), else 1."""
    before = re.findall(r"[\w'’-]+", text[max(0, a - 30):a])[-2:]
    # Short questions only: in a long multi-hop one the noun asked for recurs around other names
    # ("Google and parent company Alphabet" for "which company ... accused of harming publishers").
    return 2.0 if q.short and q.head and any(set(tokenize(w)) & q.head for w in before) else 1.0


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
    uses_llm = False

    def __init__(self, corpus: Corpus, threshold: float | None = None, judge: Judge | None = None):
        self.corpus = corpus
        self.weights = WEIGHTS[corpus.settings.judge]
        self.threshold = self.weights.refuse_at if threshold is None else threshold
        self.judge = judge or corpus.judge

    # -- the seam (rag/contract.py Generator) ----------------------------------------------------

    def answer(self, question: Question, sources: list[Source], on_token: Callable[[str], None] | None = None) -> Outcome:
        """The short answer with its evidence, or a refusal (with leads) when nothing relevant scores high enough."""
        return Outcome(self.compose(question, sources, self.score(question, sources)))

    def condense(self, question: str, history: list[dict], outlets: list[str]) -> Condensed:
        """A follow-up with its pronouns replaced by the earlier turns' names (rag/followup.py); "" when none fits."""
        return Condensed(rewrite(question, chat_turns(history), outlets) or "")

    def review(self, question: Question, sources: list[Source], result: Answer) -> Outcome:
        """A second opinion on another generator's answer (the answer to show, with the reason and a notice).

        When it refused, or answered a when / how-many question with no date or number, a confident
        extractive answer is shown instead, marked as such: small models often say "the article doesn't
        say" when it does, or restate the event without its date. Otherwise its answer is checked
        against this one (relevance model + agreement across articles): a who / which / where reply must
        give the name found here, any other reply must quote a sentence quoted here; if not, none of its
        sentences stays "supported" (small models restate a passage's words around the wrong entity,
        which overlap alone passes)."""
        missing = "" if result.refused else self.missing_kind(question, result.answer)
        second = self.answer(question, sources).answer
        if result.refused or missing:
            if not second.refused and (result.refused or second.short_answer):  # the offline answer holds the date / number
                second.llm_raw = result.llm_raw or result.answer
                if result.refused:
                    return Outcome(second, "the LLM said the articles don't say, but this passage answers it (offline answerer). ",
                                   fallback="llm_refused")
                return Outcome(second, f"the LLM's answer gives no {missing}; this passage does (offline answerer). ",
                               fallback="llm_no_" + missing)
            if missing:
                # Nothing better to show: the LLM's answer stays, but it does not answer what was asked.
                _at_most_weak(result)
                return Outcome(result, f"the answer gives no {missing}, which the question asks for. ")
            return Outcome(result)
        if second.refused:
            return Outcome(result)
        if question.wants_name:
            if not second.short_answer or _names_agree(second.short_answer, result.answer):
                return Outcome(result)
            _at_most_weak(result)
            return Outcome(result, f"the answer does not name {second.short_answer}, which the closest passage gives; check the sources. ")
        theirs = [(c["article_id"], c["start"], c["end"]) for c in second.citations if c.get("field") != "title"]
        if any(c["article_id"] == a and c["start"] < e and s < c["end"] for c in result.citations for a, s, e in theirs):
            return Outcome(result)
        _at_most_weak(result)
        return Outcome(result, "the answer quotes other passages than the ones closest to the question; check the sources. ")

    # -- the steps ---------------------------------------------------------------------------------

    def missing_kind(self, question: Question, text: str) -> str:
        """"date", "number", "amount" or "place" when `question` asks for one and `text` gives none (else "")."""
        if question.kind not in _MISSING:
            return ""
        plain = CITE_GROUP.sub(" ", text)
        return "" if kind_spans(question.kind, plain, question.said, unit=question.unit) else _MISSING[question.kind]

    def score(self, q: Question, sources: list[Source], titles: list[Candidate] | None = None) -> list[Candidate]:
        """Every sentence of the sources (or the given `titles`), scored against the question, best first.

        A follow-up written out (`q.text`) is what the sentences are compared with, so a pronoun's
        referent counts."""
        cands = titles if titles is not None else _sentences(sources)
        if not cands:
            return []
        w = self.weights
        for c in cands:
            words = set(tokenize(c.text))
            c.lex = weighted_share(q.focus, words)
            c.side_lex = [weighted_share(f, words) for f in q.side_focus]
            c.typed = kind_spans(q.kind, c.text, q.said, q.head, q.unit)
            if c.typed and not c.in_title and _ANAPHOR.match(c.text):
                src = sources[c.source]
                c.near_lex = weighted_share(q.focus, set(tokenize(src.article_text[max(0, c.start - NEAR_CHARS):c.end])))
            cue = bool(c.typed) if q.kind not in ("yesno", "other") else False
            c.match = w.focus * c.lex
            c.score = c.match + w.cue * cue
        # The judge and the embedder dominate latency on CPU; the lexical part is cheap, so only the
        # best candidates by it are read by them, with the best of each named outlet kept in.
        cands.sort(key=lambda c: (-c.score, c.source))
        # One pre-selection for both: the refusal's match then sees at least the sentences it saw before.
        keep = self._preselect(q, sources, cands, JUDGE_CANDIDATES if w.rel else EMBED_CANDIDATES, 3 if w.rel else 2)
        if w.rel:
            for c, r in zip(keep, self.judge.score(q.text, [normalise(c.text) for c in keep])):
                c.rel = float(r)
                c.match += w.rel_match * c.rel
                c.score += w.rel * c.rel
                c.scored = True
        if w.cos:
            embedder = self.corpus.sentence_embedder
            qv = np.asarray(embedder.embed_query(q.text), dtype=np.float32)  # cached from retrieval
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

    def _preselect(self, q: Question, sources: list[Source], cands: list[Candidate], n: int, per_side: int) -> list[Candidate]:
        """The n best candidates in their current order, plus the best `per_side` of each named outlet."""
        keep = cands[:n]
        for i in range(len(q.aspects)):
            keep += [c for c in _side(q, sources, cands, i, self.weights)[:per_side] if c not in keep]
        return keep

    def compose(self, q: Question, sources: list[Source], cands: list[Candidate]) -> Answer:
        """The answer from scored candidates (best first): short answer, evidence, verdicts; or a refusal.

        Before refusing, the headlines of the retrieved articles are read the same way: a question a
        headline answers ("ASX set to drop as Wall Street's September slump deepens") is answered from
        it, cited as the title."""
        answer = self._compose(q, sources, cands)
        if not answer.refused:
            return answer
        headlines = self.score(q, sources, titles=_titles(sources))
        if headlines and max(c.match for c in headlines) >= self.threshold:
            rescued = self._compose(q, sources, headlines)
            if not rescued.refused:
                return rescued
        return answer

    def _compose(self, q: Question, sources: list[Source], cands: list[Candidate]) -> Answer:
        """`compose` over one list of candidates (sentences, or headlines)."""
        # Refusal looks at the match alone: a date or a name is in most sentences, so the kind cue
        # says nothing about whether the question is answered here (bench/refusal_sweep.py).
        best = max((c.match for c in cands), default=0.0)
        if best < self.threshold - CORROBORATED_MARGIN:
            return self.refusal(q.asked, sources, cands, best)
        absent = [n for n in q.names if not any(_mentions(src, n) for src in sources)] if q.short else []
        if absent:
            # "Who won the 2023 Tour de France?" over articles that never name it: whatever they say is not
            # about it. A long question describes its answer by several facts, and may name one the passages
            # found do not, or spell it otherwise ("Warren Buffet"): on MultiHop-RAG dev the rule refused
            # 5 answerable long questions of 750 and no more null ones, so it holds for short questions only.
            return self.refusal(q.asked, sources, cands, best, why=f"none of the articles found mentions {absent[0]}")
        sides = self.sides(q, sources, cands)
        short = self.short_answer(q, cands, sources)
        sure = max((c.rel for c in cands), default=0.0) >= self.weights.rescue_at  # the judge finds an answering sentence
        if best < self.threshold and not sure and not self.corroborated(q, sides, short):
            return self.refusal(q.asked, sources, cands, best)
        if q.kind in _MISSING and short is None and len(q.aspects) < 2:
            # "When / how many / how much / where": an answer without a date, figure or place does not
            # answer; the closest passages are leads.
            return self.refusal(q.asked, sources, cands, best, why=f"no passage found gives the {_MISSING[q.kind]} asked for")
        chosen = self.evidence(cands, sides, short)
        verdict = self.verdict(q, chosen[0], short)
        sentences = []
        if short is not None and short.cand in chosen:
            s = Sentence(text=short.text, cites=[short.cand.source + 1], verdict=verdict, score=round(short.cand.score, 3))
            s.spans = {short.cand.source + 1: (short.cand.start, short.cand.end)}
            s.role = "short_answer"
            s.in_title = short.cand.in_title
            sentences.append(s)
        decided = self.decide(q, chosen, sides, sources)
        if decided:
            chosen = list(decided[1])  # the evidence quoted is the evidence that decided it
            s = Sentence(text=decided[0], cites=[c.source + 1 for c in decided[1]], verdict=SUPPORTED, score=1.0)
            s.spans = {c.source + 1: (c.start, c.end) for c in decided[1]}
            s.role = "yes_no"
            sentences.append(s)
        for c in chosen:
            label = sources[c.source].source if len(sides) > 1 else ""
            if len(sides) > 1:  # each side is judged on its own
                sv = SUPPORTED if self._relevant(q, c) else WEAK
            else:
                sv = verdict if c is chosen[0] or (verdict == SUPPORTED and self._relevant(q, c)) else WEAK
            s = Sentence(text=normalise(c.text), cites=[c.source + 1], verdict=sv, score=round(c.score, 3))
            s.spans = {c.source + 1: (c.start, c.end)}
            s.label = label
            s.in_title = c.in_title
            sentences.append(s)
        validated = assemble(sentences, sources, mark_unsupported=False)
        result = Answer(q.asked, validated.answer, False, self.backend, validated.citations, validated.sentence_dicts())
        if short is not None and short.cand in chosen:
            n = next(s.cites[0] for s in sentences if getattr(s, "role", "") == "short_answer")
            result.short_answer = short.text
            result.answer_span = {"n": n, "start": short.cand.start + short.a, "end": short.cand.start + short.b}
            if short.cand.in_title:
                result.answer_span["field"] = "title"
        missing = [a.outlet for a, side in zip(q.aspects, sides) if a.outlet and not side] if len(q.aspects) > 1 else []
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
            leads.append(sources[c.source].quote_record(c.start, c.end))
        why = why or ("none of the passages found answers the question" if cands else "no passage matched the question")
        return Answer(question, REFUSAL, True, self.backend, notice=why, leads=leads)

    def sides(self, q: Question, sources: list[Source], cands: list[Candidate]) -> list[list[Candidate]]:
        """Candidates per named outlet/report when the question names several, else one list of all."""
        if len(q.aspects) < 2:
            return [cands]
        return [_side(q, sources, cands, i, self.weights) for i in range(len(q.aspects))]

    def short_answer(self, q: Question, cands: list[Candidate], sources: list[Source]) -> Short | None:
        """The phrase/date/number that answers, as a span of one of the best sentences (None when none)."""
        if q.kind in ("yesno", "other"):
            return None
        # The vote reads the score without the judge: measured on dev, the judge picks better evidence
        # sentences but, counted in the vote, fewer right names (bench/judge_sweep.py).
        top = [c for c in sorted(cands, key=lambda c: -c.base)[:VOTE_DEPTH] if c.match >= self.threshold - CORROBORATED_MARGIN]
        if q.names and len(q.aspects) < 2 and q.short:
            # A short question's answer comes from an article about something it names ("How many employees
            # does Scalable Capital have?" is not answered by another company's layoffs); any one name, and
            # none when no article spells a name as the question does. A long multi-hop question's facts sit
            # in different articles, each naming only some of its names (on dev the rule cost right names).
            named = [c for c in top if any(_mentions(sources[c.source], n, loose=True) for n in q.names)]
            top = named or top
        if not q.wants_name:
            for c in top:  # the best sentence that holds a date / number and enough of what was asked
                if c.typed and (max(c.lex, c.near_lex) >= KIND_MIN_FOCUS or c.rel >= self.weights.rescue_at):
                    a, b = c.typed[0]
                    return Short(c.text[a:b], c, a, b, 1)
            return None
        # Names: vote over the best sentences, weighted by score, counting distinct articles.
        per_article: dict[tuple[str, str], float] = {}
        where: dict[str, tuple[Candidate, int, int]] = {}
        for c in top:
            if q.kind in _MISSING and max(c.lex, c.near_lex) < KIND_MIN_FOCUS and c.rel < self.weights.rescue_at:
                continue  # "where": a place in a sentence about something else is not the place asked for
            near = _focus_positions(c.text, q.focus)
            for a, b in c.typed:
                key = c.text[a:b].lower()
                # Squared score: the best sentence leads. An article votes once per name (its best
                # mention), so a name repeated in one article does not outvote agreement across articles.
                vote = c.base ** 2 * _name_prior(q, c.text[a:b]) * _proximity(a, b, near) * _introduced(q, c.text, a)
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
                        and (q.kind != "who" or x.endswith(" " + k))] for k in weight}  # a person: only as a surname
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

    def corroborated(self, q: Question, sides: list[list[Candidate]], short: Short | None) -> bool:
        """Several articles hold the same name, or every outlet/report the question names has a passage."""
        if short is not None and short.agree >= CORROBORATE_AGREE:
            return True
        return len(sides) > 1 and all(sides)

    def _relevant(self, q: Question, c: Candidate) -> bool:
        typed_ok = bool(c.typed) or q.kind in ("yesno", "other")
        return typed_ok and c.base >= self.weights.supported_at  # the previous score's calibration (bench/offline_answers.py)

    def verdict(self, q: Question, first: Candidate, short: Short | None) -> str:
        """"supported" when the sentence holds the kind asked, scores high, and (names) several articles agree."""
        if q.kind in _MISSING and short is None:
            return WEAK  # a date/number/place question whose evidence holds none is never "supported"
        if q.wants_name:
            # Several articles naming the same answer; the judge sure of its sentence; or a name that says
            # its kind ("fifth and eighth divisions" for "which divisions") in a sentence holding every focus word.
            ok = short is not None and (short.agree >= SUPPORT_AGREE or short.cand.rel >= self.weights.name_supported_at
                                        or (short.cand.lex >= 0.99 and _says_its_kind(q, short.text)))
            return SUPPORTED if ok else WEAK
        return SUPPORTED if self._relevant(q, first) else WEAK

    def decide(self, q: Question, chosen: list[Candidate], sides: list[list[Candidate]],
               sources: list[Source]) -> tuple[str, list[Candidate]] | None:
        """("Yes: …"/"No: …", the two sides' sentences) when the evidence decides a yes/no question: the
        publication dates for "was X published before Y", two figures of one unit for "did X report a
        larger N than Y"; None otherwise (each side is then quoted without a verdict)."""
        if q.kind != "yesno" or len(sides) != 2 or not all(sides) or q.content_asked:
            return None
        second = (q.aspects[1].outlet or "").lower()
        if q.comparison and second and q.comparison.than.lower().startswith(second):
            return self.compare_figures(q.comparison.more, q.comparison.what, sides, sources)
        # Only "was X published before Y?": the comparative must lead straight to the second outlet named,
        # and nothing about the reports' content may be asked.
        if not q.order or not second or not q.order.than.lower().startswith(second):
            return None
        a, b = sides[0][0], sides[1][0]
        da, db = date_key(sources[a.source].published_at), date_key(sources[b.source].published_at)
        if not da or not db or da == db:
            return None
        yes = (da < db) == q.order.before
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


def _at_most_weak(result: Answer) -> None:
    """Every "supported" sentence and citation of `result` down to "weak" (in place)."""
    for s in result.sentences:
        s["verdict"] = WEAK if s["verdict"] == SUPPORTED else s["verdict"]
    for c in result.citations:
        c["support"] = WEAK if c["support"] == SUPPORTED else c["support"]


def _names_agree(name: str, text: str) -> bool:
    """Whether `text` gives `name`: at least half of the name's words appear in it ("Free Beacon" gives
    "Washington Free Beacon")."""
    words = [w for w in re.findall(r"[\w'’-]+", name.lower()) if len(w) > 2 or w.isdigit()] or [name.lower()]
    have = set(re.findall(r"[\w'’-]+", text.lower()))
    return sum(w in have for w in words) * 2 >= len(words)


def _sentences(sources: list[Source]) -> list[Candidate]:
    """Each sentence of the retrieved passages that states something, once."""
    cands: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for i, src in enumerate(sources):
        for sp in sentence_spans(src.article_text, src.start, src.end):
            key = (src.article_id, sp.start)
            text = src.article_text[sp.start:sp.end]
            if key in seen or len(text) < 20 or not states_something(text):
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


def _side(q: Question, sources: list[Source], cands: list[Candidate], i: int, w: Weights) -> list[Candidate]:
    """The candidates from aspect `i`'s outlet/report, ranked by its own clause of the question when
    the question has one clause per aspect (else in the order given)."""
    f = q.aspects[i].filters
    side = [c for c in cands if f.admits(sources[c.source].source, sources[c.source].published_at)]
    if q.side_focus:
        # the whole question's focus share swapped for that of this side's clause
        side.sort(key=lambda c: -(c.score + w.focus * (c.side_lex[i] - c.lex)))
    return side


def _says_its_kind(q: Question, name: str) -> bool:
    """Whether a name names the kind of thing asked: an ordinal phrase ending in it, or holding its word."""
    return bool(q.head) and bool(ORDINAL_PHRASE.fullmatch(name) or set(tokenize(name)) & q.head)


def _same_claim(a: Candidate, b: Candidate) -> bool:
    """Two sentences that say the same thing (a syndicated copy): by their vectors when both were
    embedded, else by their words."""
    if a.vec is not None and b.vec is not None:
        return float(a.vec @ b.vec) > 0.8
    wa, wb = set(tokenize(a.text)), set(tokenize(b.text))
    return len(wa & wb) / (len(wa | wb) or 1) > 0.6

"""The offline answerer says what a quote shows and how sure it is: short answers, relevance verdicts,
refusals with leads, one cited sentence per named outlet, yes/no only when the dates decide it."""

import json

import pytest

from rag.answerer import Answerer
from rag.citations import SUPPORTED, VERDICT_LABELS, WEAK, Source
from rag.evaluate import check_floors, evaluate
from rag.offline import Candidate, OfflineAnswerer
from rag.question import aspect_clauses, analyse
from rag.spans import kind_spans
from ui.render import context_html, render_answer, render_sources

from .conftest import MULTIHOP, ROOT


@pytest.fixture(scope="module")
def seed_answerer(seed_corpus):
    return Answerer(seed_corpus)


def _span_text(corpus, a):
    art = corpus.catalog.article(a.citations[a.answer_span["n"] - 1]["article_id"])
    return art.text[a.answer_span["start"]:a.answer_span["end"]]


@pytest.mark.parametrize("question, short", [
    ("Which Iraqi army divisions are named?", "fifth and eighth divisions"),
    ("When did Iraq witness a wave of escalation between American forces and the PMF?", "June 2021"),
    ("Who heads the Republican Study Committee's national security task force?", "Joe Wilson"),
    ("Which ministry oversees the Iraqi Federal Police and the Emergency Response Division?", "Ministry of Interior"),
])
def test_short_answer_opens_the_answer_and_is_a_span_of_the_cited_sentence(seed_answerer, seed_corpus, question, short):
    a = seed_answerer.ask(question, use_llm=False)
    assert not a.refused
    assert short in a.short_answer
    assert a.answer.startswith(a.short_answer)
    assert a.sentences[0]["role"] == "short_answer"
    assert _span_text(seed_corpus, a) == a.short_answer  # article offsets, not a paraphrase
    cited = a.citations[a.answer_span["n"] - 1]
    assert cited["start"] <= a.answer_span["start"] < a.answer_span["end"] <= cited["end"]
    assert a.as_dict()["answer_span"] == a.answer_span


def test_kind_words_need_not_appear_in_the_text():
    shape = analyse("Which outlet reported that the Badr Corps attacked the embassy?", [])
    assert shape.kind == "which"
    assert not {"outlet", "report"} & set(shape.focus)
    assert {"badr", "corp", "embassi"} <= set(shape.focus)
    who = analyse("Who is the individual that founded FTX?", [])
    assert who.kind == "who" and "individu" not in who.focus and "ftx" in who.focus


@pytest.mark.parametrize("question, kind", [
    ("How many ships did the port handle?", "count"),
    ("How much did the port cost?", "money"),
    ("How much did the river rise?", "number"),
    ("Since when has the port been open?", "when"),
    ("By what margin did the port grow?", "number"),
    ("What is the minister's salary?", "money"),
    ("What year did the war end?", "when"),
    ("Where is the harbour?", "where"),
    ("After the Fortune report on October 4, 2023, did TechCrunch report the same?", "yesno"),
    ("What did the minister say?", "other"),
])
def test_question_kinds(question, kind):
    assert analyse(question, []).kind == kind


def test_kind_spans_find_numbers_dates_and_names_not_in_the_question():
    said = {"how", "many", "ships"}
    text = "The port handled 40 ships in May 2023, the harbour master Ana Ruiz said."
    assert [text[a:b] for a, b in kind_spans("number", text, said)][0].startswith("40 ships")
    assert [text[a:b] for a, b in kind_spans("count", text, said, unit={"ship"})] == ["40 ships"]
    assert [text[a:b] for a, b in kind_spans("when", text, said)] == ["May 2023"]
    assert "Ana Ruiz" in [text[a:b] for a, b in kind_spans("who", text, {"who"})]


def test_a_number_question_without_a_number_is_never_supported(seed_corpus):
    answerer = OfflineAnswerer(seed_corpus, 0.38)
    shape = analyse("How many ships did the port handle?", [])
    cand = Candidate(0, 0, 40, "The harbour master praised the crew.", score=0.9)
    assert answerer.verdict(shape, cand, None) == WEAK
    a = Answerer(seed_corpus).ask("How many officers sympathetic to Iranian interests are in the Iraqi Federal Police?", use_llm=False)
    if not a.refused:  # the article gives no count: an answer may be offered, never as "supported"
        assert all(s["verdict"] != SUPPORTED for s in a.sentences)


def test_refusal_offers_two_leads_that_are_exact_spans(seed_answerer, seed_corpus):
    a = seed_answerer.ask("What is the population of Basra?", use_llm=False)
    assert a.refused and a.citations == []
    assert len(a.leads) == 2 and a.leads[0]["start"] != a.leads[1]["start"]  # one article: its two closest sentences
    for lead in a.leads:
        assert seed_corpus.catalog.article(lead["article_id"]).text[lead["start"]:lead["end"]] == lead["quote"]
    assert "best support" not in a.notice and "<" not in a.notice  # plain words, no score jargon
    md = render_answer(a)
    assert "Closest passages, not an answer" in md and "#lead-1" in md
    assert "lead-1" in render_sources(a, seed_corpus)


def test_sources_card_highlights_the_short_answer_inside_the_cited_span():
    text = "Intro. The <b>fifth</b> and eighth divisions were named. Outro."
    start, end = 7, text.index(" Outro")
    a = text.index("<b>fifth")
    html_ = context_html(text, start, end, answer=(a, a + len("<b>fifth</b> and eighth divisions")))
    assert "<mark class='answer' data-testid='answer-span'>&lt;b&gt;fifth&lt;/b&gt; and eighth divisions</mark>" in html_
    assert "<b>" not in html_  # article text stays data
    assert VERDICT_LABELS["weak"] == "possible answer"


def _two_outlet_sources():
    text_a = "The Sporting News preview said the Chiefs would win by ten points. Kickoff is at noon."
    text_b = "TechCrunch reported the startup raised 40 million dollars. It plans to hire engineers."
    return [Source("a1", "Chiefs preview", "Sporting News", "2023-10-01", "", text_a, 0, len(text_a)),
            Source("b1", "Startup raises", "TechCrunch", "2023-11-05", "", text_b, 0, len(text_b))]


@pytest.mark.parametrize("question, said", [
    ("Was the Sporting News article published before the TechCrunch article?", "Yes: 2023-10-01 vs 2023-11-05."),
    ("Was the Sporting News article published after the TechCrunch article?", "No: 2023-10-01 vs 2023-11-05."),
])
def test_yes_no_is_said_when_publication_dates_decide_it(seed_corpus, question, said):
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    sources = _two_outlet_sources()
    shape = analyse(question, ["Sporting News", "TechCrunch"])
    assert shape.kind == "yesno" and [a.outlet for a in shape.aspects] == ["Sporting News", "TechCrunch"]
    a = answerer.compose(shape, sources, answerer.score(shape, sources))
    assert a.sentences[0]["text"] == said and a.sentences[0]["citations"] == [1, 2]
    assert {s.get("label") for s in a.sentences[1:]} == {"Sporting News", "TechCrunch"}  # each side quoted and cited
    assert {c["source"] for c in a.citations} == {"Sporting News", "TechCrunch"}


def test_yes_no_is_not_guessed_when_the_dates_do_not_decide(seed_corpus):
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    sources = _two_outlet_sources()
    question = "Did the Sporting News article agree with the TechCrunch article about the future?"
    shape = analyse(question, ["Sporting News", "TechCrunch"])
    a = answerer.compose(shape, sources, answerer.score(shape, sources))
    assert not any(s.get("role") == "yes_no" for s in a.sentences)
    assert not a.answer.lower().startswith(("yes", "no"))
    assert [s.get("label") for s in a.sentences] == ["Sporting News", "TechCrunch"]


def _two_figure_sources(unit_b: str = "$12 million"):
    text_a = "Reuters reported that the regulator fined the bank $26.3 billion on Monday. Shares fell."
    text_b = f"The BBC said the regulator fined the bank {unit_b} after a two-year inquiry. The bank will appeal."
    return [Source("a1", "Bank fined", "Reuters", "2023-10-02", "", text_a, 0, len(text_a)),
            Source("b1", "Regulator fines bank", "BBC", "2023-10-03", "", text_b, 0, len(text_b))]


@pytest.mark.parametrize("question, said", [
    ("Did Reuters report a larger fine than the BBC?", "Yes: $26.3 billion (Reuters) vs $12 million (BBC)."),
    ("Did Reuters report a smaller fine than the BBC?", "No: $26.3 billion (Reuters) vs $12 million (BBC)."),
    ("Did the BBC report a higher fine than Reuters?", "No: $12 million (BBC) vs $26.3 billion (Reuters)."),
])
def test_yes_no_is_said_when_two_figures_decide_it(seed_corpus, question, said):
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    sources = _two_figure_sources()
    if question.startswith("Did the BBC"):
        sources = sources[::-1]
    shape = analyse(question, ["Reuters", "BBC"])
    a = answerer.compose(shape, sources, answerer.score(shape, sources))
    assert a.sentences[0]["role"] == "yes_no" and a.sentences[0]["text"] == said
    assert sorted(a.sentences[0]["citations"]) == [1, 2]
    quoted = " ".join(s["text"] for s in a.sentences[1:])
    assert "$26.3 billion" in quoted and "$12 million" in quoted  # the figures that decided it are quoted, cited


@pytest.mark.parametrize("question, unit_b", [
    ("Did Reuters report a larger fine than the BBC?", "12 percent of its profit"),      # units differ
    ("Did Reuters report a larger fine than the BBC?", "$26.3 billion"),                # equal figures
    ("Did Reuters suggest a larger fine than the BBC, while the BBC expected an appeal?", "$12 million"),  # content asked
    ("Did Reuters report a larger staff than the BBC?", "$12 million"),                 # no figure about staff
])
def test_yes_no_from_figures_is_not_guessed(seed_corpus, question, unit_b):
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    sources = _two_figure_sources(unit_b)
    shape = analyse(question, ["Reuters", "BBC"])
    a = answerer.compose(shape, sources, answerer.score(shape, sources))
    assert not any(s.get("role") == "yes_no" for s in a.sentences)
    assert [s.get("label") for s in a.sentences] == ["Reuters", "BBC"]  # each side laid out, no verdict


@pytest.mark.parametrize("question, first, second", [
    ("Does the TechCrunch article suggest the model is not trained on kids' answers, while The Age article raises "
     "concerns about the pixel?", "Does the TechCrunch article suggest the model is not trained on kids' answers, ",
     "while The Age article raises concerns about the pixel?"),
    ("After the Reuters report on the fine, and the later BBC article on the appeal, did the coverage change?",
     "After the Reuters report on the fine, ", "and the later BBC article on the appeal, did the coverage change?"),
    ("Did Reuters report a larger fine than the BBC?", "Did Reuters report a larger fine ", "than the BBC?"),
])
def test_each_named_outlet_gets_its_own_clause_of_the_question(question, first, second):
    shape = analyse(question, ["Reuters", "BBC", "TechCrunch", "The Age"])
    positions = [question.index(a.outlet) for a in shape.aspects]
    assert aspect_clauses(question, positions) == [first, second]
    assert [a.clause for a in shape.aspects] == [first, second]
    assert set(shape.side_focus[1]) <= set(shape.focus) and "pixel" not in shape.side_focus[0]


def test_each_side_quotes_the_sentence_about_its_own_clause(seed_corpus):
    # The first Reuters sentence shares more of the whole question's words (the BBC clause's among
    # them); the second is the one about what the question asks of Reuters.
    text_a = ("Reuters said the bank, fined last year, would appeal the court ruling on Friday. "
              "Reuters reported that the bank was fined for laundering.")
    text_b = "The BBC said the bank would appeal the court ruling next week."
    sources = [Source("a1", "Bank fined", "Reuters", "2023-10-02", "", text_a, 0, len(text_a)),
               Source("b1", "Bank appeals", "BBC", "2023-10-03", "", text_b, 0, len(text_b))]
    question = "Did Reuters report the bank was fined for laundering, while the BBC said the bank would appeal the court ruling?"
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    shape = analyse(question, ["Reuters", "BBC"])
    cands = answerer.score(shape, sources)
    assert cands[0].text.startswith("Reuters said")  # best against the whole question
    a = answerer.compose(shape, sources, cands)
    assert [s["text"] for s in a.sentences if s.get("label") == "Reuters"] == ["Reuters reported that the bank was fined for laundering."]


def test_headings_and_lead_ins_are_never_quoted_as_evidence(seed_corpus):
    # Each line below shares the question's words but states nothing: title-cased headings with no
    # full stop (a possessive's "s" is no lower-case word), a lead-in ending in a colon, a table row
    # with no lower-case word.
    text = ("Defensive Player of the Year Award Race\n"
            "Garrett's Defensive Player of the Year Case\n"
            "Here is what the Defensive Player of the Year race looks like:\n"
            "DEFENSIVE PLAYER OF THE YEAR 2023 (ODDS +300)\n"
            "Myles Garrett leads the race for the Defensive Player of the Year award.")
    sources = [Source("a1", "Awards", "Sporting News", "2023-11-02", "", text, 0, len(text))]
    question = "Who leads the race for Defensive Player of the Year?"
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    cands = answerer.score(analyse(question, []), sources)
    assert [c.text for c in cands] == ["Myles Garrett leads the race for the Defensive Player of the Year award."]


def test_the_committed_slice_floors_cover_every_question_type():
    """eval/slice-floors.json, which the CI gate (scripts/quality_gate.py) checks on the whole slice:
    one scope per question type of the slice, every metric one the harness reports."""
    from rag.evaluate import METRIC_KEYS

    floors = json.loads((ROOT / "eval" / "slice-floors.json").read_text())
    types = {q["question_type"] for q in json.loads((MULTIHOP / "queries.json").read_text())}
    assert set(floors) == {"all"} | types
    assert all(m in METRIC_KEYS and 0 < f < 1 for scope in floors.values() for m, f in scope.items())


def test_the_gate_fails_a_worse_retriever_and_an_answerer_that_never_refuses(slice_corpus, tmp_path):
    """The same floors, the same stored slice, one stage broken at a time: the gate names the metric."""
    import copy

    floors = json.loads((ROOT / "eval" / "slice-floors.json").read_text())
    retrieval = {"all": {k: v for k, v in floors["all"].items() if k.startswith(("hits", "mrr", "map"))}}
    dense_only = copy.copy(slice_corpus)
    dense_only.settings = slice_corpus.settings.model_copy(update={"bm25_weight": 0.0, "rerank_weight": 0.0,
                                                                   "final_rerank_weight": 0.0, "learned_rerank": False})
    failed = check_floors(evaluate(dense_only, MULTIHOP / "queries.json", retrieval_only=True), retrieval)
    assert any(line.startswith("hits_at_4 ") and "below the floor 0.79 by" in line for line in failed), failed
    queries = json.loads((MULTIHOP / "queries.json").read_text())
    gold = tmp_path / "nulls.json"
    gold.write_text(json.dumps([q for q in queries if q["question_type"] == "null_query"]))
    eager = copy.copy(slice_corpus)
    eager.settings = slice_corpus.settings.model_copy(update={"refusal_threshold": -1.0})
    failed = check_floors(evaluate(eager, gold, use_llm=False), {"null_query": floors["null_query"]})
    assert failed and failed[0].startswith("refusal_recall on null_query ") and "below the floor 0.93 by" in failed[0], failed


def test_who_prefers_a_person_named_in_full_over_organisations(seed_corpus):
    texts = ["He co-founded FTX in 2019 as a complement to Alameda, to help bring in revenue for FTX and Alameda.",
             "Sam Bankman-Fried co-founded FTX after running the trading firm Alameda Research.",
             "Before FTX, Bankman-Fried co-founded Alameda Research in 2017."]
    sources = [Source(f"a{i}", f"Story {i}", "Wire", "2023-10-0{i}", "", t, 0, len(t)) for i, t in enumerate(texts, 1)]
    answerer = OfflineAnswerer(seed_corpus, 0.0)
    question = "Who founded FTX?"
    shape = analyse(question, [])
    short = answerer.short_answer(shape, answerer.score(shape, sources), sources)
    assert short.text == "Sam Bankman-Fried"
    assert short.agree >= 2  # "Bankman-Fried" alone counts for the full name

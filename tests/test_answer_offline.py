"""Offline answerer on the seed article: real model, real Chroma."""

import json

import pytest

from rag.answerer import Answerer

CANONICAL = "Which Iraqi army divisions are named?"

# (question, facts that must all appear in the answer, a phrase the cited quote must contain)
SEED_QUESTIONS = [
    ("Which ministry oversees the Iraqi Federal Police?", ["Ministry of Interior"], "Ministry of Interior"),
    ("Who heads the Republican Study Committee's national security task force?", ["Joe Wilson"], "Joe Wilson"),
    ("When did Iraq witness a wave of escalation between American forces and the PMF?", ["June 2021"], "June 2021"),
    ("Which militia is the most prominent of the PMF militias?", ["Badr Corps"], "most prominent"),
    ("Who is Iran's Supreme Leader?", ["Khamenei"], "Khamenei"),
    ("In which newspaper was Joe Wilson quoted?", ["Free Beacon"], "Free Beacon"),
    ("Who told US Congress that officers sympathetic to Iranian interests are concentrated in Iraqi forces?", ["inspector-general"], "inspector-general"),
    ("What targets did American planes raid on the Syrian-Iraqi border?", ["PMF bases"], "PMF bases"),
    ("Which council tried to cut off funding during the Trump presidency?", ["National Security Council"], "National Security Council"),
    ("Who is accused of taking advantage of US taxpayers' money?", ["militia"], "taxpayers"),
    ("What should the Biden administration re-evaluate according to Joe Wilson?", ["funding", "Ministry of Interior"], "re-evaluate funding"),
    ("Which attack were the Badr Corps said to be responsible for?", ["Embassy"], "Embassy in Baghdad"),
]

UNANSWERABLE = [
    "What is the capital of France?",
    "Who won the 2022 FIFA World Cup?",
    "How much did the new Baghdad airport terminal cost?",
    "What is the population of Basra?",
]


@pytest.fixture(scope="module")
def answerer(seed_corpus):
    return Answerer(seed_corpus)


def _check_quotes(result, corpus):
    for c in result.citations:
        art = corpus.catalog.article(c["article_id"])
        assert art.text[c["start"]:c["end"]] == c["quote"]


def test_canonical_question(answerer, seed_corpus):
    a = answerer.ask(CANONICAL, use_llm=False)
    assert not a.refused and a.backend == "offline-extractive"
    assert "fifth" in a.answer and "eighth" in a.answer
    assert "[1]" in a.answer
    assert any("fifth and eighth divisions" in c["quote"] for c in a.citations)
    _check_quotes(a, seed_corpus)


@pytest.mark.parametrize("question,facts,quote_part", SEED_QUESTIONS)
def test_seed_questions(answerer, seed_corpus, question, facts, quote_part):
    a = answerer.ask(question, use_llm=False)
    assert not a.refused, a.notice
    for fact in facts:
        assert fact.lower() in a.answer.lower()
    assert any(quote_part.lower() in c["quote"].lower() for c in a.citations)
    _check_quotes(a, seed_corpus)
    # every [n] in the text has an entry, and every entry is cited in the text
    import re

    nums = {int(n) for n in re.findall(r"\[(\d+)\]", a.answer)}
    assert nums == {c["n"] for c in a.citations}


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_are_refused(answerer, question):
    a = answerer.ask(question, use_llm=False)
    assert a.refused and a.citations == [] and "don't say" in a.answer


def test_follow_up_resolves_from_previous_question(answerer):
    history = [{"role": "user", "content": CANONICAL}, {"role": "assistant", "content": "The fifth and eighth divisions [1]."}]
    a = answerer.ask("Which ministry oversees them?", history=history, use_llm=False)
    assert not a.refused, a.notice
    assert "Ministry of Interior" in a.answer
    assert a.standalone_question


def test_prompt_injection_in_an_article_is_only_quoted(injected_corpus):
    from rag.text import normalise

    a = Answerer(injected_corpus).ask("Who is the harbour master?", use_llm=False)
    assert "Ana Ruiz" in a.answer and "minister" not in a.answer
    article = normalise(injected_corpus.catalog.articles()[0].text)
    for s in a.sentences:  # the offline answer is only ever verbatim article sentences
        assert s["text"] in article


def test_a_question_naming_outlets_is_embedded_once(make_corpus, tmp_path, monkeypatch):
    # Search (its plain list and each outlet's list) and the answerer's sentence scoring share one
    # query vector; embedding the question again would cost a model run per step.
    from rag import ingest

    articles = [{"title": "Chiefs preview", "source": "Sporting News", "published_at": "2023-10-01T10:00:00+00:00",
                 "url": "https://example.com/a", "body": "The Sporting News preview said the Chiefs would win by ten points. "
                 "Kickoff is at noon on Sunday in Kansas City."},
                {"title": "Startup raises", "source": "TechCrunch", "published_at": "2023-11-05T10:00:00+00:00",
                 "url": "https://example.com/b", "body": "TechCrunch reported that the startup raised 40 million dollars "
                 "from investors. It plans to hire engineers in Berlin."}]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(articles), encoding="utf-8")
    corpus = make_corpus()
    ingest(corpus, [str(path)])
    seen: list[str] = []
    real = corpus.embedder.embed_documents

    def spy(texts):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(corpus.embedder, "embed_documents", spy)
    question = "Did the Sporting News expect the Chiefs to win, while TechCrunch said how much the startup raised?"
    a = Answerer(corpus).ask(question, use_llm=False)
    assert {c["source"] for c in a.citations} == {"Sporting News", "TechCrunch"}  # both outlets' lists were searched
    assert seen.count(question) == 1
    assert not any("Chiefs to win" in t and t != question for t in seen)  # nor a hint-stripped variant of it


def test_answers_are_of_the_kind_asked(make_corpus, tmp_path):
    """A cost is answered with money, a count with the thing counted, never with another figure of the sentence."""
    from rag import ingest

    body = ("The new desalination plant in Port Esk cost 1.4 billion dollars to build, the water authority said. "
            "It will supply 120 million litres of water a day to 300,000 homes. "
            "The Port Esk plant opened in March 2024 and the authority employs 240 engineers at the site.")
    path = tmp_path / "plant.json"
    path.write_text(json.dumps([{"title": "Port Esk desalination plant opens", "source": "Coast Weekly",
                                 "published_at": "2024-03-04T09:00:00+00:00", "url": "", "body": body}]), encoding="utf-8")
    corpus = make_corpus()
    ingest(corpus, [str(path)])
    answerer = Answerer(corpus)
    for question, short in [("How much did the desalination plant in Port Esk cost?", "1.4 billion dollars"),
                            ("How many homes will the Port Esk desalination plant supply?", "300,000 homes"),
                            ("How many engineers does the water authority employ at the Port Esk plant?", "240 engineers"),
                            ("When did the Port Esk desalination plant open?", "March 2024")]:
        a = answerer.ask(question, use_llm=False)
        assert a.short_answer == short, (question, a.short_answer, a.notice)
    # the kind asked is not in the article: refused, not answered with another figure
    for question in ("How many pumps does the Port Esk desalination plant have?", "Where was the plant's chief engineer born?"):
        a = answerer.ask(question, use_llm=False)
        assert a.refused, (question, a.answer)


def test_a_name_no_article_mentions_is_refused(slice_corpus):
    a = Answerer(slice_corpus).ask("Who won the 2023 Tour de France?", use_llm=False)
    assert a.refused and "mentions tour de france" in a.notice  # not "Stade de France" from a rugby report


def test_a_refusal_under_filters_says_which_were_on(slice_corpus):
    a = Answerer(slice_corpus).ask("Who won the 2023 Tour de France?", sources=["TechCrunch"], use_llm=False)
    assert a.refused
    assert "only articles from TechCrunch were searched" in a.notice and "clear the filters" in a.notice

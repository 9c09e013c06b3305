"""Briefings: seed article and a one-topic MultiHop-RAG slice (offline), LLM map-reduce (scripted server)."""

import json
import re

import pytest

from rag import Settings, ingest
from rag.briefing import brief
from rag.errors import RagError
from rag.dates import find_dates

from .conftest import MULTIHOP
from .llm_server import ScriptedLLM

TOPIC = "Iran-backed militias and Iraqi security forces"


def _check_citations(b, corpus):
    n_sources = len(b.sources)
    for p in b.bullets():
        assert p.cites, p.text
        assert all(1 <= n <= n_sources for n in p.cites)
    for s in b.sources:
        art = corpus.catalog.article(s["article_id"])
        assert art.text[s["start"]:s["end"]] == s["quote"]


def test_seed_briefing(seed_corpus):
    b = brief(seed_corpus, TOPIC, use_llm=False)
    md = b.markdown()
    for must in ("Badr Corps", "Ministry of Interior", "fifth and eighth divisions"):
        assert must in md
    assert 3 <= sum(len(ps) for _, ps in b.key_points) <= 8
    assert any(p.date == "2021-06" and "June 2021" in p.text for p in b.timeline)
    assert [p.date for p in b.timeline] == sorted(p.date for p in b.timeline)
    _check_citations(b, seed_corpus)
    for section in ("## Key points", "## Timeline", "## Who's who", "## Where sources differ", "## Sources"):
        assert section in md
    assert "](#src-1)" in md and 'id="src-1"' in md
    assert "<h2>Key points</h2>" in b.html()


def test_briefing_exports_and_terminal_read_as_typed(seed_corpus, tmp_path):
    """The .md export uses readable escapes and the terminal gets plain text: no character references."""
    import subprocess
    import sys

    from markdown_it import MarkdownIt

    b = brief(seed_corpus, TOPIC, use_llm=False)
    md, text = b.markdown(), b.text()
    for out in (md, text):
        assert "&#" not in out and "Iran-backed" in out
    assert "\\" not in text and "# Briefing: Iran-backed militias and Iraqi security forces" in text
    dates = [p.date for p in b.timeline]
    assert dates and all(f"**{d}**" in md for d in dates)  # a date keeps its hyphens, unescaped
    rendered = MarkdownIt("commonmark").render(md)
    assert "Iran-backed" in rendered and "\\" not in rendered
    env = {**__import__("os").environ, "RAG_DATA_DIR": str(seed_corpus.settings.data_dir)}
    p = subprocess.run([sys.executable, "-m", "rag.cli", "brief", TOPIC], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "&#" not in p.stdout and "Iran-backed" in p.stdout


def test_llm_with_no_valid_bullet_falls_back_offline(seed_corpus):
    server = ScriptedLLM()
    try:
        server.script({"content": "- Bananas are yellow [9]."})
        from rag import Corpus

        corpus = Corpus(Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=server.url, llm_timeout=5), embedder=seed_corpus.embedder)
        b = brief(corpus, TOPIC, max_articles=1)
        assert b.backend == "offline-extractive" and "no note its sources support (1 dropped)" in b.notice
        assert "Bananas" not in b.markdown()
        assert len(server.requests) == 1  # one map call; no merge step for nothing
    finally:
        server.close()


def test_find_dates():
    assert find_dates("At the end of June 2021, Iraq witnessed") == "2021-06"
    assert find_dates("on October 7, 2023 the firm") == "2023-10-07"
    assert find_dates("long after the invasion of 2003") == "2003"
    assert find_dates("on Sept. 3, 2023") == "2023-09-03"
    assert find_dates("no date here") == ""


@pytest.fixture(scope="module")
def ftx_corpus(tmp_path_factory, embedder):
    from rag import Corpus

    records = [r for r in json.loads((MULTIHOP / "corpus.json").read_text())
               if "Bankman-Fried" in r["body"] or "crypto" in r["body"]][:26]
    d = tmp_path_factory.mktemp("ftx")
    f = d / "ftx.json"
    f.write_text(json.dumps(records))
    corpus = Corpus(Settings(data_dir=d / "data"), embedder=embedder)
    ingest(corpus, [str(f)])
    return corpus, records


def test_topic_briefing_over_many_articles(ftx_corpus):
    corpus, records = ftx_corpus
    assert len(records) >= 20
    b = brief(corpus, "Sam Bankman-Fried FTX fraud trial", max_articles=30, use_llm=False)
    _check_citations(b, corpus)
    cited_outlets = {s["source"] for s in b.sources}
    assert len(cited_outlets) >= 2
    assert [p.date for p in b.timeline] == sorted(p.date for p in b.timeline)
    texts = [re.sub(r"\W+", " ", p.text.lower()) for _, ps in b.key_points for p in ps]
    assert len(texts) == len(set(texts))  # no bullet repeated from a syndicated copy


def test_briefing_stays_on_topic_and_reads_well(ftx_corpus):
    corpus, _ = ftx_corpus
    b = brief(corpus, "Sam Bankman-Fried FTX fraud trial", max_articles=30, use_llm=False)
    # every selected article is about the topic (holds most of its words), and the header names only cited outlets
    for a in b.articles:
        art = corpus.catalog.article(a["id"])
        assert re.search(r"Bankman|FTX|SBF", art.title + art.text), art.title
    cited = {s["source"] for s in b.sources}
    header_outlets = set(b.scope.split("sources: ")[1].split(", ")) if "sources: " in b.scope else set()
    assert header_outlets == cited
    assert all("·" not in heading for heading, _ in b.key_points)  # readable phrases, not keyword triples
    lines = [p.text for p in b.whos_who]
    assert len(lines) == len(set(lines))  # one distinct sentence per name
    assert all(p.label in p.text for p in b.whos_who)


def test_a_topic_without_articles_says_so(ftx_corpus):
    corpus, _ = ftx_corpus
    with pytest.raises(RagError, match="no articles on this topic"):
        brief(corpus, "narwhal kite contest", use_llm=False)


def test_syndicated_copies_merge_into_one_bullet(make_corpus, tmp_path):
    body = ("The city council approved a new budget of 40 million dollars for the harbour on Monday. "
            "Work on the harbour wall starts in June 2024, the mayor said. "
            "Residents had complained about flooding for years. The budget vote was 7 to 2.")
    recs = [{"title": "Harbour budget approved", "source": "Coast Daily", "published_at": "2024-03-01", "url": "https://a.test/1", "body": body},
            {"title": "Council backs harbour plan", "source": "Wire Service", "published_at": "2024-03-02", "url": "https://b.test/2",
             "body": body + " More local news follows in our weekend edition of the paper."}]
    f = tmp_path / "dup.json"
    f.write_text(json.dumps(recs))
    corpus = make_corpus()
    ingest(corpus, [str(f)], keep_duplicates=True)
    b = brief(corpus, "harbour budget", use_llm=False)
    merged = [p for _, ps in b.key_points for p in ps if len(p.cites) == 2]
    assert merged, b.markdown()
    outlets = {b.sources[n - 1]["source"] for n in merged[0].cites}
    assert outlets == {"Coast Daily", "Wire Service"}


def test_llm_map_reduce_drops_broken_citations(seed_corpus):
    from rag import Retriever

    hits = Retriever(seed_corpus).search(TOPIC, k=40)
    n = next(i for i, h in enumerate(hits, 1) if "fifth and eighth divisions" in h.text)
    server = ScriptedLLM()
    try:
        server.script(
            {"content": f"- The fifth and eighth divisions of the Iraqi Army hold sympathetic officers [{n}]."},
            {"content": f"## Militias\n- Officers sympathetic to militias are in the fifth and eighth divisions of the Iraqi Army [{n}].\n"
                        f"- The Badr Corps seized the central bank in 1999 [42].\n- Unrelated claim about football scores in Madrid [{n}]."})
        settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=server.url, llm_model="test-model", llm_timeout=5)
        from rag import Corpus

        corpus = Corpus(settings, embedder=seed_corpus.embedder)
        b = brief(corpus, TOPIC, max_articles=1)
        assert b.backend == "llm:test-model"
        points = [p for _, ps in b.key_points for p in ps]
        assert len(points) == 1 and "fifth and eighth divisions" in points[0].text
        assert b.dropped_bullets == 2
        assert "[42]" not in b.markdown()
        _check_citations(b, corpus)
        assert any("Topic: " + TOPIC in r["messages"][1]["content"] for r in server.requests)
        assert len(server.requests) == 2 and server.requests[0]["max_tokens"] == 200  # map (short), then reduce
        assert b.as_dict()["dropped_bullets"] == 2
    finally:
        server.close()


@pytest.mark.parametrize("text, reasons", [
    ("Who is Sam Bankman-Fried and why is he on trial?", ["question"]),
    ("Sam Bankman-Fried speaks to the judge in this courtroom sketch.", ["caption"]),
    ("Traders work on the floor of the exchange (Photo: Reuters) on Monday morning.", ["caption"]),
    ("Sure, here is what happened at the trial so far this week.", ["chatter"]),
    ("SBF trial: Everything to know Sam Bankman-Fried is in court this week for fraud.", ["headline run-on"]),
    ("Sam Bankman-Fried told the jury he never meant to defraud anyone, his lawyers said.", []),
    ('"Who is going to pay for this?" the senator asked during the hearing on Tuesday.', []),
])
def test_what_is_no_key_point(text, reasons):
    from rag.spans import briefable, point_defects

    title = "SBF trial: Everything to know"
    assert point_defects(text, title) == reasons
    assert briefable(text, title) is (not reasons)


def test_a_name_runs_on_over_and():
    from rag.spans import entities

    ents = entities("The Securities and Exchange Commission sued Binance and its chief Changpeng Zhao on Monday.")
    assert "Securities and Exchange Commission" in ents and "Exchange Commission" not in ents


def test_llm_key_points_keep_attribution_and_are_marked_as_written_by_the_llm(seed_corpus):
    """A recorded LLM note that states the Pentagon's allegation as fact gets the attribution back, and the
    briefing says which part the LLM wrote, in the .md and in the terminal text."""
    from rag import Corpus, Retriever

    hits = Retriever(seed_corpus).search(TOPIC, k=40)
    n = next(i for i, h in enumerate(hits, 1) if "the Pentagon has alleged" in h.text)
    note = f"- Iran-backed militia groups have been taking advantage of US taxpayers' money by aligning with Iraqi security forces [{n}]."
    server = ScriptedLLM()
    try:
        server.script({"content": note}, {"content": "## Militias\n" + note.replace(f"[{n}]", "[1]")})
        settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=server.url, llm_model="test-model", llm_timeout=5)
        b = brief(Corpus(settings, embedder=seed_corpus.embedder), TOPIC, max_articles=1)
        points = [p.text for _, ps in b.key_points for p in ps]
        assert points and all("(the Pentagon has alleged)" in p for p in points), points
        for text in (b.markdown(), b.text()):
            assert "Key points written by the LLM (test-model)" in text
            assert "&#" not in text
    finally:
        server.close()

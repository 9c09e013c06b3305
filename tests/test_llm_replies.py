"""Replies small local models really give, replayed through the scripted OpenAI-compatible server.

tests/data/llm_replies_qwen2.5-coder-{0.5b,1.5b}.json hold the replies Qwen2.5-Coder-0.5B-Instruct and
-1.5B-Instruct (Q4_K_M GGUF, llama-cpp-python 0.3.36 server, 2 CPU threads) gave to the seed questions,
recorded by `bench/llm_local.py --record` (the 1.5B one with the current answer prompt); the lists below
add the forms other small models use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Settings
from rag.answerer import Answerer
from rag.citations import is_refusal, normalise_markers

from .llm_server import ScriptedLLM

CANONICAL = "Which Iraqi army divisions are named?"

REFUSALS = ["The article doesn't say.", "The article does not say.", "The articles don\u2019t say.", "The articles don't say.",
            "The sources do not mention which divisions.", "This is not mentioned in the provided articles.",
            "There is no information about the score in the sources.", "I cannot answer that from the articles.",
            "Insufficient information.", "The article doesn\u2019t say. [1]"]
ANSWERS = ["The fifth and eighth divisions of the Iraqi Army are named [1].",
           "The article does not say who won, but [2] reports a draw.", "Fifth and eighth divisions."]


@pytest.mark.parametrize("reply", REFUSALS)
def test_refusal_forms_are_recognised(reply):
    assert is_refusal(reply)


@pytest.mark.parametrize("reply", ANSWERS)
def test_answers_are_not_refusals(reply):
    assert not is_refusal(reply)


@pytest.mark.parametrize("raw,expected", [
    ("A [Source 1].", "A [1]."), ("A [source 1, 2].", "A [1][2]."), ("B [^2] c.", "B [2] c."), ("C \u30101\u3011.", "C [1]."),
    ("D [1-3].", "D [1][2][3]."), ("E [2\u20133].", "E [2][3]."), ("F (1).", "F [1]."),
    ("G in (2023).", "G in (2023)."), ("H (9).", "H (9)."), ("I [1] and (2).", "I [1] and (2)."),
])
def test_citation_forms_become_markers(raw, expected):
    assert normalise_markers(raw, 6) == expected


@pytest.fixture(scope="module")
def llm():
    server = ScriptedLLM()
    yield server
    server.close()


@pytest.fixture
def answerer(seed_corpus, llm):
    return Answerer(seed_corpus, Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=llm.url, llm_model="small",
                                          llm_timeout=5, llm_max_retries=0))


@pytest.mark.parametrize("reply", REFUSALS[:4])
def test_a_model_refusal_is_a_refusal_not_a_fallback(answerer, llm, reply):
    llm.script({"content": reply})
    a = answerer.ask("What was the score of the 1966 World Cup final?")
    assert a.refused and a.backend == "llm:small" and not a.fallback


def test_a_correct_uncited_answer_gets_its_citation(answerer, llm):
    llm.script({"content": "The fifth and eighth divisions of the Iraqi Army are named in the article."})
    a = answerer.ask(CANONICAL)
    assert a.backend == "llm:small" and not a.refused and "[1]" in a.answer
    assert a.sentences[0]["verdict"] == "supported" and a.sentences[0]["repaired"]
    assert "citation repaired" in a.notice and "fifth and eighth divisions" in a.citations[0]["quote"]
    assert a.llm_raw.startswith("The fifth and eighth divisions")  # the reply as received is kept


@pytest.mark.parametrize("marker", ["[3]", "[2][3]", "[Source 4]", "\u30105\u3011", "[2-3]"])
def test_a_wrong_or_odd_citation_is_repaired(answerer, llm, seed_corpus, marker):
    llm.script({"content": f"The fifth and eighth divisions of the Iraqi Army are named {marker}."})
    a = answerer.ask(CANONICAL)
    assert a.backend == "llm:small" and not a.refused
    assert a.sentences[0]["verdict"] == "supported"
    quote = a.citations[a.sentences[0]["citations"][0] - 1]["quote"]
    assert "fifth and eighth divisions" in quote


def test_a_slow_first_token_times_out_and_falls_back(answerer, llm):
    llm.script({"delay": 6, "content": "The fifth and eighth divisions are named [1]."})
    a = answerer.ask(CANONICAL)
    assert a.backend == "offline-extractive" and a.fallback == "timeout" and "timed out" in a.notice


def test_a_reply_past_the_deadline_is_abandoned_and_the_server_stops(seed_corpus):
    import time

    llm = ScriptedLLM()  # its own server: no other test's late writes are counted
    settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=llm.url, llm_model="small", llm_timeout=1, llm_max_retries=0)
    words = " ".join(["word"] * 60) + " [1]."
    llm.script({"content": words, "piece_delay": 0.05})
    answerer = Answerer(seed_corpus, settings)
    answerer.all_generators[0].llm.deadline = 0.5  # as for a hosted API with RAG_LLM_TIMEOUT=0.5
    a = answerer.ask(CANONICAL)
    assert a.backend == "offline-extractive" and a.fallback == "deadline"
    for _ in range(50):  # the server notices the closed connection on its next write
        if llm.abandoned:
            break
        time.sleep(0.05)
    llm.close()
    assert llm.abandoned == 1


def test_eval_reports_the_backend_mix_and_warns_about_fallbacks(seed_corpus, llm, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from rag.evaluate import evaluate

    gold = tmp_path / "g.jsonl"
    gold.write_text("".join(json.dumps({"id": f"q{i}", "question": CANONICAL, "answerable": True,
                                        "gold_citations": [{"article": "irgc-militias-iraqi-security-forces.txt",
                                                            "quote": "fifth and eighth divisions of the Iraqi Army"}]}) + "\n" for i in range(3)))
    llm.script({"content": "The fifth and eighth divisions of the Iraqi Army are named [1]."}, {"status": 500, "content": "x"},
               {"content": "Bananas [1]."})
    seed_corpus.settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=llm.url, llm_model="small", llm_timeout=5,
                                    llm_max_retries=0)
    try:
        result = evaluate(seed_corpus, gold)
    finally:
        seed_corpus.settings = Settings(data_dir=seed_corpus.settings.data_dir)
    assert result["run"]["backend_mix"] == {"answers": {"llm:small": 1, "offline-extractive": 2},
                                            "fallbacks": {"http_500": 1, "unsupported": 1}}
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(result))
    p = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "compare", str(run_file), str(run_file)], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "RAG_DATA_DIR": str(tmp_path / "d")})
    assert "fallbacks: http_500 1, unsupported 1" in p.stdout and "has LLM fallbacks" in p.stderr


def test_rag_llm_check_reports_habits_and_advice(tmp_path, llm):
    import json

    from .conftest import SEED, rag_cli

    data = tmp_path / "d"
    rag_cli(["ingest", str(SEED)], data)
    p = rag_cli(["llm", "check"], data, check=False, env={"RAG_LLM_BASE_URL": None})
    assert p.returncode == 1 and "RAG_LLM_BASE_URL" in p.stderr
    llm.script({"content": "The fifth and eighth divisions of the Iraqi Army are named [1]."},
               {"content": "The fifth and eighth divisions of the Iraqi Army are named."},
               {"content": "The article doesn't say."})
    env = {"RAG_LLM_BASE_URL": llm.url, "RAG_LLM_MODEL": "tiny", "RAG_LLM_TIMEOUT": "10"}
    p = rag_cli(["llm", "check", "--json"], data, check=False, env=env)
    report = json.loads(p.stdout)
    assert report["reachable"] and [x["outcome"] for x in report["probes"]] == ["cited", "repaired", "refused"]
    # every probe is answerable: the refusal is a wrong answer, not a followed format
    assert report["followed_format"] == 1 and any("rarely cite reliably" in a for a in report["advice"])
    assert any("1 question(s) the seed article answers" in a for a in report["advice"])
    assert all(x["first_token_s"] is not None and x["first_token_s"] <= x["total_s"] for x in report["probes"])
    env["RAG_LLM_BASE_URL"] = "http://127.0.0.1:9/v1"
    p = rag_cli(["llm", "check"], data, check=False, env=env)
    assert "not reachable" in p.stdout and "is the server running" in p.stdout


RECORDED = [Path(__file__).parent / "data" / f"llm_replies_qwen2.5-coder-{size}.json" for size in ("0.5b", "1.5b")]


def _recorded() -> list[dict]:
    return [r | {"model": path.stem.split("_")[-1]} for path in RECORDED for r in json.loads(path.read_text())["replies"] if r["reply"]]


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_recorded_transcript_is_committed(path):
    data = json.loads(path.read_text())
    assert data["model"].endswith(".gguf") and len(data["replies"]) == 19


@pytest.mark.parametrize("row", _recorded(), ids=lambda r: f"{r['model']}-{r['id']}")
def test_recorded_small_model_replies_replay(answerer, llm, row):
    """Each reply Qwen2.5-Coder 0.5B and 1.5B gave on llama.cpp, replayed: refusals read as refusals,
    uncited sentences get the source that supports them, unsupported ones never reach the user."""
    llm.script({"content": row["reply"]})
    a = answerer.ask(row["question"])
    if is_refusal(row["reply"]):
        assert a.refused or a.fallback == "llm_refused"
        return
    assert a.backend in ("llm:small", "offline-extractive")
    if a.backend == "llm:small":
        assert all(s["verdict"] in ("supported", "weak") or s["citations"] for s in a.sentences)
        assert all(s["citations"] for s in a.sentences if s["verdict"] == "supported")
    else:
        assert a.fallback in ("no_citations", "unsupported", "llm_no_date", "llm_no_number")
        assert a.llm_raw == row["reply"] or (a.fallback.startswith("llm_no_") and row["reply"][:40] in a.llm_raw)


def test_a_wrong_llm_refusal_yields_the_confident_offline_answer(answerer, llm):
    llm.script({"content": "The article doesn't say."})
    a = answerer.ask(CANONICAL)
    assert not a.refused and a.backend == "offline-extractive" and a.fallback == "llm_refused"
    assert "fifth" in a.answer and "the LLM said the articles don't say" in a.notice


WHEN = "When did Iraq witness a wave of escalation between American forces and the PMF?"


def test_an_answer_without_the_date_asked_for_yields_the_dated_passage(answerer, llm):
    """Qwen2.5-Coder-0.5B's real reply to a "when" question restates the event without its date."""
    reply = ("Iraq witnessed a wave of escalation between American forces and the PMF following raids carried out by "
             "American planes targeting PMF bases on the Syrian-Iraqi border. [1]")
    llm.script({"content": reply})
    a = answerer.ask(WHEN)
    assert a.backend == "offline-extractive" and a.fallback == "llm_no_date" and "June 2021" in a.short_answer
    assert a.llm_raw.startswith("Iraq witnessed") and "gives no date" in a.notice
    llm.script({"content": "At the end of June 2021, Iraq witnessed a wave of escalation [1]."})
    a = answerer.ask(WHEN)
    assert a.backend == "llm:small" and not a.fallback and "June 2021" in a.answer


def test_an_undated_answer_stays_weak_when_no_passage_gives_a_date(answerer, llm):
    llm.script({"content": "The Badr Corps was responsible for the terrorist attack on the U.S. Embassy in Baghdad [1]."})
    a = answerer.ask("When was the Badr Corps responsible for the attack on the U.S. Embassy in Baghdad?")
    assert a.backend == "llm:small" and "gives no date" in a.notice
    assert a.sentences and all(s["verdict"] != "supported" for s in a.sentences)
    assert all(c["support"] != "supported" for c in a.citations)


@pytest.mark.parametrize("question,reply,missing", [
    (WHEN, "Iraq witnessed a wave of escalation after raids on PMF bases [1].", "date"),
    (WHEN, "At the end of June 2021 [1].", ""),
    ("How many divisions of the Iraqi Army are named?", "The fifth and eighth divisions are named [1].", "number"),
    ("How many divisions of the Iraqi Army are named?", "Two divisions are named [1].", ""),
    (CANONICAL, "The fifth and eighth divisions [1].", ""),
])
def test_missing_kind_reads_what_the_question_asks_for(answerer, question, reply, missing):
    offline = answerer.all_generators[-1]
    assert offline.missing_kind(answerer.retriever.analyse(question), reply) == missing

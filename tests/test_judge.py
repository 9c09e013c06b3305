"""The relevance judge: the packaged model loads offline and ranks meaning, the lexical fallback still
answers, and replies of real small models that are wrong never come out fully "supported"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag import Settings
from rag.answerer import Answerer
from rag.citations import is_refusal
from rag.errors import ConfigError
from rag.judge import MODEL_FILE, Judge, LexicalJudge, ModelJudge, make_judge

from .llm_server import ScriptedLLM

CANONICAL = "Which Iraqi army divisions are named?"
GOLD = ("According to the Washington Free Beacon, the Pentagon's inspector-general has told US Congress that officers "
        "sympathetic to Iranian or militia interests are concentrated in the Iraqi Federal Police and the country's "
        "Emergency Response Division, as well as the fifth and eighth divisions of the Iraqi Army.")
OTHER = "The Badr Corps was responsible for the terrorist attack on the U.S. Embassy in Baghdad."


@pytest.fixture(scope="module")
def model() -> ModelJudge:
    return make_judge("model")


def test_the_model_ships_inside_the_package_and_is_small():
    assert MODEL_FILE.is_file() and MODEL_FILE.parent.name == "models"
    assert MODEL_FILE.stat().st_size < 30 * 2**20
    card = MODEL_FILE.parent / "relevance-card.md"
    assert "Apache-2.0" in card.read_text() and "ODC-BY" in card.read_text()


def test_the_model_ranks_the_answering_sentence_first(model):
    """A MultiHop-RAG question of the committed slice (dev, so in the model's training data: a check that
    the shipped file is the trained model and loads, not a held-out figure): its gold sentence outranks
    the other sentences of its article."""
    from rag.text import normalise, sentence_spans

    from .conftest import MULTIHOP

    q = next(x for x in json.loads((MULTIHOP / "queries.json").read_text()) if x["query"].startswith("Which global cryptocurrency exchange"))
    fact = q["evidence_list"][0]["fact"]
    article = next(a for a in json.loads((MULTIHOP / "corpus.json").read_text()) if a["title"] == q["evidence_list"][0]["title"])
    others = [normalise(article["body"][sp.start:sp.end]) for sp in sentence_spans(article["body"])]
    others = [o for o in others if len(o) > 40 and o != normalise(fact)][:8]
    assert isinstance(model, Judge)
    p = model.score(q["query"], [normalise(fact)] + others)
    assert p.shape == (len(others) + 1,) and np.all((p >= 0) & (p <= 1))
    assert p[0] > 0.5 and int((p > p[0]).sum()) <= 1  # the gold sentence first or second
    assert float(np.median(p[1:])) < 0.1  # most sentences of its own article do not answer it


def test_the_lexical_judge_and_a_bad_setting():
    lex = make_judge("lexical")
    assert isinstance(lex, LexicalJudge) and isinstance(lex, Judge)
    p = lex.score(CANONICAL, [GOLD, OTHER])
    assert p[0] > p[1]
    with pytest.raises(ConfigError, match="RAG_JUDGE='nope'.*'model' or 'lexical'"):
        make_judge("nope")
    with pytest.raises(ConfigError, match="RAG_JUDGE=lexical"):
        ModelJudge(Path("/nonexistent/relevance.onnx"))


def test_the_seed_answer_is_supported_by_the_model(seed_corpus):
    a = Answerer(seed_corpus).ask(CANONICAL, use_llm=False)
    assert a.short_answer == "fifth and eighth divisions"
    assert a.sentences[0]["verdict"] == "supported"


def test_the_lexical_setting_still_answers(seed_corpus):
    settings = Settings(data_dir=seed_corpus.settings.data_dir, judge="lexical")
    saved = seed_corpus.settings, seed_corpus._judge
    seed_corpus.settings, seed_corpus._judge = settings, None
    try:
        a = Answerer(seed_corpus, settings).ask(CANONICAL, use_llm=False)
    finally:
        seed_corpus.settings, seed_corpus._judge = saved
    assert not a.refused and "fifth and eighth divisions" in a.answer


SEED_GOLD = {json.loads(line)["id"]: json.loads(line) for line in
             (Path(__file__).resolve().parents[1] / "eval" / "seed.jsonl").read_text().splitlines() if line.strip()}
RECORDED = [Path(__file__).parent / "data" / f"llm_replies_qwen2.5-coder-{size}.json" for size in ("0.5b", "1.5b")]


def _right(row: dict) -> bool:
    """A recorded reply is right when it refuses an unanswerable question or holds every expected keyword."""
    gold = SEED_GOLD[row["id"]]
    if not gold["answerable"]:
        return is_refusal(row["reply"])
    text = row["reply"].lower()
    return not is_refusal(row["reply"]) and all(any(k.lower() in text for k in group) for group in gold["answer_keywords"])


@pytest.fixture(scope="module")
def llm():
    server = ScriptedLLM()
    yield server
    server.close()


def test_recorded_small_model_replies_right_delivered_wrong_never_supported(seed_corpus, llm):
    """Qwen2.5-Coder 0.5B / 1.5B replies to the seed questions (tests/data): at least 80% of the right ones
    reach the user from the LLM; no wrong one is shown with every sentence "supported"."""
    answerer = Answerer(seed_corpus, Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=llm.url, llm_model="small",
                                              llm_timeout=5, llm_max_retries=0))
    rows = [r for path in RECORDED for r in json.loads(path.read_text())["replies"] if r["reply"]]
    delivered, right_total, wrong_supported = 0, 0, []
    for row in rows:
        llm.script({"content": row["reply"]})
        a = answerer.ask(row["question"])
        from_llm = a.backend == "llm:small"
        fully_supported = from_llm and not a.refused and all(s["verdict"] == "supported" for s in a.sentences)
        if _right(row):
            right_total += 1
            delivered += from_llm
        elif fully_supported:
            wrong_supported.append((row["id"], row["reply"][:80]))
    assert right_total >= 10
    assert delivered / right_total >= 0.8, (delivered, right_total)
    assert not wrong_supported

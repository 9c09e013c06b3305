"""Every metric on hand-made cases whose values are worked out by hand in the comments."""

import pytest

from rag import metrics as M

FACTS = ["the cat sat", "dogs bark loudly"]
CHUNKS = ["nothing here", "so the cat\nsat on the mat", "no", "Dogs bark loudly?", "dogs bark loudly and the cat sat"]


def test_relevance_ignores_spaces_newlines_and_quote_style():
    assert M.relevant("a  the cat\nsat b", FACTS) == [0]
    assert M.relevant("it’s here", ["it's here"]) == [0]
    assert M.relevant("Dogs bark loudly", FACTS) == []  # case matters, as upstream


def test_hits_mrr_map_by_hand():
    # relevant ranks: 2 (fact 0), 5 (facts 0 and 1; fact 1 new)
    assert M.hits_at(CHUNKS, FACTS, 1) == 0.0
    assert M.hits_at(CHUNKS, FACTS, 4) == 1.0
    assert M.mrr_at(CHUNKS, FACTS, 10) == pytest.approx(1 / 2)
    # MAP@10 = (1/2 + 1/5) / min(2, 10) = 0.35
    assert M.map_at(CHUNKS, FACTS, 10) == pytest.approx(0.35)
    # only rank 2 within k=4: (1/2) / 2 = 0.25
    assert M.map_at(CHUNKS, FACTS, 4) == pytest.approx(0.25)
    assert M.mrr_at(["x", "y"], FACTS) == 0.0 and M.map_at(["x"], FACTS) == 0.0 and M.map_at(["x"], []) == 0.0


def test_citation_recall_and_precision_by_hand():
    gold = [("a", 10, 20), ("a", 50, 60), ("b", 0, 5)]
    cited = [("a", 15, 30), ("a", 100, 120), ("c", 0, 5)]
    # gold covered: only ("a",10,20) -> 1/3 ; cited overlapping gold: only ("a",15,30) -> 1/3
    assert M.citation_recall(gold, cited) == pytest.approx(1 / 3)
    assert M.citation_precision(gold, cited) == pytest.approx(1 / 3)
    # touching ends do not overlap; other article never overlaps
    assert not M.overlaps(("a", 0, 10), ("a", 10, 20)) and not M.overlaps(("a", 0, 10), ("b", 0, 10))


def test_citation_edge_cases():
    assert M.citation_recall([("a", 0, 5)], []) == 0.0  # answerable but nothing cited
    assert M.citation_precision([("a", 0, 5)], []) is None  # no citations: precision undefined
    assert M.citation_recall([], [("a", 0, 5)]) is None  # no gold (unanswerable)
    assert M.citation_precision([], [("a", 0, 5)]) == 0.0  # citing on an unanswerable question


def test_answer_metrics_by_hand():
    ans = "The fifth and eighth divisions [1] of the Iraqi Army."
    assert M.answer_keyword_accuracy(ans, [["fifth", "5th"], ["eighth", "8th"]]) == 1.0
    assert M.answer_keyword_accuracy(ans, [["fifth"], ["ninth"]]) == 0.0
    assert M.answer_keyword_accuracy(ans, []) is None
    assert M.answer_contains_gold(ans, "Fifth and eighth divisions") == 1.0
    assert M.answer_contains_gold(ans, "eighth and fifth") == 0.0
    assert M.answer_contains_gold("The fifteenth", "fifth") == 0.0  # whole words only
    assert M.answer_upstream_lenient("Yes, it did.", "yes") == 0.0  # "yes," != "yes": upstream splits on whitespace only
    assert M.answer_upstream_lenient("yes it did", "Yes") == 1.0


def test_refusal_metrics_by_hand():
    answerable = [True, True, False, False, False]
    refused = [True, False, True, True, False]
    # unanswerable: 3, refused among them: 2 -> 2/3 ; refusals: 3, unanswerable among them: 2 -> 2/3
    assert M.refusal_recall(answerable, refused) == pytest.approx(2 / 3)
    assert M.refusal_precision(answerable, refused) == pytest.approx(2 / 3)
    assert M.refusal_precision([True], [False]) is None
    assert M.refusal_recall([True], [True]) is None


def test_support_rate_mean_percentile():
    assert M.support_rate(["supported", "weak", "unsupported", "supported"]) == 0.5
    assert M.support_rate([]) is None
    assert M.mean([1.0, None, 0.0]) == 0.5 and M.mean([None]) is None
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile(list(range(101)), 95) == pytest.approx(95.0)

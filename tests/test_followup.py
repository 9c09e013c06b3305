"""Offline follow-ups: pronouns and "what about X" written out from the earlier turns."""

from __future__ import annotations

import pytest

from rag.followup import is_follow_up, rewrite

BINANCE = ("Who is the founder and CEO of Binance?",
           'Changpeng Zhao [1] Changpeng Zhao, also known as "CZ," the founder and CEO of Binance, is stepping down. [1]')
COINBASE = ("Who is the CEO of Coinbase?",
            "Brian Armstrong [1] Brian Armstrong, CEO of Coinbase, slammed the U.S. Securities and Exchange Commission. [1]")
HUSBAND = ("Who is Jada Pinkett Smith's husband?",
           "Will Smith [1] Jada Pinkett Smith has revealed that she and husband Will Smith have been separated. [1]")


@pytest.mark.parametrize("turns, follow_up, written", [
    ([BINANCE], "What did he plead guilty to?", "What did Changpeng Zhao plead guilty to?"),
    # "they" after a person answered about a company: both
    ([BINANCE], "What charges did they plead guilty to?", "What charges did Changpeng Zhao and Binance plead guilty to?"),
    ([BINANCE], "Who is its new CEO?", "Who is Binance's new CEO?"),  # "its": not the person
    ([COINBASE], "What about Binance?", "Who is the CEO of Binance?"),  # ellipsis: the name swapped
    ([COINBASE], "And who founded Binance?", "Who founded Binance?"),  # a whole question after "and"
    ([HUSBAND], "Who did he slap at the 2022 Academy Awards?", "Who did Will Smith slap at the 2022 Academy Awards?"),
    # a pronoun two turns back still finds its name; "there" becomes the place answered
    ([BINANCE, ("Where did he appear in court?", "Seattle [1] He appeared in a Seattle federal court on Tuesday. [1]")],
     "When did he appear there?", "When did Changpeng Zhao appear in Seattle?"),
    ([HUSBAND, ("How long have they been separated?", "seven years [1] They have been separated for seven years. [1]")],
     "Since when have they been married?", "Since when have Will Smith and Jada Pinkett Smith been married?"),
    # a place answered is not what "its" means next
    ([("Where did Facebook create its AI research lab in 2015?", "Paris [1] Facebook created its Paris research lab in 2015. [1]")],
     "Who was at the helm of its AI initiative?", "Who was at the helm of Facebook's AI initiative?"),
])
def test_follow_ups_are_written_out(turns, follow_up, written):
    assert is_follow_up(follow_up)
    assert rewrite(follow_up, turns, []) == written


def test_nothing_to_resolve_gives_none():
    assert rewrite("Why?", [BINANCE], []) is None  # the caller falls back to the previous question's articles
    assert rewrite("What did he say?", [], []) is None  # no earlier turn
    # "is there" is not a place
    assert rewrite("Is there a fine?", [BINANCE], []) is None


def test_a_named_question_is_not_a_follow_up():
    assert not is_follow_up("Which company does Amazon propose to acquire?")
    assert is_follow_up("What about Binance?")


def test_follow_up_answer_searches_the_rewrite(slice_corpus):
    """Through the answerer: the rewritten question is what is searched, answered and reported."""
    from rag.answerer import Answerer

    history = [{"role": "user", "content": "Who will be Binance's new CEO?"},
               {"role": "assistant", "content": "Richard Teng [1] Richard Teng, Binance's former global head of regional "
                                                "markets, will be the exchange's new CEO. [1]"}]
    a = Answerer(slice_corpus).ask("Who was he previously the CEO of?", history, use_llm=False)
    assert a.standalone_question == "Who was Richard Teng previously the CEO of?"
    assert "Financial Services Regulatory Authority" in a.answer

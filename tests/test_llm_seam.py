"""The chat-model seam: generators in order, our own errors never blamed on the LLM, deadlines."""

from __future__ import annotations

import pytest

from rag import Settings
from rag.answerer import Answerer
from rag.offline import OfflineAnswerer
from rag.chat import ChatGenerator
from rag.errors import BackendError, ConfigError
from rag.llm import ChatLLM, LLMError
from rag.safe import is_loopback_url

from .llm_server import ScriptedLLM

CANONICAL = "Which Iraqi army divisions are named?"
GOOD = "The fifth and eighth divisions of the Iraqi Army are named [1]."


@pytest.fixture(scope="module")
def llm():
    server = ScriptedLLM()
    yield server
    server.close()


@pytest.fixture
def answerer(seed_corpus, llm):
    settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url=llm.url, llm_model="m", llm_timeout=2, llm_max_retries=1)
    return Answerer(seed_corpus, settings)


def test_generators_are_tried_in_order_without_backend_branches(answerer):
    assert [type(g) for g in answerer.generators(use_llm=True)] == [ChatGenerator, OfflineAnswerer]
    assert [type(g) for g in answerer.generators(use_llm=False)] == [OfflineAnswerer]
    assert LLMError("x").notice == "x" and issubclass(LLMError, BackendError)


def test_a_retrieval_error_is_ours_not_an_llm_failure(answerer, llm, monkeypatch):
    llm.script({"content": GOOD})

    def broken(*args, **kwargs):
        raise ConfigError("the vector store is misconfigured")

    monkeypatch.setattr(answerer.retriever, "search", broken)
    with pytest.raises(ConfigError, match="misconfigured"):
        answerer.ask(CANONICAL)
    assert llm.requests == []  # the LLM was never asked, and nothing was reported as "LLM failed"


def test_every_call_streams_and_429_is_retried_before_the_first_token(answerer, llm):
    llm.script({"status": 429, "content": "slow down", "headers": {"Retry-After": "0.1"}}, {"content": GOOD})
    a = answerer.ask(CANONICAL)
    assert a.backend == "llm:m" and not a.notice
    assert [r["stream"] for r in llm.requests] == [True, True]


def test_the_overall_deadline_stops_a_slow_stream(seed_corpus, llm):
    settings = Settings(data_dir=seed_corpus.settings.data_dir, llm_base_url="https://api.example.invalid/v1", llm_timeout=0.01)
    chat = ChatLLM(settings)
    assert chat.deadline == 0.01 and not is_loopback_url(settings.llm_base_url)
    assert ChatLLM(Settings(llm_base_url=llm.url, llm_timeout=10)).deadline == 30  # local CPU servers get longer

    class Slow:
        closed = False

        def stream(self, inputs):
            def gen():
                try:
                    import time

                    for word in ["The ", "fifth ", "and ", "eighth "]:
                        time.sleep(0.02)
                        yield word
                finally:
                    Slow.closed = True
            return gen()

    with pytest.raises(LLMError, match="longer than"):
        chat.stream(Slow(), {})
    assert Slow.closed  # the stream (and so its connection) was closed


def test_a_follow_up_the_llm_returns_unchanged_uses_the_previous_articles(answerer, llm):
    llm.script({"content": "Which ministry oversees them?"}, {"content": "The Ministry of Interior oversees them [1]."})
    history = [{"role": "user", "content": CANONICAL}, {"role": "assistant", "content": GOOD}]
    a = answerer.ask("Which ministry oversees them?", history=history)
    assert "unchanged" in a.notice
    assert a.standalone_question == f"Which ministry oversees them? {CANONICAL}"

"""Talking to an OpenAI-compatible chat model: the one place that reaches the endpoint.

The generators that use it (rag/chat.py for answers, rag/briefing.py for key points) sit behind the
seam in rag/contract.py. `ChatLLM` builds ChatOpenAI from settings; every call is streamed
internally, so a first-token timeout and an overall deadline can be enforced and a call given up
closes its connection (llama.cpp and others then stop generating); HTTP 429 is retried with
Retry-After (before the first token, also when streaming); failures are raised as `LLMError`
carrying a one-line notice (one table: `describe_llm_error`). Errors of our own code (retrieval,
prompts, settings) are never caught here, so they are never reported as LLM failures.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

from .errors import BackendError
from .safe import is_loopback_url
from .settings import Settings

class LLMError(BackendError):
    """The LLM endpoint failed (unreachable, timed out, HTTP error, rate-limited past the retries).

    `reason` is a short code (timeout, deadline, unreachable, rate_limited, http_500, failed) that
    evaluation runs count; `notice` is the line a user sees.
    """

    def __init__(self, notice: str, reason: str = "failed"):
        self.notice = notice
        self.reason = reason
        super().__init__(notice)


class ChatLLM:
    """An OpenAI-compatible chat model with our timeouts, deadline, retries and error notices."""

    def __init__(self, settings: Settings):
        self.settings = settings
        local = is_loopback_url(settings.llm_base_url)
        # A local CPU server can take minutes for a whole answer; a hosted API should not.
        self.deadline = settings.llm_timeout * (3 if local else 1)
        self.first_token_timeout = settings.llm_timeout

    def model(self, max_tokens: int | None = None):
        """ChatOpenAI pointed at RAG_LLM_BASE_URL (OpenAI, Ollama, vLLM, llama.cpp, LM Studio)."""
        from langchain_openai import ChatOpenAI

        s = self.settings
        # The client's read timeout bounds the wait for the first token and between tokens.
        return ChatOpenAI(model=s.llm_model, base_url=s.llm_base_url, api_key=s.resolved_llm_key() or "not-needed",
                          timeout=self.first_token_timeout, max_retries=0, temperature=s.llm_temperature, streaming=True,
                          # llama.cpp's server ignores max_completion_tokens (what langchain-openai sends).
                          extra_body={"max_tokens": max_tokens or s.llm_max_tokens})

    def stream(self, runnable, inputs, on_token: Callable[[str], None] | None = None) -> str:
        """Run a LangChain runnable that yields message chunks (or text pieces); return the whole text.

        Retries HTTP 429 (honouring Retry-After) while no token has arrived; stops at the overall
        deadline and closes the stream, which closes the connection. A stream of message chunks
        that ends without a finish reason was cut off (the connection dropped): that is a failure,
        never a shorter answer.
        """
        import openai

        attempts = self.settings.llm_max_retries + 1
        for attempt in range(1, attempts + 1):
            pieces: list[str] = []
            finished = False
            started = time.monotonic()
            stream: Iterator = runnable.stream(inputs)
            try:
                for piece in stream:
                    text = piece if isinstance(piece, str) else str(getattr(piece, "content", "") or "")
                    finished = finished or isinstance(piece, str) or bool((getattr(piece, "response_metadata", None) or {}).get("finish_reason"))
                    if text:
                        pieces.append(text)
                        if on_token:
                            on_token(text)
                    if time.monotonic() - started > self.deadline:
                        raise LLMError(f"LLM took longer than {self.deadline:.0f} s (RAG_LLM_TIMEOUT); stopped it", "deadline")
                if not finished:
                    raise LLMError("LLM reply was cut off before it finished", "cut_off")
                return "".join(pieces)
            except openai.RateLimitError as exc:
                if pieces or attempt == attempts:
                    raise LLMError("LLM rate-limited (retries exhausted)", "rate_limited") from exc
                time.sleep(retry_after(exc, attempt))
            except LLMError:
                raise
            except Exception as exc:
                if _is_llm_failure(exc):
                    reason, notice = describe_llm_error(exc)
                    raise LLMError(notice, reason) from exc
                raise
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()  # a generator closed early closes its HTTP response
        raise LLMError("LLM failed")  # not reached: the loop returns or raises

    def complete(self, messages: list, max_tokens: int | None = None, on_token: Callable[[str], None] | None = None) -> str:
        """One chat completion of `messages` ((role, text) pairs), streamed internally."""
        return self.stream(self.model(max_tokens), messages, on_token)


def retry_after(exc: Exception, attempt: int) -> float:
    """Seconds to wait before retrying a 429: Retry-After when given, else exponential backoff (capped)."""
    resp = getattr(exc, "response", None)
    if resp is not None:
        try:
            return min(30.0, float(resp.headers.get("retry-after")))
        except (TypeError, ValueError):
            pass
    return min(30.0, 0.5 * 2 ** (attempt - 1))


def _is_llm_failure(exc: Exception) -> bool:
    import httpx
    import openai

    return isinstance(exc, (openai.OpenAIError, httpx.HTTPError, TimeoutError, ConnectionError))


def describe_llm_error(exc: Exception) -> tuple[str, str]:
    """(reason, notice) for an LLM failure: a short code evaluation runs count, and the line a user sees."""
    import openai

    if isinstance(exc, LLMError):
        return exc.reason, exc.notice
    table = ((openai.APITimeoutError, "timeout", "LLM timed out"),  # before APIConnectionError, its parent
             (openai.RateLimitError, "rate_limited", "LLM rate-limited (retries exhausted)"),
             (openai.APIConnectionError, "unreachable", "LLM unreachable"))
    for kind, reason, notice in table:
        if isinstance(exc, kind):
            return reason, notice
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}", f"LLM returned HTTP {exc.status_code}"
    return "failed", f"LLM failed ({type(exc).__name__})"

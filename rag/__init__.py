"""Cited answers and briefings over news articles: ingest, search, answer, brief, evaluate."""

from .settings import apply_offline_env

apply_offline_env()

from .corpus import Corpus  # noqa: E402
from .errors import BackendError, ConfigError, IngestError, PromptError, RagError  # noqa: E402
from .ingest import IngestReport, ingest  # noqa: E402
from .loaders import Article, load_paths  # noqa: E402
from .retrieve import Hit, Retriever  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = ["Article", "BackendError", "ConfigError", "Corpus", "Hit", "IngestError", "IngestReport", "PromptError",
           "RagError", "Retriever", "Settings", "ingest", "load_paths"]

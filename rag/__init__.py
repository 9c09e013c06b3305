"""Cited answers and briefings over news articles: ingest, search, answer, brief, evaluate.

Importing this package changes nothing in the host process. To keep third-party libraries from
reaching the network (hub look-ups, telemetry), a host that runs offline sets the variables in
`rag.settings.OFFLINE_ENV` before it imports chromadb, huggingface_hub or onnxruntime, for example
with `rag.settings.apply_offline_env()`; the `rag` command and the UI do this themselves.
"""

from .corpus import Corpus
from .errors import BackendError, ConfigError, IngestError, PromptError, RagError
from .filters import FilterError, Filters
from .ingest import IngestReport, ingest
from .loaders import Article, load_paths
from .retrieve import Hit, Retriever
from .settings import Settings

# The public surface, sorted (tests/test_seams.py keeps it so, and checks each has a docstring).
__all__ = ["Answer", "Answerer", "Article", "BackendError", "Briefing", "ConfigError", "Corpus", "FilterError", "Filters", "Hit",
           "IngestError", "IngestReport", "PromptError", "RagError", "Retriever", "Settings", "answer", "brief", "ingest",
           "load_paths", "stream_answer"]

# The answer and briefing entry points load on first use, so `import rag` stays light for ingest-only hosts.
_LAZY = {"Answer": "contract", "Answerer": "answerer", "answer": "answerer", "stream_answer": "answerer",
         "Briefing": "briefing", "brief": "briefing"}


def __dir__() -> list[str]:
    """The package's names, the lazily loaded ones included."""
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name: str):
    """`rag.answer`, `rag.brief` and the other names in `_LAZY`, imported from their module when first used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value

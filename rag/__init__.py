"""Cited answers and briefings over news articles: ingest, search, answer, brief, evaluate.

Importing this package changes nothing in the host process. To keep third-party libraries from
reaching the network (hub look-ups, telemetry), a host that runs offline sets the variables in
`rag.settings.OFFLINE_ENV` before it imports chromadb, huggingface_hub or onnxruntime, for example
with `rag.settings.apply_offline_env()`; the `rag` command and the UI do this themselves.
"""

from .answerer import Answerer, answer, stream_answer
from .briefing import Briefing, brief
from .contract import Answer
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

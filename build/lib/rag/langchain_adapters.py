"""LangChain views of our seams, for LangChain components that expect its interfaces.

Imported only where used (the naive LangChain + Chroma baseline in bench/retrieval.py, users who
plug the hybrid search into their own chains), so the CLI never pays for LangChain's import.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from .embeddings import Embedder
from .retrieve import Retriever


class LangChainEmbeddings(Embeddings):
    """An `Embedder` as LangChain `Embeddings` (lists of floats instead of numpy arrays)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """One unit-length vector for a question."""
        return self.embedder.embed_query(text).tolist()


class HybridLangChainRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search; metadata carries ids, spans and outlet."""

    retriever: Retriever
    k: int = 6
    sources: list[str] | None = None
    since: str | None = None
    until: str | None = None

    model_config = {"arbitrary_types_allowed": True}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.retriever.search(query, self.k, self.sources, self.since, self.until)
        return [Document(page_content=h.text, metadata={k: v for k, v in h.as_dict().items() if k != "text"}) for h in hits]

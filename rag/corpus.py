"""`Corpus`: the opened data dir — catalogue, vector store, BM25 index and embedder together.

Opening is cheap: Chroma, the embedding model and the BM25 index are only loaded when first
needed, so `rag stats` or an unchanged re-ingest never pay for loading the model.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from .bm25 import Bm25Index, load_or_build
from .embeddings import ONNX_SUFFIX, embedding_model_id, make_embedder
from .errors import ConfigError
from .settings import Settings
from .store import Catalog, VectorStore


class Corpus:
    """Everything stored under one data dir (and, in server mode, one Chroma collection)."""

    def __init__(self, settings: Settings | None = None, embedder=None):
        self.settings = settings or Settings()
        self.data_dir = Path(self.settings.data_dir)
        self.catalog = Catalog(self.data_dir / "catalog.sqlite3")
        self._embedder = embedder
        self._bm25: Bm25Index | None = None
        self._lock = threading.RLock()
        stored = self.catalog.get_meta("embedding_model")
        if stored and stored != self.model_name:
            hint = ("set RAG_EMBEDDING_RUNTIME=torch (pip install 'news-rag[torch]')" if stored + ONNX_SUFFIX == self.model_name
                    else "set RAG_EMBEDDING_RUNTIME=onnx" if self.model_name + ONNX_SUFFIX == stored
                    else "set RAG_EMBEDDING_MODEL back")
            raise ConfigError(f"{self.data_dir} was built with embedding model {stored!r}, not {self.model_name!r}; "
                              f"re-ingest into another --data-dir, or {hint}")

    @property
    def model_name(self) -> str:
        return self._embedder.name if self._embedder is not None else embedding_model_id(self.settings)

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @cached_property
    def vectors(self) -> VectorStore:
        return VectorStore(self.settings, self.model_name, self.collection_name)

    @property
    def collection_name(self) -> str:
        """The Chroma collection this data dir owns.

        Embedded, the collection lives inside the data dir. On a shared `chroma run` server each
        catalogue gets its own collection (name + the catalogue's id), so `reconcile` in one data
        dir can never delete another data dir's vectors.
        """
        if not self.settings.chroma_url:
            return self.settings.collection
        return f"{self.settings.collection}-{self.catalog.catalog_id()}"

    @property
    def bm25(self) -> Bm25Index:
        """The BM25 index, rebuilt if the catalogue changed since it was built."""
        with self._lock:
            if self._bm25 is None or self._bm25.generation != self.catalog.generation:
                self._bm25 = load_or_build(self.catalog, self.data_dir / "bm25")
            return self._bm25

    def record_model(self, dim: int) -> None:
        """Remember which model (and dimension) the stored vectors come from."""
        if not self.catalog.get_meta("embedding_model"):
            self.catalog.set_meta("embedding_model", self.model_name)
            self.catalog.set_meta("embedding_dim", str(dim))
        elif int(self.catalog.get_meta("embedding_dim") or dim) != dim:
            raise ConfigError(f"{self.data_dir} holds {self.catalog.get_meta('embedding_dim')}-dim vectors, the embedder gives {dim}")

    def reconcile(self) -> dict:
        """Make Chroma and the catalogue agree after a crash; returns what was repaired."""
        chroma_ids = self.vectors.all_ids()
        catalog_ids = self.catalog.chunk_ids()
        orphans = sorted(chroma_ids - catalog_ids)
        if orphans:
            self.vectors.delete(orphans)
        missing = catalog_ids - chroma_ids
        broken = sorted({cid.split(":", 1)[0] for cid in missing})
        if broken:
            self.catalog.delete(broken)
        return {"orphan_vectors_removed": len(orphans), "incomplete_articles_dropped": len(broken)}

    def delete(self, article_ids: list[str]) -> int:
        """Delete articles (vectors first, then catalogue rows); returns how many were removed."""
        with self._lock:
            chunk_ids = [cid for aid in article_ids for cid in self.catalog.chunk_ids_of(aid)]
            if chunk_ids:
                self.vectors.delete(chunk_ids)
            n = self.catalog.delete(article_ids)
            return n

    def close(self) -> None:
        self.catalog.close()

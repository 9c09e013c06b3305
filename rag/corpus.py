"""`Corpus`: the opened data dir — catalogue, vector store, BM25 index and embedder together.

Opening is cheap: Chroma, the embedding model and the BM25 index are only loaded when first
needed, so `rag stats` or an unchanged re-ingest never pay for loading the model.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .bm25 import Bm25Index, load_or_build, tokenize
from .judge import Judge, make_judge
from .embeddings import (Embedder, OnnxEmbedder, StaticEmbedder, embedding_model_id, make_embedder, runtime_of,
                         shared_onnx_embedder)
from .errors import ConfigError
from .settings import Settings
from .store import Catalog, VectorStore
from .text import sentence_spans


class Corpus:
    """Everything stored under one data dir (and, in server mode, one Chroma collection)."""

    def __init__(self, settings: Settings | None = None, embedder=None, judge=None, reembedding: bool = False):
        self.settings = settings or Settings()
        self._judge = judge
        self.data_dir = Path(self.settings.data_dir)
        self.catalog = Catalog(self.data_dir / "catalog.sqlite3")
        self._embedder = embedder
        self._bm25: Bm25Index | None = None
        self._vectors: VectorStore | None = None
        self._ingest_embedder: Embedder | None = None
        # Writers (ingest, delete) take `write_lock` one at a time; searches never wait on it.
        self.write_lock = threading.RLock()
        self._load_lock = threading.Lock()  # lazy loads happen once, even when two requests come first
        self._bm25_lock = threading.Lock()
        self._sentence_cache: dict[str, list[frozenset[str]]] = {}
        stored = self.catalog.get_meta("embedding_model")
        if stored and stored != self.model_name and not reembedding:
            runtime = runtime_of(stored)
            hint = (f"set RAG_EMBEDDING_RUNTIME={runtime}" + (" (pip install 'news-rag[torch]')" if runtime == "torch" else "")
                    if runtime else "set RAG_EMBEDDING_MODEL back")
            raise ConfigError(f"{self.data_dir} was built with embedding model {stored!r}, not {self.model_name!r}; "
                              f"run `rag ingest --reembed` to embed it again with the current one, use another --data-dir, "
                              f"or {hint}")

    @property
    def model_name(self) -> str:
        return self._embedder.name if self._embedder is not None else embedding_model_id(self.settings)

    @property
    def embedder(self) -> Embedder:
        """The embedding backend chosen by settings (created on first use)."""
        if self._embedder is None:
            with self._load_lock:
                if self._embedder is None:
                    self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def sentence_embedder(self) -> Embedder:
        """The embedder that compares sentences at answer time (offline answerer, citation verdicts,
        briefings): the index embedder itself, except over static vectors, whose cosines the answer
        thresholds were not calibrated on; then the int8 MiniLM they were calibrated with."""
        if not isinstance(self.embedder, StaticEmbedder):
            return self.embedder
        return shared_onnx_embedder(self.settings.resolved_model_cache_dir())

    @property
    def judge(self) -> Judge:
        """The sentence relevance judge chosen by settings (the packaged model is loaded on first use)."""
        if self._judge is None:
            self._judge = make_judge(self.settings.judge, lambda w: self.bm25.idf(w))
        return self._judge

    @property
    def ingest_embedder(self) -> Embedder:
        """The embedder ingest uses: the same model, limited to `ingest_threads` when that is set
        (a second onnxruntime session, so questions answered meanwhile keep the other cores)."""
        if not self.settings.ingest_threads or not isinstance(self.embedder, OnnxEmbedder) or type(self.embedder) is not OnnxEmbedder:
            return self.embedder
        if self._ingest_embedder is None:
            with self._load_lock:
                if self._ingest_embedder is None:
                    self._ingest_embedder = OnnxEmbedder(self.embedder.cache_dir, self.embedder.batch_size, self.settings.ingest_threads,
                                                        self.embedder.window)
        return self._ingest_embedder

    @property
    def vectors(self) -> VectorStore:
        """The Chroma collection (opened on first use)."""
        if self._vectors is None:
            with self._load_lock:
                if self._vectors is None:
                    self._vectors = VectorStore(self.settings, self.model_name, self.collection_name)
        return self._vectors

    def adopt_vectors(self, store: VectorStore, dim: int, suffix: str) -> None:
        """Switch to a freshly embedded collection: model, dimension and collection in one commit."""
        self.catalog.set_metas({"embedding_model": self.model_name, "embedding_dim": str(dim), "vectors_suffix": suffix})
        self._vectors = store

    @property
    def collection_name(self) -> str:
        """The Chroma collection this data dir owns.

        Embedded, the collection lives inside the data dir. On a shared `chroma run` server each
        catalogue gets its own collection (name + the catalogue's id), so `reconcile` in one data
        dir can never delete another data dir's vectors.
        """
        base = self.settings.collection if not self.settings.chroma_url else f"{self.settings.collection}-{self.catalog.catalog_id()}"
        # A re-embed writes a new collection and switches to it in one catalogue commit (`reembed`).
        suffix = self.catalog.get_meta("vectors_suffix")
        return f"{base}-{suffix}" if suffix else base

    @property
    def bm25(self) -> Bm25Index:
        """The BM25 index, rebuilt when the catalogue has changed since it was built.

        While a writer of this process (ingest, delete) is at work, or another thread rebuilds,
        searches keep using the previous index instead of waiting: the writer refreshes it when it
        is done, so a question never pays for a rebuild an upload caused. A change made by another
        process (a CLI ingest) is picked up by the next search.
        """
        current = self._bm25
        if current is not None and current.generation == self.catalog.generation:
            return current
        if current is not None:
            if not self.write_lock.acquire(blocking=False):
                return current  # a writer is busy; it refreshes the index when it finishes
            self.write_lock.release()
            if not self._bm25_lock.acquire(blocking=False):
                return current
        if current is None:
            self._bm25_lock.acquire()
        try:
            return self._rebuild_bm25()
        finally:
            self._bm25_lock.release()

    def refresh_bm25(self) -> Bm25Index:
        """Bring the BM25 index up to date now (waits for a rebuild in progress)."""
        with self._bm25_lock:
            return self._rebuild_bm25()

    def _rebuild_bm25(self) -> Bm25Index:
        if self._bm25 is None or self._bm25.generation != self.catalog.generation:
            self._bm25 = load_or_build(self.catalog, self.data_dir / "bm25")
        return self._bm25

    def sentence_tokens(self, chunk_id: str) -> list[frozenset[str]]:
        """The stemmed content words of each sentence of a chunk (cached: chunk ids never change meaning)."""
        got = self._sentence_cache.get(chunk_id)
        if got is None:
            aid, span = chunk_id.rsplit(":", 1)
            start, end = (int(x) for x in span.split("-"))
            art = self.catalog.article(aid)
            got = [frozenset(tokenize(art.text[sp.start:sp.end])) for sp in sentence_spans(art.text, start, end)] if art else []
            if len(self._sentence_cache) > 50_000:
                self._sentence_cache.clear()
            self._sentence_cache[chunk_id] = got
        return got

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
        with self.write_lock:
            chunk_ids = [cid for aid in article_ids for cid in self.catalog.chunk_ids_of(aid)]
            if chunk_ids:
                self.vectors.delete(chunk_ids)
            n = self.catalog.delete(article_ids)
            if n:
                self.refresh_bm25()
            return n

    def close(self) -> None:
        self.catalog.close()

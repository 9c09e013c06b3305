"""Storage: the SQLite catalogue (source of truth) and the Chroma vector collection.

The catalogue holds articles (full original text and metadata) and their chunk spans. An
article counts as stored only once its catalogue row is committed, and that happens after its
vectors are in Chroma; `reconcile` removes vectors that no committed article owns (left by a
crash) and forgets articles whose vectors went missing, so a re-run converges. The BM25 index
(`rag/bm25.py`) is derived from the catalogue and rebuilt when the catalogue's generation moves.

Chroma runs embedded (`PersistentClient`, under the data dir) or against a server when
`RAG_CHROMA_URL` is set (`HttpClient`). Its default embedding function is never used: it
would download a model. Vectors always come from our embedder.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlparse

from .dates import date_key
from .errors import BackendError, ConfigError
from .filters import Filters
from .loaders import Article
from .settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, path TEXT, origin TEXT, title TEXT, source TEXT,
    author TEXT, published_at TEXT, url TEXT, text TEXT NOT NULL, n_chunks INTEGER,
    minhash BLOB, ingested_at REAL
);
CREATE INDEX IF NOT EXISTS articles_key ON articles(key);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER, start INTEGER, "end" INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


@dataclass
class StoredArticle:
    """An article as held in the catalogue."""

    id: str
    key: str
    path: str
    origin: str
    title: str
    source: str
    author: str
    published_at: str
    url: str
    text: str
    n_chunks: int

    def as_dict(self, with_text: bool = False) -> dict:
        d = {k: getattr(self, k) for k in ("id", "title", "source", "author", "published_at", "url", "origin", "n_chunks")}
        if with_text:
            d["text"] = self.text
        return d


class Catalog:
    """SQLite catalogue of articles and chunk spans, with a generation counter."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._cache: dict[str, StoredArticle] = {}

    # -- meta -------------------------------------------------------------------------------
    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        # One connection is shared by the UI's worker threads; sqlite3 needs calls serialised.
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def catalog_id(self) -> str:
        """A random id given to this catalogue when first asked, then kept (names its server collection)."""
        with self._lock:
            value = self.get_meta("catalog_id")
            if not value:
                import uuid

                value = uuid.uuid4().hex[:12]
                self.set_meta("catalog_id", value)
            return value

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Counter bumped by every change; derived indexes compare against it."""
        return int(self.get_meta("generation") or 0)

    def _bump(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', ?)", (str(int(row[0] if row else 0) + 1),))
        self._cache.clear()

    # -- articles ---------------------------------------------------------------------------
    def has(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id=?", (article_id,)))

    def has_url(self, url: str) -> bool:
        """Whether an article with this web address is stored."""
        return bool(self._rows("SELECT 1 FROM articles WHERE url=? OR key=? LIMIT 1", (url, url)))

    def ids_for_key(self, key: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM articles WHERE key=?", (key,))]

    def add(self, article: Article, chunks: Sequence, minhash: bytes | None, replaces: Iterable[str] = ()) -> None:
        """Commit an article and its chunk spans (after its vectors are stored), replacing others."""
        with self._lock, self.db:
            for old in replaces:
                self.db.execute("DELETE FROM articles WHERE id=?", (old,))
            self.db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (article.id, article.key, article.path, article.origin, article.title, article.source, article.author,
                 article.published_at, article.url, article.text, len(chunks), minhash, time.time()),
            )
            self.db.executemany('INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?)',
                                [(c.id, article.id, c.ordinal, c.start, c.end) for c in chunks])
            self._bump()

    def delete(self, article_ids: Iterable[str]) -> int:
        ids = list(article_ids)
        with self._lock, self.db:
            n = 0
            for aid in ids:
                n += self.db.execute("DELETE FROM articles WHERE id=?", (aid,)).rowcount
            if n:
                self._bump()
        return n

    def article(self, article_id: str) -> StoredArticle | None:
        cached = self._cache.get(article_id)
        if cached is not None:
            return cached
        rows = self._rows("SELECT id,key,path,origin,title,source,author,published_at,url,text,n_chunks FROM articles WHERE id=?",
                          (article_id,))
        if not rows:
            return None
        art = StoredArticle(*rows[0])
        self._cache[article_id] = art
        return art

    def find(self, ref: str) -> list[StoredArticle]:
        """Articles matching `ref` literally: id, id prefix (>= 6 hex digits), exact title, url or file name."""
        ref = ref.strip()
        if not ref:
            return []
        # No LIKE/GLOB: a reference is never a pattern, so "%" or "____" matches only itself.
        prefix = ref.lower() if len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref.lower()) else None
        tail = "/" + ref
        rows = self._rows(
            "SELECT id FROM articles WHERE id=? OR (? IS NOT NULL AND substr(id, 1, ?)=?) OR title=? OR url=? OR origin=? "
            "OR path=? OR substr(path, -?)=? ORDER BY published_at DESC, title",
            (ref, prefix, len(prefix or ""), prefix, ref, ref, ref, ref, len(tail), tail))
        return [a for a in (self.article(r[0]) for r in rows) if a]

    def articles(self, newest_first: bool = False) -> list[StoredArticle]:
        """Stored articles by publication date and title, or the most recently ingested first."""
        order = "ingested_at DESC, title" if newest_first else "published_at, title"
        rows = self._rows(f"SELECT id FROM articles ORDER BY {order}")
        return [a for a in (self.article(r[0]) for r in rows) if a]

    def minhashes(self) -> list[tuple[str, bytes]]:
        return [(r[0], r[1]) for r in self._rows("SELECT id, minhash FROM articles WHERE minhash IS NOT NULL")]

    def paths(self) -> list[tuple[str, str]]:
        return self._rows("SELECT id, path FROM articles")

    def set_metas(self, values: dict[str, str]) -> None:
        """Set several meta keys in one commit (all or none)."""
        with self._lock, self.db:
            self.db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(values.items()))

    def chunk_spans(self) -> list[tuple[str, str, int, int, int]]:
        """(chunk id, article id, ordinal, start, end) for every chunk, article by article."""
        return self._rows('SELECT id, article_id, ordinal, start, "end" FROM chunks ORDER BY article_id, ordinal')

    def chunk_rows(self) -> list[tuple[str, str, int, int]]:
        """(chunk id, article id, start, end) for every chunk, in a stable order."""
        return self._rows('SELECT id, article_id, start, "end" FROM chunks ORDER BY article_id, ordinal')

    def is_empty(self) -> bool:
        """True when no chunk is stored."""
        return not self._rows("SELECT 1 FROM chunks LIMIT 1")

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT id FROM chunks")}

    def stats(self) -> dict:
        n_art, n_chunks = self._rows("SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM chunks)")[0]
        sources = dict(self._rows("SELECT source, COUNT(*) FROM articles GROUP BY source ORDER BY COUNT(*) DESC"))
        lo, hi = self._rows("SELECT MIN(published_at), MAX(published_at) FROM articles WHERE published_at != ''")[0]
        return {"articles": n_art, "chunks": n_chunks, "sources": sources, "date_from": lo, "date_to": hi,
                "embedding_model": self.get_meta("embedding_model"), "embedding_dim": int(self.get_meta("embedding_dim") or 0)}

    def count_articles(self, filters: Filters) -> int:
        """How many stored articles `filters` admits."""
        where, params = filters.sql()
        return self._rows(f"SELECT COUNT(*) FROM articles WHERE {where}", tuple(params))[0][0]

    def sources(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT source FROM articles WHERE source != '' ORDER BY source")]

    def chunk_ids_of(self, article_id: str) -> list[str]:
        """Chunk ids of one article."""
        return [r[0] for r in self._rows("SELECT id FROM chunks WHERE article_id=?", (article_id,))]

    def close(self) -> None:
        with self._lock:
            self.db.close()


_CHROMADB_IMPORT = threading.Lock()


def import_chromadb():
    """The chromadb module, imported once with `overrides`' import-time signature checks skipped."""
    with _CHROMADB_IMPORT:
        if "chromadb.api.rust" not in sys.modules:
            try:
                import overrides
            except ImportError:  # a chromadb that no longer uses it
                overrides = None
            real = (overrides.override, overrides.overrides) if overrides else None

            # chromadb decorates about 200 of its own methods with `overrides.override`, which at import
            # disassembles each class body and compares signatures with the base class: about 0.4 s of
            # every cold `rag ask`, spent re-checking chromadb's own code. For this one import the
            # decorator only sets the marker that `EnforceOverrides` looks for; the real one is put back
            # straight after (chromadb is the only dependency that uses it).
            def mark_only(method=None, **_options):
                if method is None:
                    return mark_only
                method.__override__ = True
                return method

            if real:
                overrides.override = overrides.overrides = mark_only
            try:
                import chromadb
                import chromadb.api.rust  # noqa: F401  (the embedded client's backend, else imported later)
            finally:
                if real:
                    overrides.override, overrides.overrides = real
    import chromadb

    return chromadb


def chunk_metadata(article: Article | StoredArticle, chunk) -> dict:
    """Chroma metadata for a chunk; dates as YYYYMMDD integers so ranges can be filtered."""
    return {"article_id": article.id, "source": article.source or "", "published": date_key(article.published_at),
            "start": chunk.start, "end": chunk.end, "ordinal": chunk.ordinal}


class VectorStore:
    """The Chroma collection holding chunk vectors, embedded or on a server."""

    def __init__(self, settings: Settings, model_name: str, collection: str | None = None):
        chromadb = import_chromadb()
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_url:
                u = urlparse(settings.chroma_url)
                if not u.hostname:
                    raise ConfigError(f"RAG_CHROMA_URL {settings.chroma_url!r} is not a URL; use http://host:port")
                self.client = chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                                  ssl=u.scheme == "https", settings=chroma_settings)
                self.where = settings.chroma_url
            else:
                path = Path(settings.data_dir) / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.where = str(path)
            collection = collection or settings.collection
            self.collection = self.client.get_or_create_collection(
                collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": model_name},
            )
        except ConfigError:
            raise
        except Exception as exc:
            raise BackendError(f"cannot open Chroma at {settings.chroma_url or settings.data_dir}: {exc}. "
                               "Check RAG_CHROMA_URL (is `chroma run` up?) or the data dir permissions") from exc
        stored = (self.collection.metadata or {}).get("embedding_model")
        if stored and stored != model_name:
            raise ConfigError(f"collection {collection!r} at {self.where} was built with {stored!r}, "
                              f"but the embedding model is {model_name!r}; use another RAG_DATA_DIR/RAG_COLLECTION or the original model")
        self.max_batch = self.client.get_max_batch_size()
        self._vec_cache: dict = {}

    def upsert(self, ids: list[str], embeddings, metadatas: list[dict], documents: list[str]) -> None:
        for i in range(0, len(ids), self.max_batch):
            j = i + self.max_batch
            self.collection.upsert(ids=ids[i:j], embeddings=embeddings[i:j], metadatas=metadatas[i:j], documents=documents[i:j])

    def delete(self, ids: list[str]) -> None:
        for cid in ids:
            self._vec_cache.pop(cid, None)
        for i in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=ids[i:i + self.max_batch])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(got)
            if len(got) < page:
                return ids
            offset += page

    def count(self) -> int:
        return self.collection.count()

    def embeddings(self, ids: list[str]) -> dict:
        """Stored vectors by chunk id, cached in memory (vectors of a chunk id never change)."""
        import numpy as np

        missing = [i for i in ids if i not in self._vec_cache]
        if missing:
            got = self.collection.get(ids=missing, include=["embeddings"])
            if len(self._vec_cache) + len(got["ids"]) > 200_000:
                self._vec_cache.clear()
            for cid, emb in zip(got["ids"], got["embeddings"]):
                self._vec_cache[cid] = np.asarray(emb, dtype=np.float32)
        return {i: self._vec_cache[i] for i in ids if i in self._vec_cache}

    def query(self, vector, n: int, where: dict | None) -> list[tuple[str, float]]:
        """Nearest chunks to `vector`: (chunk id, cosine similarity), best first."""
        # No count() first: Chroma returns fewer results when fewer match, and counting cost a round trip per query.
        res = self.collection.query(query_embeddings=[vector], n_results=max(1, n), where=where or None, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]


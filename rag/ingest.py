"""Ingest: load files, skip what is already stored, detect near-duplicates, chunk, embed, store.

Idempotent by construction: an article's id is a hash of its normalised body and url, so an
unchanged article is recognised before any chunking or embedding. An edited article (same file
or url, new content) replaces the old version's chunks. Work is committed in groups: vectors go
to Chroma first, then the catalogue rows; a crash in between leaves orphan vectors that the
next run's `reconcile` removes, so re-running always converges on the same chunk set.

Exit rule (CLI): non-zero only when files were given and nothing at all could be ingested or
recognised as already stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .chunking import chunk_article
from .corpus import Corpus
from .errors import IngestError
from .loaders import Article, load_paths
from .store import chunk_metadata
from .text import normalise

NUM_PERM = 128
MINHASH_SCHEME = "affine32"  # stored signatures are only comparable under the same scheme
GROUP_CHUNKS = 1024  # chunks embedded per call: big enough for efficient batching, small enough to commit often


@dataclass
class IngestReport:
    """What an ingest run did, per article and per file."""

    added: list[dict] = field(default_factory=list)
    replaced: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    pruned: list[dict] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks_added: int = 0
    repaired: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when input had problems and nothing could be ingested or recognised."""
        return bool(self.errors) and not (self.added or self.replaced or self.unchanged or self.duplicates)

    def as_dict(self) -> dict:
        return {"added": self.added, "replaced": self.replaced, "unchanged": len(self.unchanged),
                "duplicates": self.duplicates, "pruned": self.pruned, "chunks_added": self.chunks_added,
                "errors": [{"file": e.path, "reason": e.reason} for e in self.errors], "warnings": self.warnings,
                "repaired": self.repaired}


def _brief(a: Article, **extra) -> dict:
    return {"id": a.id, "title": a.title, "origin": a.origin, **extra}


def minhash(text: str):
    """MinHash signature of word 3-shingles of the normalised, lower-cased text."""
    from datasketch import MinHash

    words = re.findall(r"\w+", normalise(text).lower())
    shingles = {" ".join(words[i:i + 3]).encode() for i in range(max(1, len(words) - 2))}
    m = MinHash(num_perm=NUM_PERM, scheme=MINHASH_SCHEME)
    m.update_batch(list(shingles))
    return m


def _from_bytes(raw: bytes):
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(raw, dtype=np.uint64), scheme=MINHASH_SCHEME)


def lower_thread_priority(niceness: int = 10) -> None:
    """Give the calling thread a lower CPU priority (Linux: per-thread nice), so searches asked while it
    embeds keep the cores. Threads it starts inherit it. A no-op where the OS does not allow it."""
    import os
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass


def at_low_priority(fn: Callable, *args, **kwargs):
    """`fn(*args, **kwargs)` on a fresh thread at lower CPU priority, waited for; its result or its exception.

    A fresh thread, because an unprivileged process cannot raise a thread's priority again: a pooled
    worker thread lowered once would answer later questions slowly too.
    """
    import threading

    box: dict = {}

    def work() -> None:
        lower_thread_priority()
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    t = threading.Thread(target=work, name="rag-ingest", daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def ingest(corpus: Corpus, paths: Iterable[str], prune: bool = False, keep_duplicates: bool = False,
           progress: Callable[[str, int, int], None] | None = None, articles: list[Article] | None = None,
           workers: int = 0) -> IngestReport:
    """Ingest files (or ready `articles`) into the corpus and return a report.

    `workers` > 1 embeds in that many processes (local models); searches keep running meanwhile.
    """
    settings = corpus.settings
    report = IngestReport()
    loaded = load_paths(list(paths), max_bytes=settings.max_file_bytes)
    report.errors.extend(loaded.errors)
    incoming = loaded.articles + list(articles or [])
    report.warnings.extend(w for art in incoming for w in art.warnings)
    with corpus.write_lock:  # one writer at a time; searches never wait on it
        catalog = corpus.catalog
        todo: list[tuple[Article, list[str]]] = []
        seen: dict[str, Article] = {}
        for art in incoming:
            if art.id in seen:
                report.duplicates.append(_brief(art, duplicate_of=seen[art.id].id, similarity=1.0, kept=False))
                continue
            seen[art.id] = art
            if catalog.has(art.id):
                report.unchanged.append(_brief(art))
                continue
            todo.append((art, [i for i in catalog.ids_for_key(art.key) if i != art.id]))
        if todo or prune:
            report.repaired = corpus.reconcile()
        accepted = _drop_near_duplicates(corpus, todo, keep_duplicates, settings.duplicate_threshold, report)
        _embed_and_store(corpus, accepted, report, progress, workers)
        if prune:
            gone = [aid for aid, path in catalog.paths() if path and not Path(path).exists()]
            for aid in gone:
                art = catalog.article(aid)
                report.pruned.append({"id": aid, "title": art.title, "origin": art.origin})
            corpus.delete(gone)
        if report.added or report.replaced or report.pruned:
            corpus.refresh_bm25()  # rebuilt now (searches use the previous index meanwhile)
    return report


def _drop_near_duplicates(corpus: Corpus, todo, keep: bool, threshold: float, report: IngestReport):
    from datasketch import MinHashLSH

    if not todo:
        return []
    # Earliest-published first, so the original stays and the later syndicated copy is flagged.
    todo = sorted(todo, key=lambda t: t[0].published_at or "9999")
    replacing = {old for _, olds in todo for old in olds}
    lsh = MinHashLSH(threshold=max(0.5, threshold - 0.1), num_perm=NUM_PERM)
    sigs = {}
    for aid, raw in corpus.catalog.minhashes():
        if aid not in replacing:
            sigs[aid] = _from_bytes(raw)
            lsh.insert(aid, sigs[aid])
    accepted = []
    for art, olds in todo:
        m = minhash(art.text)
        best, best_id = 0.0, None
        for cand in lsh.query(m):
            sim = m.jaccard(sigs[cand])
            if sim > best:
                best, best_id = sim, cand
        if best >= threshold:
            entry = _brief(art, duplicate_of=best_id, similarity=round(best, 3), kept=keep)
            report.duplicates.append(entry)
            if not keep:
                continue
        key = art.id
        if key not in sigs:
            sigs[key] = m
            lsh.insert(key, m)
        accepted.append((art, olds, m))
    return accepted


def _chunk_groups(corpus: Corpus, accepted, report: IngestReport) -> Iterator[list]:
    """Accepted articles chunked, in groups of about GROUP_CHUNKS chunks: [(article, olds, minhash, chunks)]."""
    settings, embedder = corpus.settings, corpus.embedder
    group: list[tuple[Article, list[str], object, list]] = []
    n_group = 0
    for art, olds, m in accepted:
        try:
            chunks = chunk_article(art, embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)
        except ValueError as exc:
            report.errors.append(IngestError(art.origin, str(exc)))
            continue
        if not chunks:
            report.errors.append(IngestError(art.origin, "no text to index after cleaning"))
            continue
        group.append((art, olds, m, chunks))
        n_group += len(chunks)
        if n_group >= GROUP_CHUNKS:
            yield group
            group, n_group = [], 0
    if group:
        yield group


def _texts(group) -> list[str]:
    return [c.embed_text for _, _, _, chunks in group for c in chunks]


def _embedded(corpus: Corpus, groups: Iterator[list], workers: int) -> Iterator[tuple[list, np.ndarray]]:
    """(group, vectors) in order. With workers > 1, groups are embedded by that many processes
    (one model and one thread each) while the caller stores the previous ones."""
    if workers <= 1 or corpus.settings.embedding_backend != "local":
        for group in groups:
            yield group, corpus.ingest_embedder.embed_documents(_texts(group))
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold onnxruntime/Chroma threads that a fork would copy mid-flight.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                             initargs=(corpus.settings.model_dump(mode="json"),)) as pool:
        pending: deque = deque()
        for group in groups:
            pending.append((group, pool.submit(_worker_embed, _texts(group))))
            if len(pending) > workers:  # a bounded queue: chunking never runs far ahead of embedding
                done_group, fut = pending.popleft()
                yield done_group, fut.result()
        while pending:
            done_group, fut = pending.popleft()
            yield done_group, fut.result()


_WORKER_EMBEDDER = None


def _worker_init(settings: dict) -> None:
    """In an ingest worker process: load the embedder once, on one thread."""
    global _WORKER_EMBEDDER
    from .embeddings import OnnxEmbedder, make_embedder
    from .settings import Settings, apply_offline_env

    apply_offline_env()  # a worker is a process of ours, like the CLI
    s = Settings(**settings)
    _WORKER_EMBEDDER = make_embedder(s)
    if isinstance(_WORKER_EMBEDDER, OnnxEmbedder):
        _WORKER_EMBEDDER.threads = 1  # the workers share the cores between them


def _worker_embed(texts: list[str]) -> np.ndarray:
    return _WORKER_EMBEDDER.embed_documents(texts)


def _embed_and_store(corpus: Corpus, accepted, report: IngestReport, progress, workers: int = 0) -> None:
    if not accepted:
        return
    total, done = len(accepted), 0
    # Embedding (the slow part) holds no lock that searches take; only each commit is brief.
    for group, vecs in _embedded(corpus, _chunk_groups(corpus, accepted, report), workers):
        done += _store_group(corpus, group, vecs, report)
        if progress:
            progress("embedding", done, total)


def _store_group(corpus: Corpus, group, vecs: np.ndarray, report: IngestReport) -> int:
    catalog, vectors = corpus.catalog, corpus.vectors
    all_chunks = [(art, c) for art, _, _, chunks in group for c in chunks]
    corpus.record_model(int(vecs.shape[1]))
    vectors.upsert([c.id for _, c in all_chunks], vecs.tolist(), [chunk_metadata(a, c) for a, c in all_chunks],
                   [c.text for _, c in all_chunks])
    for art, olds, m, chunks in group:
        old_chunk_ids = [cid for old in olds for cid in catalog.chunk_ids_of(old)]
        catalog.add(art, chunks, np.asarray(m.hashvalues, dtype=np.uint64).tobytes(), replaces=olds)
        kept = {c.id for c in chunks}
        stale = [cid for cid in old_chunk_ids if cid not in kept]
        if stale:
            vectors.delete(stale)
        (report.replaced if olds else report.added).append(_brief(art, chunks=len(chunks), replaces=olds) if olds else _brief(art, chunks=len(chunks)))
        report.chunks_added += len(chunks)
    return len(group)


def reembed(corpus: Corpus, progress: Callable[[str, int, int], None] | None = None, batch: int = 512) -> int:
    """Embed every stored chunk again with the corpus's current embedder; returns how many.

    The catalogue (articles, chunks, BM25) stays as it is. The new vectors go into a new collection,
    and one catalogue commit then switches the data dir to it (model, dimension, collection) before
    the old collection is dropped: a run stopped half-way leaves the data dir as it was.
    """
    import uuid

    from .chunking import embed_text, embed_title
    from .store import VectorStore

    with corpus.write_lock:
        catalog, embedder = corpus.catalog, corpus.ingest_embedder
        old_name, old_suffix = corpus.collection_name, catalog.get_meta("vectors_suffix")
        base = old_name.removesuffix(f"-{old_suffix}") if old_suffix else old_name
        suffix = uuid.uuid4().hex[:8]
        fresh = VectorStore(corpus.settings, corpus.model_name, f"{base}-{suffix}")
        rows = catalog.chunk_spans()
        dim, done = embedder.dim, 0
        for i in range(0, len(rows), batch):
            part = rows[i:i + batch]
            arts = {aid: catalog.article(aid) for aid in {r[1] for r in part}}
            texts, metas = [], []
            for _, aid, ordinal, start, end in part:
                art = arts[aid]
                texts.append(embed_text(embed_title(art.title, embedder), art.text[start:end]))  # as ingest embedded it
                metas.append(chunk_metadata(art, _Span(start, end, ordinal)))
            vecs = embedder.embed_documents(texts)
            dim = int(vecs.shape[1])
            fresh.upsert([r[0] for r in part], vecs.tolist(), metas, [arts[r[1]].text[r[3]:r[4]] for r in part])
            done += len(part)
            if progress:
                progress("re-embedding", done, len(rows))
        corpus.adopt_vectors(fresh, dim, suffix)
        try:
            fresh.client.delete_collection(old_name)
        except Exception:  # the old vectors are unreachable now; a failed drop only costs disk
            pass
        return done


@dataclass
class _Span:
    """A stored chunk's place in its article, as chunk_metadata reads it."""

    start: int
    end: int
    ordinal: int

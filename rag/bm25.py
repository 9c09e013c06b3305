"""BM25 keyword index (bm25s), derived from the catalogue and persisted beside Chroma.

The index is rebuilt from the catalogue whenever the catalogue's generation differs from the
one it was built at, so it can never drift from the vector store for long: after any ingest or
delete, and after a crash, the next use rebuilds it (about a second for 10k chunks).
Indexed text is "title + chunk", lower-cased, stop words removed, Snowball-stemmed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from .dates import date_key
from .filters import Filters
from .store import Catalog
from .text import TRANSLATE, sentence_spans

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"s", "t", "said", "says", "also", "would", "could", "did", "does", "do", "what",
                                       "which", "who", "whom", "how", "when", "where", "why", "has", "have", "had",
                                       "been", "from", "according", "article", "report", "reported"}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stop words dropped, stemmed."""
    # Only normalise's character mapping matters here: collapsing whitespace changes no word found.
    words = [w.replace("'s", "") for w in _WORD.findall(text.translate(TRANSLATE).lower())]
    stop = stopwords()
    return _stemmer().stemWords([w for w in words if w and w not in stop])


def weighted_share(weights: dict[str, float], tokens) -> float:
    """The share of the total weight of `weights`' tokens that `tokens` holds (0.0 when they weigh nothing)."""
    return sum(w for t, w in weights.items() if t in tokens) / (sum(weights.values()) or 1.0)


class Bm25Index:
    """BM25 over all chunks, with per-chunk source and date arrays for filtering."""

    def __init__(self, retriever, ids: list[str], article_ids: list[str], sources: list[str], dates: np.ndarray, generation: int,
                 df: dict[str, int] | None = None):
        self.retriever = retriever
        self.df = df or {}
        self.ids = ids
        self.article_ids = article_ids
        self.sources = np.asarray(sources, dtype=object)
        self.dates = dates
        self._arrays = None
        self._rows: dict[str, int] | None = None
        self.generation = generation
        self._sentences: SentenceTokens | None = None

    @classmethod
    def build(cls, catalog: Catalog) -> "Bm25Index":
        import bm25s

        generation = catalog.generation
        ids, aids, sources, dates, corpus, per_sentence = [], [], [], [], [], []
        for cid, aid, start, end in catalog.chunk_rows():
            art = catalog.article(aid)
            ids.append(cid)
            aids.append(aid)
            sources.append(art.source)
            dates.append(date_key(art.published_at))
            # Sentences cover the chunk's words, so their tokens after the title's are the chunk's tokens.
            sentences = [tokenize(art.text[sp.start:sp.end]) for sp in sentence_spans(art.text, start, end)]
            per_sentence.append(sentences)
            corpus.append(tokenize(art.title) + [t for toks in sentences for t in toks] or ["_empty_"])
        retriever = bm25s.BM25()
        if corpus:
            retriever.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for toks in corpus:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        index = cls(retriever, ids, aids, sources, np.asarray(dates, dtype=np.int64), generation, df)
        index._sentences = SentenceTokens.build(per_sentence, retriever.vocab_dict if corpus else {})
        return index

    def save(self, folder: Path) -> None:
        """Write atomically: build in a temp folder, then swap it in."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        if self.ids:
            self.retriever.save(str(tmp / "bm25"))
        if self._sentences is not None:
            self._sentences.save(tmp)
        (tmp / "chunks.json").write_text(json.dumps({"generation": self.generation, "ids": self.ids,
                                                     "article_ids": self.article_ids, "sources": list(self.sources),
                                                     "dates": self.dates.tolist(), "df": self.df}))
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "Bm25Index | None":
        import bm25s

        try:
            meta = json.loads((folder / "chunks.json").read_text())
            retriever = bm25s.BM25.load(str(folder / "bm25")) if meta["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        index = cls(retriever, meta["ids"], meta["article_ids"], meta["sources"], np.asarray(meta["dates"], dtype=np.int64),
                    meta["generation"], meta.get("df"))
        # Read now, with the rest: a rebuild by another process may swap the folder at any time.
        sentences = SentenceTokens.load(folder)
        index._sentences = sentences if sentences is not None and len(sentences.chunks) == len(index.ids) + 1 else None
        return index

    @property
    def sentences(self) -> "SentenceTokens | None":
        """Each chunk's sentences as token ids (None for an index saved before they were kept)."""
        return self._sentences

    def best_sentence_share(self, chunk_id: str, weights: np.ndarray) -> float | None:
        """The highest sum of `weights` (indexed by token id) over one sentence's distinct tokens in the
        chunk; None when this index does not hold the chunk's sentences."""
        row = self.row(chunk_id)
        sentences = self.sentences
        if row is None or sentences is None:
            return None
        return sentences.best(row, weights)

    def token_weights(self, weights: dict[str, float]) -> np.ndarray:
        """`weights` by token as an array indexed by this index's token ids (tokens it lacks are left out)."""
        vocab = self.retriever.vocab_dict if self.ids else {}
        out = np.zeros(len(vocab) + 1, dtype=np.float64)
        for t, w in weights.items():
            if t in vocab:
                out[vocab[t]] = w
        return out

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a stemmed token over chunks."""
        import math

        n = len(self.ids) or 1
        return math.log(1 + (n - self.df.get(token, 0) + 0.5) / (self.df.get(token, 0) + 0.5))

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (0 where masked out)."""
        if not self.ids:
            return np.zeros(0)
        toks = [t for t in tokenize(query) if t in self.retriever.vocab_dict]
        if not toks:
            return np.zeros(len(self.ids))
        s = self.retriever.get_scores(toks)
        if mask is not None:
            s = np.where(mask, s, 0.0)
        return s

    def top(self, query: str, k: int, mask: np.ndarray | None = None, scores: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The k best (chunk id, score) with a positive score (`scores` reuses a computed query)."""
        s = self.scores(query) if scores is None else scores
        if s.size == 0:
            return []
        if mask is not None:
            s = np.where(mask, s, 0.0)
        k = min(k, s.size)
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return [(self.ids[i], float(s[i])) for i in idx if s[i] > 0]

    def row(self, chunk_id: str) -> int | None:
        """The chunk's row in this index (None when it was added after the index was built)."""
        if self._rows is None:
            self._rows = {cid: i for i, cid in enumerate(self.ids)}
        return self._rows.get(chunk_id)

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask of the chunks `filters` admits (None when nothing is filtered)."""
        if not filters.active:
            return None
        if self._arrays is None:
            self._arrays = np.asarray(self.article_ids, dtype=object)
        return filters.mask(self.sources, self.dates, self._arrays)


class SentenceTokens:
    """Each chunk's sentences as sorted distinct token ids, in three flat arrays saved beside the index
    (about 3.5 MB for 9.5k chunks), so a sentence-coverage score needs no tokenising at question time."""

    FILES = ("sentence_tokens.npy", "sentence_starts.npy", "chunk_sentences.npy")

    def __init__(self, tokens: np.ndarray, starts: np.ndarray, chunks: np.ndarray):
        self.tokens = tokens  # token ids, sentence after sentence
        self.starts = starts  # where each sentence's ids begin in `tokens` (one extra: the end)
        self.chunks = chunks  # where each chunk's sentences begin in `starts` (one extra: the end)

    @classmethod
    def build(cls, per_chunk: list[list[list[str]]], vocab: dict[str, int]) -> "SentenceTokens":
        tokens: list[int] = []
        starts, chunks = [0], [0]
        for sentences in per_chunk:
            for toks in sentences:
                ids = sorted({vocab[t] for t in toks if t in vocab})
                if ids:  # a sentence with no word scores 0, as no sentence at all does
                    tokens.extend(ids)
                    starts.append(len(tokens))
            chunks.append(len(starts) - 1)
        return cls(np.asarray(tokens, dtype=np.int32), np.asarray(starts, dtype=np.int64), np.asarray(chunks, dtype=np.int64))

    def save(self, folder: Path) -> None:
        for name, arr in zip(self.FILES, (self.tokens, self.starts, self.chunks)):
            np.save(folder / name, arr)

    @classmethod
    def load(cls, folder: Path) -> "SentenceTokens | None":
        try:
            return cls(*(np.load(folder / name) for name in cls.FILES))
        except (OSError, ValueError):
            return None

    def best(self, row: int, weights: np.ndarray) -> float:
        """Max over the chunk's sentences of the summed weights of their tokens (0.0 without sentences)."""
        first, last = int(self.chunks[row]), int(self.chunks[row + 1])
        if first == last:
            return 0.0
        bounds = self.starts[first:last + 1]
        w = weights[self.tokens[bounds[0]:bounds[-1]]]
        return float(np.add.reduceat(w, bounds[:-1] - bounds[0]).max())


def load_or_build(catalog: Catalog, folder: Path) -> Bm25Index:
    """The persisted index if it matches the catalogue's generation, else a fresh build."""
    idx = Bm25Index.load(folder)
    if idx is not None and idx.generation == catalog.generation:
        return idx
    idx = Bm25Index.build(catalog)
    idx.save(folder)
    return idx

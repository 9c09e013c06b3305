"""Chunking: article -> sentence-aware chunks sized in embedding-model tokens.

LangChain's RecursiveCharacterTextSplitter does the splitting (paragraphs, then lines, then
sentence ends, then clauses, then words) with the model's tokenizer as its length function.
Each chunk keeps the exact character span of the original article text it came from, so
`article.text[chunk.start:chunk.end] == chunk.text` always holds.

The text that is embedded is "title\\nnormalised chunk": the title gives the passage its
context. Its token count (special tokens included) must fit the model's input limit; a chunk
that would not fit is split again rather than silently truncated by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .embeddings import Embedder
from .loaders import Article
from .text import normalise

# Paragraphs first, then sentence ends (kept on the left piece), then clauses, then words.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", ".\u201d ", '." ', "; ", ": ", ", ", " ", ""]
MAX_TITLE_TOKENS = 40


@dataclass
class Chunk:
    """A passage of an article with its exact character span."""

    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    embed_text: str


def embed_title(title: str, embedder: Embedder) -> str:
    """Title prefix used in embedded text, shortened word by word to MAX_TITLE_TOKENS."""
    words = normalise(title).split()
    while words and embedder.count_tokens(" ".join(words)) - 2 > MAX_TITLE_TOKENS:
        words = words[: max(1, len(words) * 3 // 4)] if len(words) > 1 else []
    return " ".join(words)


def chunk_article(article: Article, embedder: Embedder, chunk_tokens: int = 200, overlap_tokens: int = 40) -> list[Chunk]:
    """Split an article into chunks whose embedded text fits the model's token limit."""
    title = embed_title(article.title, embedder)
    title_cost = (embedder.count_tokens(title) - 2 + 1) if title else 0  # +1 for the joining newline
    limit = embedder.max_tokens
    size = max(16, min(chunk_tokens, limit - 2 - title_cost))
    spans = _split_spans(article.text, 0, len(article.text), embedder, size, min(overlap_tokens, size // 3))
    chunks: list[Chunk] = []
    for start, end in spans:
        chunks.extend(_fit(article, title, start, end, embedder, size, limit))
    for i, c in enumerate(chunks):
        c.ordinal = i
    return chunks


def _token_len(embedder):
    # Tokens without [CLS]/[SEP], so lengths of pieces add up to about the length of the whole.
    return lambda t: max(0, embedder.count_tokens(t) - 2)


def _split_spans(text: str, a: int, b: int, embedder, size: int, overlap: int) -> list[tuple[int, int]]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # only ingest pays for its import

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, length_function=_token_len(embedder),
        separators=SEPARATORS, keep_separator="end", strip_whitespace=True,
    )
    spans: list[tuple[int, int]] = []
    prev_start = a - 1
    for piece in splitter.split_text(text[a:b]):
        # Pieces are verbatim substrings in order; search from just after the previous start
        # because overlapping pieces may begin before the previous one ended.
        pos = text.find(piece, max(a, prev_start + 1), b)
        if pos < 0:
            pos = text.find(piece, a, b)
        if pos < 0:  # cannot happen with strip_whitespace substrings; keep the span honest anyway
            continue
        spans.append((pos, pos + len(piece)))
        prev_start = pos
    return spans


def embed_text(title: str, text: str) -> str:
    """What is embedded for a chunk: its (shortened) title, a newline, its normalised text."""
    return f"{title}\n{normalise(text)}" if title else normalise(text)


def _fit(article: Article, title: str, start: int, end: int, embedder, size: int, limit: int) -> list[Chunk]:
    text = article.text[start:end]
    embedded = embed_text(title, text)
    if embedder.count_tokens(embedded) <= limit:
        return [Chunk(id=f"{article.id}:{start}-{end}", article_id=article.id, ordinal=0,
                      start=start, end=end, text=text, embed_text=embedded)]
    # Token counts of pieces are not perfectly additive: split this span again, smaller.
    smaller = max(8, size * 3 // 4)
    if smaller >= size or end - start < 4:
        raise ValueError(f"cannot fit chunk {start}-{end} of {article.origin} into {limit} tokens")
    out: list[Chunk] = []
    for s, e in _split_spans(article.text, start, end, embedder, smaller, 0):
        out.extend(_fit(article, title, s, e, embedder, smaller, limit))
    return out

import json

from rag.chunking import chunk_article
from rag.loaders import Article, load_file

from .conftest import MULTIHOP, SEED


def test_seed_chunks_are_exact_spans_of_the_article(embedder):
    (art,), _ = load_file(SEED)
    chunks = chunk_article(art, embedder)
    assert len(chunks) >= 2
    for c in chunks:
        assert art.text[c.start:c.end] == c.text
        assert c.id == f"{art.id}:{c.start}-{c.end}"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert any("fifth and eighth divisions" in c.text for c in chunks)


def test_no_chunk_is_truncated_by_the_model(embedder):
    """Every embedded text fits the model's 256-token input, special tokens included."""
    records = json.loads((MULTIHOP / "corpus.json").read_text())[:40]
    hostile = Article(title="A very long title " * 30, text=("word " * 900) + "\n\n" + ("x" * 3000) + ". End.")
    articles = [Article(title=r["title"], text=r["body"]) for r in records] + [hostile]
    assert embedder.max_tokens == 256
    from tokenizers import Tokenizer

    from rag.embeddings import TOKENIZER_FILE

    tok = Tokenizer.from_file(str(TOKENIZER_FILE))  # untruncated: counts what the model would be given
    for art in articles:
        for c in chunk_article(art, embedder):
            assert art.text[c.start:c.end] == c.text
            n = len(tok.encode(c.embed_text).ids)
            assert n <= 256, (art.title[:40], n)


def test_chunks_cover_the_whole_article(embedder):
    records = json.loads((MULTIHOP / "corpus.json").read_text())[:5]
    for r in records:
        art = Article(title=r["title"], text=r["body"])
        chunks = chunk_article(art, embedder)
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        missing = [i for i in range(len(art.text)) if i not in covered and not art.text[i].isspace()]
        assert not missing

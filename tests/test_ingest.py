
import os

import pytest

from rag import ConfigError, Corpus, Retriever, Settings, ingest

from .conftest import SEED

CANONICAL = "Which Iraqi army divisions are named?"


def _chroma_ids(corpus):
    return corpus.vectors.all_ids()


def test_round_trip_and_canonical_question_ranks_the_divisions_passage_first(make_corpus, seed_dir):
    corpus = make_corpus()
    report = ingest(corpus, [str(seed_dir)])
    assert len(report.added) == 1 and not report.errors
    hits = Retriever(corpus).search(CANONICAL, k=3)
    assert "fifth and eighth divisions" in hits[0].text
    art = corpus.catalog.article(hits[0].article_id)
    for h in hits:
        assert art.text[h.start:h.end] == h.text
    assert _chroma_ids(corpus) == corpus.catalog.chunk_ids() == set(corpus.bm25.ids)


def test_every_stored_chunk_is_an_exact_span(make_corpus, seed_dir):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    got = corpus.vectors.collection.get(include=["documents", "metadatas"])
    art = corpus.catalog.articles()[0]
    assert len(got["ids"]) >= 2
    for doc, meta in zip(got["documents"], got["metadatas"]):
        assert art.text[meta["start"]:meta["end"]] == doc


def test_reingest_unchanged_embeds_nothing(make_corpus, seed_dir, embedder):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    before = embedder.embedded
    gen = corpus.catalog.generation
    report = ingest(corpus, [str(seed_dir)])
    assert embedder.embedded == before
    assert len(report.unchanged) == 1 and not report.added
    assert corpus.catalog.generation == gen


def test_edited_file_replaces_its_chunks(make_corpus, seed_dir):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    old_ids = corpus.catalog.chunk_ids()
    f = seed_dir / SEED.name
    f.write_text(f.read_text(encoding="utf-8").replace("fifth and eighth", "sixth and ninth"), encoding="utf-8")
    report = ingest(corpus, [str(seed_dir)])
    assert len(report.replaced) == 1
    assert corpus.catalog.stats()["articles"] == 1
    new_ids = corpus.catalog.chunk_ids()
    assert new_ids != old_ids and _chroma_ids(corpus) == new_ids == set(corpus.bm25.ids)
    hits = Retriever(corpus).search(CANONICAL, k=1)
    assert "sixth and ninth divisions" in hits[0].text


def test_prune_removes_articles_whose_files_are_gone(make_corpus, seed_dir):
    corpus = make_corpus()
    extra = seed_dir / "other.txt"
    extra.write_text("Harbour reopens\nThe harbour reopened on Friday after the storm passed.")
    ingest(corpus, [str(seed_dir)])
    assert corpus.catalog.stats()["articles"] == 2
    extra.unlink()
    report = ingest(corpus, [str(seed_dir)], prune=True)
    assert [p["title"] for p in report.pruned] == ["Harbour reopens"]
    assert corpus.catalog.stats()["articles"] == 1
    assert _chroma_ids(corpus) == corpus.catalog.chunk_ids() == set(corpus.bm25.ids)


def test_delete_removes_vectors_catalogue_and_bm25(make_corpus, seed_dir):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    (art,) = corpus.catalog.find(SEED.name)
    assert corpus.delete([art.id]) == 1
    assert corpus.catalog.stats()["chunks"] == 0 and not _chroma_ids(corpus) and not corpus.bm25.ids
    assert Retriever(corpus).search(CANONICAL) == []


def test_near_duplicate_is_reported_and_skipped_unless_kept(make_corpus, seed_dir, tmp_path):
    text = SEED.read_text(encoding="utf-8")
    copy = tmp_path / "syndicated"
    copy.mkdir()
    (copy / "copy.txt").write_text(text.replace("Latest news", "More from our partners"), encoding="utf-8")
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    report = ingest(corpus, [str(copy)])
    assert len(report.duplicates) == 1 and report.duplicates[0]["similarity"] >= 0.9 and not report.added
    assert corpus.catalog.stats()["articles"] == 1
    report = ingest(corpus, [str(copy)], keep_duplicates=True)
    assert len(report.added) == 1 and report.duplicates[0]["kept"]
    assert corpus.catalog.stats()["articles"] == 2


def test_filters_by_source_and_date(slice_corpus):
    corpus, records = slice_corpus, slice_corpus.records
    r = Retriever(corpus)
    source = records[0]["source"]
    hits = r.search("latest news", k=10, sources=[source])
    assert hits and all(h.source == source for h in hits)
    day = sorted(x["published_at"][:10] for x in records)[len(records) // 2]
    hits = r.search("latest news", k=10, since=day)
    assert hits and all(h.published_at >= day for h in hits)
    hits = r.search("latest news", k=10, until=day)
    assert hits and all(h.published_at <= day for h in hits)


def test_question_naming_an_outlet_surfaces_that_outlet(slice_corpus):
    corpus, records = slice_corpus, slice_corpus.records
    outlet = records[3]["source"]
    hits = Retriever(corpus).search(f"What did {outlet} report about the game?", k=4)
    assert hits[0].source == outlet


def test_opening_with_another_model_is_a_clear_error(make_corpus, seed_dir, tmp_path):
    corpus = make_corpus(tmp_path / "d")
    ingest(corpus, [str(seed_dir)])
    with pytest.raises(ConfigError, match="built with embedding model 'all-MiniLM-L6-v2-int8'"):
        Corpus(Settings(data_dir=tmp_path / "d", embedding_backend="openai", embedding_model="text-embedding-3-small"))


def test_crash_leftovers_are_reconciled(make_corpus, seed_dir):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    # Simulate a crash after vectors were written but before the catalogue commit.
    corpus.vectors.upsert(["deadbeefdeadbeef:0-10"], [[0.1] * 384], [{"article_id": "deadbeefdeadbeef"}], ["orphan"])
    repaired = corpus.reconcile()
    assert repaired["orphan_vectors_removed"] == 1
    assert _chroma_ids(corpus) == corpus.catalog.chunk_ids()


def test_chroma_server_mode_round_trip(make_corpus, seed_dir, chroma_server, tmp_path):
    corpus = make_corpus(tmp_path / "srv", chroma_url=chroma_server, collection="server-test")
    report = ingest(corpus, [str(seed_dir)])
    assert len(report.added) == 1
    assert corpus.vectors.where == chroma_server
    hits = Retriever(corpus).search(CANONICAL, k=2)
    assert "fifth and eighth divisions" in hits[0].text
    assert ingest(corpus, [str(seed_dir)]).unchanged
    (art,) = corpus.catalog.articles()
    corpus.delete([art.id])
    assert corpus.vectors.count() == 0


def test_uploads_embed_on_a_lower_priority_thread():
    """The UI runs ingest through at_low_priority: a fresh thread with a higher nice value; the caller's stays."""
    import os
    import threading

    from rag.ingest import at_low_priority

    def nice_here() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = nice_here()
    assert at_low_priority(nice_here) > before
    assert nice_here() == before  # the calling (pooled) thread keeps its priority
    with pytest.raises(ValueError, match="boom"):
        at_low_priority(lambda: (_ for _ in ()).throw(ValueError("boom")))


def test_a_store_remembers_its_encoder_and_reembed_switches_it(tmp_path, seed_dir):
    """Opening a store with another runtime is refused with the fix; `rag ingest --reembed` applies it."""
    import subprocess
    import sys

    from rag.embeddings import StaticEmbedder

    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "d"), "RAG_EMBEDDING_RUNTIME": "onnx"}
    rag = [sys.executable, "-m", "rag.cli"]
    subprocess.run(rag + ["ingest", str(seed_dir)], env=env, check=True, capture_output=True, timeout=300)
    before = Corpus(Settings(data_dir=tmp_path / "d", embedding_runtime="onnx"))
    chunks, old_collection = before.catalog.chunk_ids(), before.collection_name
    before.close()
    with pytest.raises(ConfigError, match=r"built with embedding model 'all-MiniLM-L6-v2-int8', not "
                                          r"'all-MiniLM-L6-v2-static'; run `rag ingest --reembed`.*RAG_EMBEDDING_RUNTIME=onnx"):
        Corpus(Settings(data_dir=tmp_path / "d", embedding_runtime="static"))
    static = {**env, "RAG_EMBEDDING_RUNTIME": "static"}
    p = subprocess.run(rag + ["ask", "Which Iraqi army divisions are named?"], env=static, capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and "rag ingest --reembed" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = subprocess.run(rag + ["ingest", "--reembed"], env=static, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and f"re-embedded {len(chunks)} chunks with all-MiniLM-L6-v2-static" in p.stderr
    after = Corpus(Settings(data_dir=tmp_path / "d", embedding_runtime="static"))
    assert after.catalog.chunk_ids() == chunks and after.vectors.all_ids() == chunks
    assert after.collection_name != old_collection
    assert old_collection not in {c.name for c in after.vectors.client.list_collections()}
    assert isinstance(after.embedder, StaticEmbedder) and after.vectors.count() == len(chunks)
    hits = Retriever(after).search("Which Iraqi army divisions are named?", 3, mode="dense")
    assert any("fifth and eighth divisions" in h.text for h in hits)
    after.close()
    p = subprocess.run(rag + ["ask", "Which Iraqi army divisions are named?"], env=static, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "fifth" in p.stdout

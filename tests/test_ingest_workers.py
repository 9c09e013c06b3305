"""Ingest with worker processes: the same chunks and vectors as one process; searches never wait."""

from __future__ import annotations

import json
import threading

import numpy as np

from rag import Retriever, ingest

from .conftest import MULTIHOP


def test_two_workers_store_what_one_process_stores(make_corpus, tmp_path):
    src = tmp_path / "slice.json"
    src.write_text(json.dumps(json.loads((MULTIHOP / "corpus.json").read_text())[:6]))
    serial, parallel = make_corpus(), make_corpus()
    ingest(serial, [str(src)])
    report = ingest(parallel, [str(src)], workers=2)
    assert len(report.added) == 6 and not report.errors
    ids = sorted(serial.catalog.chunk_ids())
    assert sorted(parallel.catalog.chunk_ids()) == ids and parallel.vectors.all_ids() == set(ids)
    a = serial.vectors.embeddings(ids)
    b = parallel.vectors.embeddings(ids)
    # Groups are embedded whole by one worker with the same batching, so vectors agree.
    assert min(float(np.dot(a[i], b[i])) for i in ids) > 0.999


def test_searches_keep_answering_while_an_ingest_embeds(make_corpus, seed_dir, tmp_path):
    corpus = make_corpus()
    ingest(corpus, [str(seed_dir)])
    r = Retriever(corpus)
    r.search("Which Iraqi army divisions are named?", 3)
    src = tmp_path / "more.json"
    src.write_text(json.dumps(json.loads((MULTIHOP / "corpus.json").read_text())[10:16]))
    embed = corpus.embedder.embed_documents
    in_embedding, release = threading.Event(), threading.Event()

    def held(texts):
        if len(texts) > 1:  # the ingest's batch, not a search's sentence scoring
            in_embedding.set()
            release.wait(120)  # the embedding step stays open until the search below is done
        return embed(texts)

    corpus.embedder.embed_documents = held
    ingesting = threading.Thread(target=ingest, args=(corpus, [str(src)]))
    found = []
    searching = threading.Thread(target=lambda: found.extend(r.search("Which Iraqi army divisions are named?", 3)))
    try:
        ingesting.start()
        assert in_embedding.wait(60)
        searching.start()
        searching.join(60)
        # Had search waited on a lock the ingest holds while embedding, it would still be blocked.
        assert not searching.is_alive() and found
        assert ingesting.is_alive()
    finally:
        release.set()
        ingesting.join(300)
        corpus.embedder.embed_documents = embed
    assert len(corpus.catalog.articles()) == 7

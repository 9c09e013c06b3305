"""The OpenAI-compatible embedding backend over real HTTP (scripted server), and its guards."""

from pathlib import Path

import pytest

from rag import ConfigError, Corpus, Retriever, Settings, ingest

from .conftest import SEED
from .llm_server import ScriptedLLM


def test_openai_embeddings_round_trip(tmp_path):
    server = ScriptedLLM()
    try:
        settings = Settings(data_dir=tmp_path / "d", embedding_backend="openai", embedding_model="test-embed",
                            embedding_base_url=server.url, llm_timeout=5)
        corpus = Corpus(settings)
        report = ingest(corpus, [str(SEED)])
        assert report.added and corpus.catalog.get_meta("embedding_model") == "test-embed"
        from rag.embeddings import Embedder

        assert isinstance(corpus.embedder, Embedder) and corpus.embedder.dim == 8
        assert corpus.catalog.get_meta("embedding_dim") == "8"
        assert Retriever(corpus).search("Which Iraqi army divisions are named?", 3)
        assert any(r.get("model") == "test-embed" for r in server.requests)
        corpus.close()
        with pytest.raises(ConfigError, match="test-embed"):
            Corpus(Settings(data_dir=tmp_path / "d"))
    finally:
        server.close()


def test_upload_size_limit_is_enforced(tmp_path, embedder):
    import gradio as gr

    from ui.handlers import App, _NoProgress

    settings = Settings(data_dir=tmp_path / "d", max_file_mb=0.001)
    app = App(settings, Corpus(settings, embedder=embedder))
    root = Path(gr.utils.get_upload_folder())
    root.mkdir(parents=True, exist_ok=True)
    f = root / "big-test-upload.txt"
    f.write_text("Big\n" + "word " * 1000)
    app.uploaded.add(str(f))  # as Gradio's upload route records it
    try:
        rows, *_ = app.ingest_files([str(f)], progress=_NoProgress())
        assert not f.exists()  # a rejected upload does not stay in Gradio's folder either
    finally:
        f.unlink(missing_ok=True)
    assert rows[0][1] == "error" and "over the" in rows[0][2]
    assert not list((tmp_path / "d" / "uploads").glob("*"))

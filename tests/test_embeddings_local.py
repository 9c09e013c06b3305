"""The default local embedder: int8 ONNX MiniLM on onnxruntime, no torch; the torch runtime as an extra."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from rag import Corpus, Settings, ingest
from rag.embeddings import OnnxEmbedder, make_embedder
from rag.errors import ConfigError

from .conftest import SEED


def test_vectors_are_unit_length_and_rank_meaning(embedder):
    v = embedder.embed_documents(["The fifth and eighth divisions of the Iraqi Army.", "Iraqi army divisions named in the article",
                         "A recipe for lemon cake with sugar."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_batching_moves_a_vector_only_slightly(embedder):
    # Dynamic int8 quantises activations per batch, so a text's vector depends a little on its
    # batch-mates (and their padding); batches are sorted by length to keep that small.
    texts = ["short", "a much longer sentence about ferries crossing the bay every morning " * 5, "medium length text here"]
    together = embedder.embed_documents(texts)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    assert np.all((together * alone).sum(axis=1) > 0.97)
    assert np.array_equal(embedder.embed_documents(texts[1:2]), embedder.embed_documents(texts[1:2]))  # deterministic


def test_long_input_is_truncated_to_the_model_limit(embedder):
    assert embedder.count_tokens("word " * 1000) > 256
    assert embedder.embed_documents(["word " * 1000]).shape == (1, 384)


def test_the_prepared_model_is_made_once_and_reused(tmp_path):
    e = OnnxEmbedder(tmp_path)
    e.embed_documents(["first use prepares the model"])
    files = list(tmp_path.glob("*.onnx"))
    assert len(files) == 1 and files[0].stat().st_size > 10_000_000
    mtime = files[0].stat().st_mtime
    OnnxEmbedder(tmp_path).embed_documents(["second use reuses it"])
    assert files[0].stat().st_mtime == mtime and not list(tmp_path.glob("tmp*"))


def test_the_runtime_does_not_import_torch(tmp_path):
    code = ("import sys; from rag.settings import Settings, apply_offline_env; apply_offline_env();"
            "from rag.embeddings import make_embedder; make_embedder(Settings()).embed_documents(['x']);"
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_torch_runtime_agrees_or_names_the_extra(embedder):
    settings = Settings(embedding_runtime="torch")
    if importlib.util.find_spec("sentence_transformers") is None:
        with pytest.raises(ConfigError, match=r"pip install 'news-rag\[torch\]'"):
            make_embedder(settings).embed_documents(["x"])
        return
    torch_vec = make_embedder(settings).embed_documents(["The fifth and eighth divisions of the Iraqi Army."])[0]
    onnx_vec = embedder.embed_documents(["The fifth and eighth divisions of the Iraqi Army."])[0]
    assert float(torch_vec @ onnx_vec) > 0.98


def test_a_store_remembers_its_runtime(tmp_path, embedder):
    corpus = Corpus(Settings(data_dir=tmp_path / "d"), embedder=embedder)
    ingest(corpus, [str(SEED)])
    corpus.close()
    assert Corpus(Settings(data_dir=tmp_path / "d")).model_name == "all-MiniLM-L6-v2-int8"
    with pytest.raises(ConfigError, match="built with embedding model 'all-MiniLM-L6-v2-int8'.*RAG_EMBEDDING_RUNTIME=onnx"):
        Corpus(Settings(data_dir=tmp_path / "d", embedding_runtime="torch"))


def test_every_backend_declares_the_embedder_seam(embedder):
    from rag.embeddings import Embedder, OpenAIEmbedder, TorchEmbedder

    assert isinstance(embedder, Embedder)
    members = {"name", "dim", "max_tokens", "embed_documents", "embed_query", "count_tokens"}
    for cls in (OnnxEmbedder, TorchEmbedder, OpenAIEmbedder):
        missing = {m for m in members if not hasattr(cls, m) and m not in ("name",)}
        assert not missing, (cls.__name__, missing)
    q = embedder.embed_query("Which Iraqi army divisions are named?")
    assert q.shape == (384,) and q.dtype == np.float32 and not q.flags.writeable  # cached, shared: read-only

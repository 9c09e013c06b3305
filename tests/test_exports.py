import rag


def test_public_api_is_exactly_all():
    # `ingest` is both a module and the exported function (the function wins on the package).
    public = {name for name in dir(rag) if not name.startswith("_")}
    modules = {"answer", "bm25", "brief", "chunking", "citations", "cli", "corpus", "embeddings", "errors", "evaluate",
               "loaders", "metrics", "prompts", "retrieve", "safe", "settings", "store", "text",
               "prompt_files", "gold"}
    assert public - modules == set(rag.__all__)
    for name in rag.__all__:
        assert getattr(rag, name).__doc__, name

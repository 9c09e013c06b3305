import pkgutil

import rag


def test_public_api_is_exactly_all():
    # Submodules show up as attributes once imported; everything else public must be in __all__.
    # (`ingest` is both a module and the exported function: the function wins on the package.)
    public = {name for name in dir(rag) if not name.startswith("_")}
    modules = {m.name for m in pkgutil.iter_modules(rag.__path__)} | {"prompt_files", "gold"}
    assert public - modules == set(rag.__all__) - modules
    assert set(rag.__all__) <= public and callable(rag.ingest)
    for name in rag.__all__:
        assert getattr(rag, name).__doc__, name


def test_importing_the_library_leaves_the_environment_alone():
    import subprocess
    import sys

    code = ("import os; before = dict(os.environ); import rag, rag.answerer, rag.briefing, rag.evaluate, rag.retrieve, rag.ingest; "
            "changed = {k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}; "
            "assert not changed, changed")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HF_", "ORT_", "GRADIO_", "ANONYMIZED", "TRANSFORMERS_", "TOKENIZERS_"))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)

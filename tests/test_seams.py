"""The path of a question: analysed once, answered through the generator seam only, no import cycle,
and the public library surface (`rag.__all__`, the README's example) kept honest."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rag
import rag.question
from rag.answerer import Answerer
from rag.contract import Answer, Condensed, Outcome
from rag.offline import OfflineAnswerer
from rag.question import Question

from .conftest import ROOT, SEED

CANONICAL = "Which Iraqi army divisions are named?"


class FakeGenerator:
    """A third generator, written here only: the answerer must take it without an edit elsewhere."""

    backend = "fake"
    uses_llm = False

    def __init__(self, reply: str | None = None, condensed: str = ""):
        self.reply, self.condensed = reply, condensed
        self.asked: list[Question] = []
        self.reviewed: list[Answer] = []

    def condense(self, question, history, outlets):
        return Condensed(self.condensed, "fake condensed. " if self.condensed else "")

    def answer(self, question, sources, on_token=None):
        self.asked.append(question)
        if self.reply is None:
            return Outcome(None, "fake passed. ", fallback="fake_pass")
        src = sources[0]
        sentence = {"text": self.reply, "citations": [1], "verdict": "supported"}
        cite = {"n": 1, "article_id": src.article_id, "start": src.start, "end": src.start + 20, "support": "supported",
                "title": src.title, "source": src.source, "published_at": src.published_at, "url": src.url, "quote": ""}
        return Outcome(Answer(question.asked, self.reply + " [1]", False, self.backend, [cite], [sentence]))

    def review(self, question, sources, result):
        self.reviewed.append(result)
        return Outcome(result, "fake reviewed. ")


def test_a_question_is_analysed_once(seed_corpus, monkeypatch):
    """One `Question` per question, and the kind parse run once, whoever reads it (retrieval, the learned
    rerank, every generator, the review)."""
    made, parsed = [], []
    init = Question.__init__
    clause_kind = rag.question._clause_kind
    monkeypatch.setattr(Question, "__init__", lambda self, *a, **k: (made.append(1), init(self, *a, **k))[1])
    monkeypatch.setattr(rag.question, "_clause_kind", lambda text: (parsed.append(text), clause_kind(text))[1])
    fake = FakeGenerator(reply="The Iraqi Federal Police are named.")
    a = Answerer(seed_corpus, generators=[fake, OfflineAnswerer(seed_corpus)]).ask(CANONICAL)
    assert a.backend == "fake" and fake.asked[0].text == CANONICAL
    assert len(made) == 1 and parsed == [CANONICAL]


def test_a_third_generator_answers_passes_and_is_reviewed_without_an_edit_elsewhere(seed_corpus):
    offline = OfflineAnswerer(seed_corpus)
    # It passes: the next generator answers, and its reason is kept.
    passed = Answerer(seed_corpus, generators=[FakeGenerator(), offline]).ask(CANONICAL)
    assert passed.backend == offline.backend and passed.fallback == "fake_pass" and "fake passed" in passed.notice
    # It answers with the wrong name: the offline answerer's review lowers it and names the right one.
    wrong = Answerer(seed_corpus, generators=[FakeGenerator(reply="The Iraqi Federal Police are named."), offline]).ask(CANONICAL)
    assert wrong.backend == "fake" and "fifth and eighth divisions" in wrong.notice
    assert all(s["verdict"] != "supported" for s in wrong.sentences)
    # It reviews an answer another generator gave.
    reviewer = FakeGenerator()
    reviewed = Answerer(seed_corpus, generators=[offline, reviewer]).ask(CANONICAL)
    assert reviewed.backend == offline.backend and reviewer.reviewed == [reviewed] and "fake reviewed" in reviewed.notice
    # It writes out a follow-up: that is what is searched and shown.
    history = [{"role": "user", "content": CANONICAL}, {"role": "assistant", "content": "The fifth and eighth divisions [1]."}]
    writer = FakeGenerator(condensed="Which ministry oversees the Iraqi Federal Police?")
    follow = Answerer(seed_corpus, generators=[writer, offline]).ask("Which ministry oversees them?", history)
    assert follow.standalone_question == "Which ministry oversees the Iraqi Federal Police?"
    assert writer.asked[0].text == follow.standalone_question and writer.asked[0].asked == "Which ministry oversees them?"


def _imports(path: Path, package: str) -> set[str]:
    """Modules of `package` a module imports anywhere in it (function bodies and TYPE_CHECKING blocks too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module.split(".")[0] if node.module else None
                found |= {base} if base else {a.name for a in node.names}
            elif node.module and node.module.split(".")[0] == package:
                parts = node.module.split(".")
                found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(package + ".")}
    return found


@pytest.mark.parametrize("package", ["rag", "ui"])
def test_no_import_cycle(package):
    modules = {p.stem: p for p in (ROOT / package).glob("*.py") if p.stem != "__init__"}
    graph = {m: sorted(_imports(p, package) & modules.keys() - {m}) for m, p in modules.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, "import cycle: " + " -> ".join(path + [m, n])
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
    if package == "rag":  # the graph was read: the orchestrator imports its generators, never the reverse
        assert {"chat", "offline", "retrieve"} <= set(graph["answerer"]) and "answerer" not in graph["offline"] + graph["chat"]


def test_the_public_names_are_curated_and_documented():
    assert {"answer", "brief", "Answer", "Answerer", "Briefing", "Corpus", "Settings", "ingest", "Retriever"} <= set(rag.__all__)
    for name in rag.__all__:
        obj = getattr(rag, name)
        assert (obj.__doc__ or "").strip(), f"rag.{name} has no docstring"
    assert rag.answer.__module__ == "rag.answerer" and callable(rag.brief)
    assert sorted(rag.__all__) == rag.__all__ and len(set(rag.__all__)) == len(rag.__all__)


def test_the_readme_library_example_runs_as_written(tmp_path):
    """The README's library example, copied out of the README, run in a folder holding corpus/."""
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"### Library\n+```python\n(.*?)```", readme, re.S).group(1)
    shutil.copytree(SEED.parent if SEED.is_file() else SEED, tmp_path / "corpus")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.update({k: v for k, v in rag.settings.OFFLINE_ENV.items()})
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("fifth and eighth divisions | ") and "[1]" in lines[0], out.stdout[:500]
    assert lines[1].split(" | ")[0] not in ("", "Which ministry oversees them?"), lines[1]  # the follow-up written out
    assert any(line.startswith("# ") for line in lines[2:]), out.stdout[-1000:]  # the briefing

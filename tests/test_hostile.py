"""Hostile input: >= 100 bad files mixed with valid ones; property tests on loaders and citations."""

import json
import subprocess
import sys

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.citations import parse_citations
from rag.errors import IngestError
from rag.loaders import load_file, load_paths

from .hostile import make_corpus


def test_hostile_corpus_every_bad_file_gets_a_line_and_valid_ones_load(tmp_path):
    bad, valid = make_corpus(tmp_path / "corpus")
    assert len(bad) >= 100
    result = load_paths([tmp_path / "corpus"])
    named = {e.path.split("#")[0].split(":")[0] for e in result.errors}
    for p in bad:
        assert str(p) in named or any(e.path.startswith(str(p)) for e in result.errors), p.name
    for e in result.errors:
        assert "\n" not in str(e) and len(str(e)) < 400
    titles = {a.title for a in result.articles}
    assert len(result.articles) >= len(valid)
    assert {"Front 4", "UTF16 title 5", "BOM title 6", "Coll 0", "Harbour page"} <= titles
    # the huge file is rejected by its size without being read
    huge = next(e for e in result.errors if e.path.endswith("huge.txt"))
    assert "over the" in huge.reason


def test_ingest_of_hostile_corpus_never_crashes_and_memory_stays_bounded(tmp_path):
    """Run the real CLI in a child process and read its peak RSS."""
    make_corpus(tmp_path / "corpus")
    code = ("import resource, sys; from rag.cli import app\n"
            "try:\n    app(['--data-dir', sys.argv[1], 'ingest', sys.argv[2]])\n"
            "except SystemExit as e:\n    print('EXIT', e.code)\n"
            "print('RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data"), str(tmp_path / "corpus")],
                       capture_output=True, text=True, timeout=600)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    rss = int(p.stdout.split("RSS_MB")[-1].strip())
    assert rss < 1500  # the 50 MB file is never read into memory (model + libraries ~ 900 MB)
    # 7 valid single-article files + a 5-article collection + one HTML page
    assert "added 13," in p.stdout
    assert p.stdout.count("EXIT") <= 1 and "EXIT 2" not in p.stdout


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), ext=st.sampled_from([".txt", ".md", ".json", ".jsonl", ".html", ".pdf"]))
def test_loaders_never_raise_anything_but_ingest_error(tmp_path, data, ext):
    p = tmp_path / f"f{ext}"
    p.write_bytes(data)
    try:
        articles, errors = load_file(p)
    except IngestError as exc:
        assert str(exc).startswith(str(p)) and "\n" not in str(exc)
        return
    for a in articles:
        assert a.text.strip() and len(a.id) == 16
    assert all(isinstance(e, IngestError) for e in errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(["title", "body", "url", "source", "published_at", "x"]), kids, max_size=5),
                        max_leaves=12))
def test_json_loader_handles_any_json(tmp_path, doc):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(doc))
    try:
        load_file(p)
    except IngestError:
        pass


@given(st.text(alphabet=st.sampled_from(list("ab .,[]0123456789;\n")), max_size=120))
def test_citation_parser_never_crashes_and_finds_only_numbers(text):
    for sentence, nums in parse_citations(text):
        assert all(isinstance(n, int) and n >= 0 for n in nums)
        assert len(nums) == len(set(nums))
        assert "[" not in sentence or not any(f"[{n}]" in sentence for n in nums)


def test_citation_parser_forms():
    got = parse_citations("Alpha beta gamma [1, 2]. Delta [3][4]. Eps [5; 6] and more. [7]")
    assert got == [("Alpha beta gamma.", [1, 2]), ("Delta.", [3, 4]), ("Eps and more.", [5, 6, 7])]


def test_devices_fifos_and_sockets_are_refused_and_reads_stop_at_the_limit(tmp_path):
    """The reported size is not trusted: only regular files are read, and never past the limit."""
    import os
    import socket
    import time

    from rag.loaders import load_paths, read_regular

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "zero.txt").symlink_to("/dev/zero")  # outside the folder: refused as such
    (tmp_path / "z.txt").symlink_to("/dev/zero")  # named directly: reports size 0, never ends
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would wait for a writer forever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.txt"))
    (folder / "ok.txt").write_text("Port news\nThe port handled 40 ships in May, the harbour master said.")
    t0 = time.monotonic()
    result = load_paths([str(folder), str(tmp_path / "z.txt")], max_bytes=1_000_000)
    assert time.monotonic() - t0 < 10
    sock.close()
    assert [a.title for a in result.articles] == ["Port news"]
    reasons = {os.path.basename(e.path): e.reason for e in result.errors}
    assert "symlink points outside the folder" in reasons["zero.txt"]
    assert "a device, not a regular file" in reasons["z.txt"]
    assert "a FIFO (named pipe), not a regular file" in reasons["pipe.txt"]
    assert "a socket, not a regular file" in reasons["sock.txt"]
    assert all("\n" not in r for r in reasons.values())
    with pytest.raises(IngestError, match="a device"):
        read_regular("/dev/zero", 10)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2_000_000)
    with pytest.raises(IngestError, match=r"file is 1\.9 MB, over the 1 MB limit"):
        read_regular(big, 2**20)
    assert read_regular(big, 3_000_000) == b"x" * 2_000_000

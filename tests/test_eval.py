"""`rag eval` on the shipped seed gold file: report files, floors, compare, MultiHop format."""

import json

from rag.evaluate import check_floors, evaluate, load_gold

from .conftest import MULTIHOP, ROOT, SEED, rag_cli


def test_seed_gold_file_is_well_formed():
    qs = load_gold(ROOT / "eval" / "seed.jsonl")
    assert len(qs) >= 15 and sum(not q.answerable for q in qs) >= 3
    assert all(q.gold_citations for q in qs if q.answerable)


def test_seed_eval_metrics(seed_corpus):
    result = evaluate(seed_corpus, ROOT / "eval" / "seed.jsonl", use_llm=False)
    m = result["metrics"]
    assert m["n"] >= 15
    assert m["hits_at_4"] == 1.0  # one article, every gold quote inside some chunk
    assert m["citation_recall"] >= 0.8 and m["citation_precision"] >= 0.9
    assert m["refusal_recall"] == 1.0
    assert set(result["run"]) >= {"git_commit", "prompt_hashes", "settings", "embedding_model"}
    assert "llm_api_key" not in result["run"]["settings"]
    floors = json.loads((ROOT / "eval" / "floors.json").read_text())
    assert check_floors(result, floors) == []
    assert check_floors(result, {"hits_at_4": 1.01}) == ["hits_at_4 1.000 is below the floor 1.01 by 0.010"]
    # per question type, ceilings for lower-is-better figures, a type the file lacks named with the fix
    types = set(result["by_type"])
    scoped = {"all": {"hits_at_4": 0.9}, sorted(types)[0]: {"hits_at_4": 1.5}, "all ": {}}
    del scoped["all "]
    assert check_floors(result, scoped) == [f"hits_at_4 on {sorted(types)[0]} 1.000 is below the floor 1.5 by 0.500"]
    assert check_floors(result, {"answerable_refused": -0.1})[0].startswith("answerable_refused ")
    assert "above the ceiling -0.1" in check_floors(result, {"answerable_refused": -0.1})[0]
    import pytest

    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="question type 'comparison_query', which this gold file does not have"):
        check_floors(result, {"comparison_query": {"hits_at_4": 0.5}})


def test_multihop_query_format_is_read():
    qs = load_gold(MULTIHOP / "queries.json")
    assert len(qs) == 221
    assert sum(not q.answerable for q in qs) == 15
    q = next(q for q in qs if q.answerable)
    assert q.question_type and q.gold_citations[0]["quote"] and q.answer


def test_cli_eval_writes_report_and_compare(tmp_path):
    data = tmp_path / "data"
    rag_cli(["ingest", str(SEED)], data)
    out = tmp_path / "out"
    p = rag_cli(["eval", str(ROOT / "eval" / "seed.jsonl"), "--report", str(out), "--json", str(tmp_path / "a.json"),
             "--floors", str(ROOT / "eval" / "floors.json")], data, check=False)
    assert p.returncode == 0, p.stderr
    assert "citation_recall" in p.stdout and "all metrics meet the floors" in p.stdout
    for name in ("report.md", "report.html", "metrics_by_type.png", "latency.png", "questions.jsonl"):
        assert (out / name).stat().st_size > 0
    for png in ("metrics_by_type.png", "latency.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    p = rag_cli(["eval", "--retrieval-only", str(ROOT / "eval" / "seed.jsonl"), "--json", str(tmp_path / "b.json")], data, check=False)
    assert p.returncode == 0, p.stderr
    p = rag_cli(["eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")], data, check=False)
    assert p.returncode == 0 and "hits_at_4" in p.stdout and "delta = B − A" in p.stdout
    slower = json.loads((tmp_path / "a.json").read_text())
    slower["metrics"]["latency_p50_ms"] += 1234.4
    (tmp_path / "c.json").write_text(json.dumps(slower))
    p = rag_cli(["eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "c.json")], data, check=False)
    lat = next(line for line in p.stdout.splitlines() if "latency_p50_ms" in line)
    assert "+1234 ms" in lat  # whole milliseconds, signed as B - A
    # compare is a subcommand of its own: a missing run is one line naming it, a missing argument is usage
    p = rag_cli(["eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "none.json")], data, check=False)
    assert p.returncode == 1 and "B.json" in p.stderr and "none.json" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = rag_cli(["eval", "compare", str(tmp_path / "a.json")], data, check=False)
    assert p.returncode == 2 and "B.json" in p.stderr

"""The LLM path against a real local model: llama.cpp's OpenAI-compatible server on 127.0.0.1.

    python bench/llm_local.py --model FILE.gguf [--server-python PY] [--threads 2] [--limit N] [--record FILE.json]

Starts `python -m llama_cpp.server` (from `llama-cpp-python[server]`, in the interpreter given by
--server-python) with the GGUF, ingests corpus/ into a temporary data dir, and runs the shipped
seed gold file through the offline answerer and through the LLM, side by side: the share of
answers that came from the LLM (the rest fell back, by reason), keyword accuracy, citation
precision and recall, refusals, and latency. --record writes every raw reply (question, reply,
outcome) as JSON, which the tests replay. Nothing is downloaded: point --model at a file you have.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()  # a bench is a host: it keeps libraries off the network

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from local_server import free_port, wait_until_listening  # noqa: E402
from rag import Corpus, Settings, ingest  # noqa: E402
from rag.evaluate import describe_mix, evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def start_server(py: str, model: Path, threads: int, ctx: int) -> tuple[subprocess.Popen, str]:
    """llama.cpp's server on 127.0.0.1 (logits_all off: the default reserves gigabytes)."""
    port = free_port()
    proc = subprocess.Popen([py, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
                             "--n_ctx", str(ctx), "--n_threads", str(threads), "--logits_all", "false"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(proc, port, "llama.cpp server", timeout=180)
    return proc, f"http://127.0.0.1:{port}/v1"


def main() -> None:
    """Print the offline vs LLM table (and record raw replies when asked)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--server-python", default=sys.executable, help="Python that has llama-cpp-python[server]")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120.0, help="RAG_LLM_TIMEOUT for the run")
    ap.add_argument("--record", type=Path, help="write raw replies here (JSON)")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp()) / "data"
    corpus = Corpus(Settings(data_dir=data))
    ingest(corpus, [str(ROOT / "corpus")])
    offline = evaluate(corpus, "seed.jsonl", limit=args.limit, use_llm=False)
    proc, url = start_server(args.server_python, args.model, args.threads, args.ctx)
    try:
        corpus.settings = Settings(data_dir=data, llm_base_url=url, llm_model=args.model.stem, llm_timeout=args.timeout,
                                   llm_max_retries=0)
        llm = evaluate(corpus, "seed.jsonl", limit=args.limit, use_llm=True)
    finally:
        proc.terminate()
        proc.wait(30)
    table = Table(title=f"seed gold file ({llm['metrics']['n']} questions): offline answerer vs {args.model.name} on llama.cpp, "
                        f"{args.threads} threads")
    for col in ("answerer", "answers from LLM", "keyword accuracy", "citation precision", "citation recall", "refusal recall",
                "p50 s", "p95 s"):
        table.add_column(col, justify="right")
    for name, run in (("offline extractive", offline), (f"LLM {args.model.stem}", llm)):
        m = run["metrics"]
        answers = run["run"]["backend_mix"]["answers"]
        from_llm = sum(n for b, n in answers.items() if b.startswith("llm:")) / max(1, sum(answers.values()))
        f = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        table.add_row(name, f"{from_llm:.0%}", f(m["answer_keyword_accuracy"]), f(m["citation_precision"]), f(m["citation_recall"]),
                      f(m["refusal_recall"]), f"{m['latency_p50_ms'] / 1000:.1f}", f"{m['latency_p95_ms'] / 1000:.1f}")
    console = Console()
    console.print(table)
    console.print(f"LLM run answered by: {describe_mix(llm['run'])}")
    if args.record:
        rows = [{"id": r["id"], "question": r["question"], "backend": r["backend"], "fallback": r.get("fallback", ""),
                 "reply": r.get("llm_raw") or (r["answer"] if r["backend"].startswith("llm:") else ""), "answer": r["answer"]}
                for r in llm["questions"]]
        args.record.write_text(json.dumps({"model": args.model.name, "server": "llama-cpp-python 0.3.36", "replies": rows},
                                          ensure_ascii=False, indent=1) + "\n")
        console.print(f"wrote {args.record}")
    os.environ.pop("RAG_LLM_BASE_URL", None)


if __name__ == "__main__":
    main()

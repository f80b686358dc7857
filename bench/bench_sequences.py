"""4D: do models trained on static scans label BU-4DFE-style sequences as well as scans?

For every fold model of a cross-validation run (``RUN/fold_XX/model``), synthetic BU-4DFE
sequences of new identities (neutral → onset → apex → offset → neutral, with head motion)
are predicted through :class:`~affectvlm.infer.Predictor`, and the sequence accuracy is set
beside the fold's per-scan test accuracy. Two ways of reading a sequence are compared: the
shipped one (frames sampled around the apex found from non-rigid displacement, probabilities
pooled over frames and views) and the earlier one (frames spread uniformly, mean embedding).

    .venv/bin/python bench/bench_sequences.py --run runs/gen/runs/base-bbox/affectvlm --family base
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from affectvlm.infer import Predictor
from affectvlm.io.index import index_dataset
from affectvlm.io.sequence import read_sequence
from affectvlm.synth import SynthConfig, generate_dataset


def _sequences(out: Path, args: argparse.Namespace) -> list[tuple[Path, str]]:
    root = out / f"bu4dfe-{args.family}-{args.seed}"
    synth = SynthConfig(
        dataset="bu4dfe",
        family=args.family,
        subjects=args.subjects,
        seed=args.seed,
        frames=args.frames,
    )
    report = generate_dataset(root, synth, progress=False)
    if not report.ok:
        raise SystemExit(report.summary())
    records = index_dataset(root, "bu4dfe", validate=False, progress=False).records
    return [(root / r.path, r.emotion) for r in records]


def _accuracy(predictor: Predictor, sequences, way: str) -> float:
    render = predictor.render_config
    sampling = "expressive" if way == "apex+probs" else "uniform"
    config = dataclasses.replace(render, frame_sampling=sampling)
    model = predictor.model
    fusion = model.fusion.mode
    model.fusion.mode = "probs" if way == "apex+probs" else "mean"
    try:
        reader = Predictor(model, config, predictor.class_names, predictor.device)
        right = [reader.predict(read_sequence(path)).label == label for path, label in sequences]
    finally:
        model.fusion.mode = fusion
    return float(np.mean(right))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, required=True, help="cv run folder (fold_XX/model)")
    p.add_argument("--family", default="base")
    p.add_argument("--subjects", type=int, default=10)
    p.add_argument("--seed", type=int, default=100, help="synth seed: identities not trained on")
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--out", type=Path, default=Path("runs/bench-sequences"))
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    sequences = _sequences(args.out, args)
    rows = []
    for fold_dir in sorted(args.run.glob("fold_*")):
        result = json.loads((fold_dir / "fold_result.json").read_text(encoding="utf-8"))
        predictor = Predictor.from_checkpoint(fold_dir, device="cpu")
        classes = set(predictor.class_names)
        usable = [(path, label) for path, label in sequences if label in classes]
        row = {"fold": fold_dir.name, "scans": result["test_metrics"]["accuracy"]}
        for way in ("apex+probs", "uniform+mean-embedding"):
            row[way] = _accuracy(predictor, usable, way)
        rows.append(row)
        print(row, flush=True)
    command = shlex.join(["python", "bench/bench_sequences.py", *sys.argv[1:]])
    lines = [
        f"`{command}` — {len(usable)} sequences of {args.subjects} new identities per fold model",
        "",
        "| fold | per-scan test accuracy | sequences (apex + probability pooling) "
        "| sequences (uniform frames + mean embedding) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['fold']} | {100 * r['scans']:.1f} % | {100 * r['apex+probs']:.1f} % "
            f"| {100 * r['uniform+mean-embedding']:.1f} % |"
        )
    means = {k: 100 * np.mean([r[k] for r in rows]) for k in rows[0] if k != "fold"}
    lines.append(
        f"| mean | {means['scans']:.1f} % | {means['apex+probs']:.1f} % "
        f"| {means['uniform+mean-embedding']:.1f} % |"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

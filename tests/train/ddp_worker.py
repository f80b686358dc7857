"""Run by ``torch.distributed.run`` in test_distributed.py: a tiny 2-process CPU run.

``argv``: run folder, log folder, tower (``vit``: the tiny ViT + CLIP text tower; ``conv``:
the CPU recipe's conv tower with BatchNorm + the frozen pretrained MiniLM). Every atomic
file write is recorded per rank (outside the run folder) so the test can check that only
rank 0 writes.
"""

import dataclasses
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import PatternCache, make_foldset, make_records, tiny_config

import affectvlm.fileio as fileio
from affectvlm.model import resolve_model_config
from affectvlm.train import distributed
from affectvlm.train.cv import run_folds

out, log_dir, tower = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
config = tiny_config(epochs=2)
if tower == "conv":
    model = {"preset": "rn-tiny-minilm", "vision": {"image_size": 32}, "freeze_text": True}
    config = dataclasses.replace(config, model=resolve_model_config(model))
rank = os.environ["RANK"]
original = fileio.atomic_write


def recording_write(path, write):
    with open(log_dir / f"writes_rank{rank}.txt", "a") as fh:
        fh.write(f"{path}\n")
    return original(path, write)


fileio.atomic_write = recording_write
records = make_records()
try:
    result = run_folds(
        config,
        records,
        make_foldset(records),
        out,
        "cpu",
        fold_indices=[0],
        cache=PatternCache(records),
    )
finally:
    distributed.shutdown()
with open(log_dir / f"done_rank{rank}.txt", "w") as fh:
    fh.write(f"{result.folds[0].test_metrics['accuracy']}\n")

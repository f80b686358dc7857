"""Training throughput on this machine: samples/s and the share of step time spent waiting
for data, for the ``tiny`` and ``vit-b-32-random`` model presets, side by side.

Views come from per-sample uint8 ``.npy`` files read with ``np.load(mmap_mode="r")`` (the
render cache layout), at the render size of each preset; augmentation is on.

    .venv/bin/python bench/bench_train.py [--presets tiny vit-b-32-random] [--samples 48]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from affectvlm.config import from_dict
from affectvlm.model.config import model_preset
from affectvlm.train.components import FoldData, build_loader, build_model_and_loss, make_dataset
from affectvlm.train.config import TrainConfig
from affectvlm.train.distributed import DistInfo
from affectvlm.train.loop import TrainStep, train_one_epoch
from affectvlm.train.optim import build_optimizer, build_scheduler

CLASSES = ["anger", "happiness", "surprise"]


class NpyCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def sample_id(record) -> str:
        return record.path

    def load(self, key: str) -> np.ndarray:
        return np.load(self.folder / f"{key}.npy", mmap_mode="r")


def _fold_data(folder: Path, samples: int, size: int) -> FoldData:
    rng = np.random.default_rng(0)
    records = []
    for i in range(samples):
        rec = SimpleNamespace(
            path=f"s{i:04d}",
            subject=f"F{i % 10:04d}",
            emotion=CLASSES[i % 3],
            sex="F",
            age="",
            ethnicity="",
        )
        np.save(folder / f"{rec.path}.npy", rng.integers(0, 256, (1, 3, 3, size, size), np.uint8))
        records.append(rec)
    parts = {"train": records, "val": [], "test": []}
    return FoldData(parts, CLASSES, NpyCache(folder), NpyCache.sample_id, "", None)


def bench(preset: str, samples: int, batch: int, workers: int, epochs: int) -> dict:
    model_cfg = model_preset(preset)
    size = model_cfg.vision.image_size if not model_cfg.pretrained else 224
    config = from_dict(
        TrainConfig,
        {
            "precision": "fp32",
            "progress": False,
            "epochs": epochs,
            "data": {"batch_size": batch, "workers": workers},
            "render": {"image_size": size},
        },
    )
    config.model = model_cfg
    device = torch.device("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        data = _fold_data(Path(tmp), samples, size)
        model, loss, bank = build_model_and_loss(config, device)
        step = TrainStep(model, loss)
        loader, sampler = build_loader(
            config, make_dataset(config, data, "train", model, bank, True), DistInfo(), True
        )
        from affectvlm.model.optim import param_groups

        opt = build_optimizer(param_groups(model, 1e-5, 1e-3, 0.05, [loss]), config.optim)
        sched = build_scheduler(opt, config.optim, math.ceil(len(loader)), epochs)
        scaler = torch.amp.GradScaler("cpu", enabled=False)
        stats = []
        for epoch in range(1, epochs + 1):
            sampler.set_epoch(epoch)
            stats.append(
                train_one_epoch(
                    step,
                    loader,
                    opt,
                    sched,
                    scaler,
                    device=device,
                    precision="fp32",
                    accumulate=1,
                    grad_clip=1.0,
                    info=DistInfo(),
                )
            )
    last = stats[-1]  # the first epoch includes worker start-up
    return {
        "preset": preset,
        "image": size,
        "batch": batch,
        "workers": workers,
        "samples_per_s": last.samples / last.seconds,
        "data_wait_share": last.data_wait_share,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "vit-b-32-random"])
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    print(
        f"{'preset':18} {'image':>5} {'batch':>5} {'workers':>7} {'samples/s':>10} {'data wait':>9}"
    )
    for preset in args.presets:
        started = time.perf_counter()
        r = bench(preset, args.samples, args.batch, args.workers, args.epochs)
        print(
            f"{r['preset']:18} {r['image']:5d} {r['batch']:5d} {r['workers']:7d} "
            f"{r['samples_per_s']:10.1f} {100 * r['data_wait_share']:8.1f}%"
            f"   ({time.perf_counter() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()

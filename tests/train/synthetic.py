"""Tiny synthetic fold sets whose labels are truly learnable, for the training tests."""

from __future__ import annotations

import numpy as np

from affectvlm.config import from_dict
from affectvlm.data import ProtocolConfig, make_folds
from affectvlm.io.layouts.record import SampleRecord
from affectvlm.train.config import TrainConfig

CLASSES = ["anger", "happiness", "surprise"]


class PatternCache:
    """Serves uint8 views (T, V, 3, H, W): a bright block whose place depends on the class.

    ``sample_id`` maps a record to its key (the engine uses it instead of the render
    cache's id function); ``loaded`` lists every key read, in order.
    """

    def __init__(self, records, size: int = 32, frames: int = 1, seed: int = 0, poison=()):
        rng = np.random.default_rng(seed)
        self.arrays = {}
        self.loaded: list[str] = []
        for r in records:
            label = CLASSES.index(r.emotion)
            if r.subject in poison:  # wrong pattern: selecting on these would hurt
                label = (label + 1) % len(CLASSES)
            img = rng.integers(0, 60, (frames, 3, 3, size, size)).astype(np.uint8)
            h = size // 3
            for v in range(3):
                y0 = label * h
                x0 = (v * 2 + label) % (size - h)
                img[:, v, :, y0 : y0 + h, x0 : x0 + h] = 230
            self.arrays[self.sample_id(r)] = img

    @staticmethod
    def sample_id(record) -> str:
        return record.path

    def load(self, key: str) -> np.ndarray:
        self.loaded.append(key)
        return self.arrays[key]


def make_records(subjects: int = 12, per_class: int = 4) -> list[SampleRecord]:
    records = []
    for s in range(subjects):
        subject = f"{'F' if s % 2 else 'M'}{s + 1:04d}"
        for emotion in CLASSES:
            for k in range(per_class):
                records.append(
                    SampleRecord(
                        path=f"{subject}/{subject}_{emotion[:2].upper()}0{k + 1}WH_F3D.wrl",
                        dataset="bu3dfe",
                        subject=subject,
                        emotion=emotion,
                        expression=f"{emotion[:2].upper()}0{k + 1}",
                        category="emotion",
                        sex=subject[0],
                        intensity=k + 1,
                    )
                )
    return records


def make_foldset(records, folds: int = 3, seed: int = 0):
    return make_folds(
        records, ProtocolConfig(classes=CLASSES, folds=folds, val_fraction=0.25, seed=seed)
    )


def tiny_config(**overrides) -> TrainConfig:
    data = {
        "epochs": 6,
        "patience": 0,
        "seed": 0,
        "precision": "fp32",
        "progress": False,
        "data": {"batch_size": 12, "eval_batch_size": 32, "workers": 0},
        "optim": {"lr_towers": 2e-3, "lr_heads": 5e-3, "warmup_epochs": 1.0},
        "loss": {"use_mt": False},
        "render": {"image_size": 32},
        "text": {"augmented": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    return from_dict(TrainConfig, data)

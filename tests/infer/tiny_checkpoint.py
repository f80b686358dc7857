"""A tiny trained-model folder written by the trainer's own save function, and sample inputs."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from affectvlm import EMOTIONS
from affectvlm.io import Scan, write_ply
from affectvlm.model import AffectVLM, model_preset
from affectvlm.render.config import RenderConfig
from affectvlm.synth import make_face, make_identity, make_sequence
from affectvlm.train.components import save_best_model
from affectvlm.train.config import TrainConfig

CORRUPT_PLY = b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n0 0\n"


def make_tiny_run(run: Path, **render: object) -> Path:
    """``run/model`` as ``train_fold`` leaves it (tiny preset, 32-px renders, 3 frames)."""
    torch.manual_seed(0)
    settings = {"image_size": 32, "channels": ["texture"], "frames": 3, **render}
    config = TrainConfig(model=model_preset("tiny"), render=RenderConfig(**settings))
    model = AffectVLM.from_config(config.model, config.text)
    save_best_model(model, config, list(EMOTIONS), run / "model")
    return run


def small_face(seed: int = 1, emotion: str = "happiness") -> Scan:
    return make_face(make_identity(seed), emotion, 4, resolution=32, texture_size=32)


def write_face(path: Path, seed: int = 1, emotion: str = "happiness") -> Path:
    """A textured PLY scan with its PNG texture beside it."""
    scan = small_face(seed, emotion)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ply(path, scan, texture_name=f"{path.stem}.png")
    Image.fromarray(scan.texture).save(path.with_suffix(".png"))
    return path


def write_sequence(folder: Path, frames: int = 5, seed: int = 2) -> Path:
    """A 4D sequence folder of numbered PLY frames."""
    folder.mkdir(parents=True, exist_ok=True)
    sequence = make_sequence(
        make_identity(seed), "surprise", frames=frames, resolution=24, texture_size=16
    )
    for i, scan in enumerate(sequence):
        write_ply(folder / f"{i:03d}.ply", scan)
    return folder

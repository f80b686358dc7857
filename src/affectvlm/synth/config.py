"""Settings of the synthetic dataset generator (one dataclass, filled by the config machinery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SynthDataset = Literal["bu3dfe", "bu4dfe", "bosphorus", "bp4d"]
SynthFamily = Literal["base", "rbf"]
"""Face families (:mod:`affectvlm.synth.family`): independent generators of the same emotions."""

DEFAULT_RESOLUTION: dict[str, int] = {"bu3dfe": 190, "bosphorus": 190, "bu4dfe": 96, "bp4d": 96}
"""Grid rows per face when ``resolution`` is 0: ~24k vertices for static scans, ~6k per 4D frame."""


@dataclass
class SynthConfig:
    """What to generate and how; ``seed`` alone fixes every byte of the output."""

    dataset: SynthDataset = "bu3dfe"
    family: SynthFamily = "base"
    subjects: int = 20
    seed: int = 0
    resolution: int = 0  # grid rows over the face height; 0 = the dataset's default
    frames: int = 36  # frames per 4D sequence (BU-4DFE, BP4D)
    fps: float = 25.0
    texture_size: int = 256  # side of the UV texture image in pixels
    female_fraction: float = 0.56
    pose_deg: float = 3.0  # largest random head rotation per axis
    noise_mm: float = 0.15  # scanner noise (standard deviation, along the view axis)
    bosphorus_extra: list[str] = field(
        default_factory=lambda: ["LFAU_12LW_0", "CAU_A22A25_0", "YR_R90_0"]
    )
    bp4d_tasks: list[str] = field(
        default_factory=lambda: ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]
    )
    workers: int = 0  # processes; 0 = all CPU cores, 1 = in this process

    def __post_init__(self) -> None:
        if self.subjects < 1:
            raise ValueError(f"subjects must be >= 1, got {self.subjects}")
        if self.resolution != 0 and self.resolution < 12:
            raise ValueError(f"resolution must be 0 (default) or >= 12, got {self.resolution}")
        if self.frames < 5:
            raise ValueError(f"frames must be >= 5, got {self.frames}")
        if not 0.0 <= self.female_fraction <= 1.0:
            raise ValueError(f"female_fraction must be in [0, 1], got {self.female_fraction}")
        if self.texture_size < 16:
            raise ValueError(f"texture_size must be >= 16, got {self.texture_size}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")

    @property
    def grid_rows(self) -> int:
        """The resolution actually used (the dataset default when ``resolution`` is 0)."""
        return self.resolution or DEFAULT_RESOLUTION[self.dataset]

"""In-memory face scans (one 3D mesh) and scan sequences (one 4D recording)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def _float32(values: np.ndarray) -> np.ndarray:
    """``values`` as contiguous float32; an overflow becomes inf and a signalling NaN a NaN
    (the readers reject both) without a numpy warning."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ascontiguousarray(values, dtype=np.float32)


@dataclass
class Scan:
    """One face mesh in millimetres.

    ``uv``/``uv_faces`` carry texture coordinates per face corner (UV seams are kept, so
    ``uv`` may have more rows than ``vertices``); ``texture`` is the image they index,
    ``(H, W, 3) uint8`` with row 0 at the top and ``v = 1`` at the top.
    """

    vertices: np.ndarray  # (N, 3) float32, mm
    faces: np.ndarray  # (M, 3) int64
    colors: np.ndarray | None = None  # (N, 3) float32 in [0, 1], per vertex
    uv: np.ndarray | None = None  # (K, 2) float32 in [0, 1]
    uv_faces: np.ndarray | None = None  # (M, 3) int64 into ``uv``
    texture: np.ndarray | None = None  # (H, W, 3) uint8
    texture_path: Path | None = None
    landmarks: np.ndarray | None = None  # (L, 3) float32, same frame as vertices
    landmark_names: list[str] | None = None
    path: Path | None = None
    notes: list[str] = field(default_factory=list)  # non-fatal remarks from the reader

    def __post_init__(self) -> None:
        self.vertices = _float32(self.vertices)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int64)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"vertices must be (N, 3), got {self.vertices.shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise ValueError(f"faces must be (M, 3), got {self.faces.shape}")
        if self.colors is not None:
            self.colors = _float32(self.colors)
        if self.uv is not None:
            self.uv = _float32(self.uv)
        if self.uv_faces is not None:
            self.uv_faces = np.ascontiguousarray(self.uv_faces, dtype=np.int64)
        if self.landmarks is not None:
            self.landmarks = _float32(self.landmarks)

    @property
    def has_texture(self) -> bool:
        return self.texture is not None and self.uv is not None and self.uv_faces is not None

    @property
    def has_colors(self) -> bool:
        return self.colors is not None


@dataclass
class ScanSequence:
    """The ordered frames of one 4D recording, read lazily.

    Each entry of ``frames`` is either a path (read on access with ``loader``) or a ``Scan``
    already in memory (e.g. a synthetic sequence).
    """

    frames: Sequence[Path | Scan]
    fps: float = 25.0
    frame_numbers: list[int] | None = None
    path: Path | None = None
    loader: Callable[[Path], Scan] | None = None
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, index: int) -> Scan:
        item = self.frames[index]
        if isinstance(item, Scan):
            return item
        if self.loader is None:
            from affectvlm.io.registry import read_scan

            return read_scan(item)
        return self.loader(item)

    def __iter__(self) -> Iterator[Scan]:
        for i in range(len(self)):
            yield self.frame(i)

    @property
    def duration(self) -> float:
        return len(self) / self.fps

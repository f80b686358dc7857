"""Face framing (centre + scale in mm) and the view transforms of the cameras around it.

A scan is mapped to normalised units: the face centre goes to the origin and one face
half-size to 1, so the same face at another distance or position renders the same. With
landmarks (eye and mouth groups) the eye–mouth distance sets the scale; otherwise a robust
bounding box of the vertices does (percentiles, so stray points do not move it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from affectvlm.io.scan import Scan
from affectvlm.render.config import RenderConfig, ViewSpec

EYE_MOUTH_TO_HALF_SIZE = 1.3
"""Face half-size over the eye-centre–mouth-centre distance (typical adult proportions)."""
BBOX_FRONT_OFFSET = 0.2
"""Bounding-box mode puts the depth centre this many half-sizes behind the face front, close
to where the eye/mouth landmarks lie, so both modes frame a face alike."""

_BU_EYES = slice(0, 16)  # BU-3DFE/BU-4DFE 83-point .bnd: both eyes
_BU_MOUTH = slice(48, 68)


@dataclass(frozen=True)
class Normalisation:
    """The similarity that took a scan to normalised units: ``(v - centre) / half_size``."""

    centre: tuple[float, float, float]
    half_size: float  # mm per normalised unit
    method: str  # "landmarks" or "bbox"

    def apply(self, vertices: np.ndarray) -> np.ndarray:
        centre = np.asarray(self.centre, dtype=np.float32)
        return ((vertices - centre) / np.float32(self.half_size)).astype(np.float32)


def _eye_mouth_groups(scan: Scan) -> tuple[np.ndarray, np.ndarray] | None:
    lm = scan.landmarks
    if lm is None or len(lm) == 0:
        return None
    names = scan.landmark_names
    if names is not None and len(names) == len(lm):
        low = [n.lower() for n in names]
        eyes = [i for i, n in enumerate(low) if "eye" in n and "brow" not in n]
        mouth = [i for i, n in enumerate(low) if "mouth" in n or "lip" in n]
        if eyes and mouth:
            return lm[eyes], lm[mouth]
    if len(lm) == 83:
        return lm[_BU_EYES], lm[_BU_MOUTH]
    return None


def _finite_vertices(scan: Scan) -> np.ndarray:
    v = scan.vertices
    v = v[np.isfinite(v).all(axis=1)]
    if len(v) == 0:
        raise ValueError(f"{scan.path or 'scan'}: no finite vertices to frame")
    return v


def normalise(scan: Scan, method: str = "auto", percentile: float = 2.0) -> Normalisation:
    """Centre and scale for ``scan``; ``method`` is ``auto``, ``landmarks`` or ``bbox``."""
    groups = _eye_mouth_groups(scan) if method in ("auto", "landmarks") else None
    if groups is not None:
        eye_c, mouth_c = groups[0].mean(axis=0), groups[1].mean(axis=0)
        distance = float(np.linalg.norm(eye_c - mouth_c))
        if distance > 0 and np.isfinite(distance):
            centre = (eye_c + mouth_c) / 2.0
            half = EYE_MOUTH_TO_HALF_SIZE * distance
            return Normalisation(tuple(float(c) for c in centre), half, "landmarks")
    if method == "landmarks":
        raise ValueError(f"{scan.path or 'scan'}: no eye and mouth landmarks to frame the face")
    v = _finite_vertices(scan)
    lo, hi = np.percentile(v, [percentile, 100.0 - percentile], axis=0)
    half = float(max(hi[0] - lo[0], hi[1] - lo[1])) / 2.0
    if half <= 0:
        half = float(max(np.ptp(v[:, 0]), np.ptp(v[:, 1]), 1e-6)) / 2.0
    centre = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, hi[2] - BBOX_FRONT_OFFSET * half)
    return Normalisation(tuple(float(c) for c in centre), half, "bbox")


def view_rotations(views: Sequence[ViewSpec]) -> np.ndarray:
    """World-to-view rotations ``(V, 3, 3)``: the inverse of each camera's orbit."""
    out = []
    for view in views:
        y, p = math.radians(view.yaw), math.radians(view.pitch)
        ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
        rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
        camera = ry @ rx.T  # orbit: yaw towards +x, then pitch upwards
        out.append(camera.T)
    return np.stack(out).astype(np.float32)


@dataclass
class Projected:
    """Vertices seen by every view: pixel coordinates, view-space depth and 1/w."""

    xy: torch.Tensor  # (V, N, 2) pixels, x right, y down, pixel centres at i + 0.5
    z: torch.Tensor  # (V, N) view-space depth in normalised units, larger = nearer
    inv_w: torch.Tensor  # (V, N) 1 / distance along the axis (ones for orthographic)


def project(vertices: torch.Tensor, config: RenderConfig, size: int) -> Projected:
    """Rotate normalised ``vertices (N, 3)`` into every view and project to ``size``² pixels."""
    rot = torch.as_tensor(view_rotations(config.views), device=vertices.device)
    view = torch.einsum("vij,nj->vni", rot, vertices)
    x, y, z = view.unbind(-1)
    if config.projection == "perspective":
        w = config.focal_length - z
        inv_w = 1.0 / w.clamp_min(1e-6)
        x, y = x * config.focal_length * inv_w, y * config.focal_length * inv_w
        inv_w = torch.where(w > 1e-6, inv_w, torch.zeros_like(inv_w))
    else:
        inv_w = torch.ones_like(z)
    half = size / 2.0
    xy = torch.stack([(x * config.fill + 1.0) * half, (1.0 - y * config.fill) * half], dim=-1)
    return Projected(xy=xy, z=z, inv_w=inv_w)

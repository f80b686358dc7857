"""4D sequences: pick K frames (uniformly, or around the expressive segment) and render them,
or collapse them into one "dynamic image" per view by approximate rank pooling.

The expressive segment is found from geometry: every frame is aligned rigidly to the first
(Kabsch), and its remaining mean vertex displacement measures how far the face has deformed
from its starting (neutral) state. The run of frames around the peak that come within 70 %
of it (measured from the noise floor) is the apex; head turns and nods, which move every
vertex rigidly, do not count.
"""

from __future__ import annotations

import numpy as np
import torch

from affectvlm.io.scan import ScanSequence
from affectvlm.render.camera import normalise
from affectvlm.render.config import RenderConfig
from affectvlm.render.views import RenderedViews, render_views

EXPRESSIVE_SHARE = 0.7
"""A frame is expressive when its non-rigid displacement is at least this share of the way
from the noise floor (the 10th percentile over frames) to the peak."""

ALIGN_POINTS = 4000
"""Vertices (an even stride over the mesh) used to align each frame to the first."""


def uniform_indices(n_frames: int, k: int) -> list[int]:
    """``k`` frame indices spread evenly over ``[0, n_frames)`` (repeats when k > n_frames)."""
    if n_frames < 1:
        raise ValueError("a sequence needs at least one frame")
    return [round(float(i)) for i in np.linspace(0, n_frames - 1, k)]


def rigid_residual(reference: np.ndarray, points: np.ndarray) -> float:
    """Mean distance (mm) between ``points`` and ``reference`` (corresponding rows) after the
    rotation and translation that best align them (Kabsch); non-finite rows are left out."""
    keep = np.isfinite(reference).all(axis=1) & np.isfinite(points).all(axis=1)
    if keep.sum() < 3:
        return 0.0
    a = reference[keep].astype(np.float64)
    b = points[keep].astype(np.float64)
    a_mean, b_mean = a.mean(axis=0), b.mean(axis=0)
    u, _, vt = np.linalg.svd((b - b_mean).T @ (a - a_mean))
    d = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.diag([1.0, 1.0, d]) @ vt  # maps b onto a: (b - b_mean) @ rotation
    aligned = (b - b_mean) @ rotation + a_mean
    return float(np.linalg.norm(aligned - a, axis=1).mean())


def expression_displacement(sequence: ScanSequence) -> np.ndarray | None:
    """Non-rigid displacement of every frame from the first, ``(T,)`` in mm.

    Each frame is rigidly aligned to the first (head rotation and translation removed), so
    what remains is the face deforming: the expression. Returns ``None`` when frames do not
    share one vertex count (no correspondence).
    """
    first = sequence.frame(0).vertices
    stride = max(1, len(first) // ALIGN_POINTS)
    reference = first[::stride]
    out = [0.0]
    for index in range(1, len(sequence)):
        vertices = sequence.frame(index).vertices
        if vertices.shape != first.shape:
            return None
        out.append(rigid_residual(reference, vertices[::stride]))
    return np.asarray(out, dtype=np.float64)


def expressive_segment(displacement: np.ndarray) -> tuple[int, int] | None:
    """First and last frame of the run around the peak whose displacement is at least
    :data:`EXPRESSIVE_SHARE` of the way from the noise floor to the peak (scanner noise gives
    every frame some displacement); ``None`` when nothing deforms."""
    if len(displacement) < 2 or not np.isfinite(displacement).all():
        return None
    peak = float(np.max(displacement))
    floor = float(np.quantile(displacement[1:], 0.1))
    if peak - floor <= 1e-6 or peak <= 1e-6:
        return None
    expressive = displacement >= floor + EXPRESSIVE_SHARE * (peak - floor)
    top = int(np.argmax(displacement))
    first = top
    while first > 0 and expressive[first - 1]:
        first -= 1
    last = top
    while last < len(displacement) - 1 and expressive[last + 1]:
        last += 1
    return first, last


def sample_frames(sequence: ScanSequence, k: int, mode: str = "expressive") -> list[int]:
    """Indices of ``k`` frames: ``uniform`` over the sequence, or ``expressive`` — evenly over
    the segment around the apex, found from each frame's non-rigid displacement relative to
    the first frame (:func:`expression_displacement`); uniform if frames differ in vertex
    count or nothing deforms."""
    n_frames = len(sequence)
    if mode == "uniform" or n_frames < 3:
        return uniform_indices(n_frames, k)
    if mode != "expressive":
        raise ValueError(f"unknown frame sampling {mode!r} (uniform or expressive)")
    displacement = expression_displacement(sequence)
    segment = expressive_segment(displacement) if displacement is not None else None
    if segment is None:
        return uniform_indices(n_frames, k)
    first, last = segment
    return [first + i for i in uniform_indices(last - first + 1, k)]


def dynamic_image(frames: np.ndarray) -> np.ndarray:
    """Approximate rank pooling (Bilen et al.) of ``frames (T, ...) uint8`` into one uint8 image.

    Weights ``α_t = 2t − T − 1`` (t = 1..T); the pooled image is scaled so its largest
    magnitude maps to ±127.5 around mid grey (a static sequence gives uniform 128).
    """
    n = frames.shape[0]
    alpha = 2.0 * np.arange(1, n + 1) - n - 1
    pooled = np.tensordot(alpha, frames.astype(np.float64), axes=1)
    scale = max(float(np.abs(pooled).max()), float(alpha[alpha > 0].sum()) if n > 1 else 1.0)
    return np.clip(np.round(127.5 + 127.5 * pooled / scale), 0, 255).astype(np.uint8)


def render_sequence(
    sequence: ScanSequence, config: RenderConfig, device: str | torch.device = "cpu"
) -> list[RenderedViews]:
    """Render a sequence per ``config.temporal``: the K sampled frames (``frames``), or one
    dynamic image per view and channel (``dynamic``, a one-element list).

    All frames share the framing of the first sampled frame, so the face does not jitter.
    """
    indices = sample_frames(sequence, config.frames, config.frame_sampling)
    first = sequence.frame(indices[0])
    norm = normalise(first, config.normalisation, config.bbox_percentile)
    rendered, cache = [], {indices[0]: first}
    for index in indices:
        scan = cache.pop(index, None) or sequence.frame(index)
        rendered.append(render_views(scan, config, device=device, normalisation=norm))
    if config.temporal == "frames":
        return rendered
    channels = {
        name: dynamic_image(np.stack([r.channels[name] for r in rendered]))
        for name in rendered[0].channels
    }
    mask = np.any(np.stack([r.mask for r in rendered]), axis=0)
    return [RenderedViews(rendered[0].view_names, channels, mask, norm)]

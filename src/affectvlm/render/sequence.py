"""4D sequences: pick K frames (uniformly, or around the expressive segment) and render them,
or collapse them into one "dynamic image" per view by approximate rank pooling."""

from __future__ import annotations

import numpy as np
import torch

from affectvlm.io.scan import ScanSequence
from affectvlm.render.camera import normalise
from affectvlm.render.config import RenderConfig
from affectvlm.render.views import RenderedViews, render_views

MOTION_QUANTILES = (0.1, 0.9)
"""The expressive segment spans the frames between these quantiles of cumulative motion."""


def uniform_indices(n_frames: int, k: int) -> list[int]:
    """``k`` frame indices spread evenly over ``[0, n_frames)`` (repeats when k > n_frames)."""
    if n_frames < 1:
        raise ValueError("a sequence needs at least one frame")
    return [round(float(i)) for i in np.linspace(0, n_frames - 1, k)]


def frame_motion(sequence: ScanSequence) -> np.ndarray | None:
    """Mean per-vertex displacement between consecutive frames, ``(T - 1,)`` in mm.

    Returns ``None`` when frames do not share one vertex count (no correspondence).
    """
    motion, previous = [], None
    for scan in sequence:
        vertices = scan.vertices
        if previous is not None:
            if vertices.shape != previous.shape:
                return None
            step = np.linalg.norm(vertices - previous, axis=1)
            motion.append(float(np.nanmean(step)) if np.isfinite(step).any() else 0.0)
        previous = vertices
    return np.asarray(motion, dtype=np.float64)


def expressive_segment(motion: np.ndarray) -> tuple[int, int] | None:
    """First and last frame of the segment holding the central share of all motion."""
    total = motion.sum()
    if not np.isfinite(total) or total <= 0:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(motion)]) / total  # per frame, in [0, 1]
    lo, hi = MOTION_QUANTILES
    first = int(np.searchsorted(cumulative, lo, side="left"))
    last = int(np.searchsorted(cumulative, hi, side="left"))
    return max(first - 1, 0), min(last, len(cumulative) - 1)


def sample_frames(sequence: ScanSequence, k: int, mode: str = "expressive") -> list[int]:
    """Indices of ``k`` frames: ``uniform`` over the sequence, or ``expressive`` — evenly over
    the segment found from frame-to-frame vertex motion (uniform if frames differ in vertex
    count or nothing moves)."""
    n_frames = len(sequence)
    if mode == "uniform" or n_frames < 3:
        return uniform_indices(n_frames, k)
    if mode != "expressive":
        raise ValueError(f"unknown frame sampling {mode!r} (uniform or expressive)")
    motion = frame_motion(sequence)
    segment = expressive_segment(motion) if motion is not None else None
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

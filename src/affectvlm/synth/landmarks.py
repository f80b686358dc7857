"""The 83 BU-3DFE landmarks (FORMATS §1.5 grouping) and the 22 Bosphorus labels, as template points.

Index groups: 0–7 eye (x < 0), 8–15 other eye, 16–25 brow (x < 0), 26–35 other brow,
36–47 nose, 48–59 outer mouth, 60–67 inner mouth, 68–82 jaw line. The subject's left is
``x > 0`` (the face looks along ``+z``).
"""

from __future__ import annotations

import numpy as np

from affectvlm.synth.identity import Identity
from affectvlm.synth.shape import brow_y, nasion_y, outline_half_width

LANDMARK_GROUPS: dict[str, range] = {
    "eye_right": range(0, 8),
    "eye_left": range(8, 16),
    "brow_right": range(16, 26),
    "brow_left": range(26, 36),
    "nose": range(36, 48),
    "mouth_outer": range(48, 60),
    "mouth_inner": range(60, 68),
    "jaw": range(68, 83),
}
N_LANDMARKS = 83

# Which side of the lip line an inner-lip landmark must snap to: +1 above, -1 below, 0 free.
_INNER_UPPER = (61, 62, 63)
_INNER_LOWER = (65, 66, 67)

BOSPHORUS_LABELS: dict[str, int] = {
    "Outer left eyebrow": 30,
    "Middle left eyebrow": 28,
    "Inner left eyebrow": 26,
    "Inner right eyebrow": 16,
    "Middle right eyebrow": 18,
    "Outer right eyebrow": 20,
    "Outer left eye corner": 8,
    "Inner left eye corner": 12,
    "Inner right eye corner": 4,
    "Outer right eye corner": 0,
    "Nose saddle left": 47,
    "Nose saddle right": 36,
    "Left nose peak": 44,
    "Nose tip": 41,
    "Right nose peak": 39,
    "Left mouth corner": 54,
    "Upper lip outer middle": 51,
    "Right mouth corner": 48,
    "Upper lip inner middle": 62,
    "Lower lip inner middle": 66,
    "Lower lip outer middle": 57,
    "Chin middle": 75,
}
"""Bosphorus ``.lm3`` label → index of the 83-point landmark at the same place."""


def _eye(cx: float, cy: float, side: float) -> list[tuple[float, float]]:
    # Outer corner first, then around the eye: upper lid, inner corner, lower lid.
    angles = np.arange(8) * (np.pi / 4.0)
    return [(cx + side * 14.0 * np.cos(a), cy + 5.0 * np.sin(a)) for a in angles]


def _brow(idt: Identity, side: float) -> list[tuple[float, float]]:
    es, by = idt.eye_half_sep, brow_y(idt)
    xs = np.linspace(es - 15.0, es + 17.0, 5)  # inner → outer
    arc = by + 3.0 * (1.0 - ((xs - (es + 2.0)) / 17.0) ** 2)
    upper = [(side * x, y + 2.5) for x, y in zip(xs, arc, strict=True)]
    lower = [(side * x, y - 2.5) for x, y in zip(xs[::-1], arc[::-1], strict=True)]
    return upper + lower


def _nose(idt: Identity) -> list[tuple[float, float]]:
    nw, top = idt.nose_half_width, nasion_y(idt)
    right = [(-6.0, top - 8.0), (-8.0, 10.0), (-0.8 * nw, 1.0), (-nw, -5.0), (-6.0, -8.0)]
    left = [(-x, y) for x, y in reversed(right)]
    # 36-40 right side top→bottom, 41 tip, 42 subnasale, 43-47 left side bottom→top.
    return [*right, (0.0, 0.0), (0.0, -10.0), *left]


def _mouth(idt: Identity) -> list[tuple[float, float]]:
    mw, my, lip = idt.mouth_half_width, idt.mouth_y, idt.lip
    outer = [
        (-mw, my),
        (-0.6 * mw, my + 4.0 * lip),
        (-0.25 * mw, my + 7.0 * lip),
        (0.0, my + 6.0 * lip),
        (0.25 * mw, my + 7.0 * lip),
        (0.6 * mw, my + 4.0 * lip),
        (mw, my),
        (0.6 * mw, my - 5.0 * lip),
        (0.25 * mw, my - 8.0 * lip),
        (0.0, my - 8.5 * lip),
        (-0.25 * mw, my - 8.0 * lip),
        (-0.6 * mw, my - 5.0 * lip),
    ]
    inner = [
        (-0.85 * mw, my),
        (-0.4 * mw, my + 0.1),
        (0.0, my + 0.1),
        (0.4 * mw, my + 0.1),
        (0.85 * mw, my),
        (0.4 * mw, my - 0.1),
        (0.0, my - 0.1),
        (-0.4 * mw, my - 0.1),
    ]
    return outer + inner


def _jaw(idt: Identity) -> list[tuple[float, float]]:
    start, end = idt.eye_y - 10.0, idt.chin_y + 3.0
    ys = start + (end - start) * (np.arange(7) / 7.0) ** 0.8
    half = 0.93 * outline_half_width(idt, ys)
    right = [(-float(x), float(y)) for x, y in zip(half, ys, strict=True)]
    left = [(-x, y) for x, y in reversed(right)]
    return [*right, (0.0, end), *left]


def template_landmarks(idt: Identity) -> np.ndarray:
    """``(83, 2)`` landmark positions ``(x, y)`` on the neutral face of ``idt``."""
    es, ey = idt.eye_half_sep, idt.eye_y
    points = (
        _eye(-es, ey, -1.0)
        + _eye(es, ey, 1.0)
        + _brow(idt, -1.0)
        + _brow(idt, 1.0)
        + _nose(idt)
        + _mouth(idt)
        + _jaw(idt)
    )
    out = np.asarray(points, dtype=np.float64)
    assert out.shape == (N_LANDMARKS, 2)
    return out


def lip_side() -> np.ndarray:
    """``(83,)`` +1 for landmarks that must lie above the lip line, -1 below, 0 anywhere."""
    side = np.zeros(N_LANDMARKS, dtype=np.int8)
    side[list(_INNER_UPPER)] = 1
    side[list(_INNER_LOWER)] = -1
    return side


def landmark_names() -> list[str]:
    """Names of the 83 landmarks, ``<group>_<k>``."""
    return [f"{group}_{k}" for group, idx in LANDMARK_GROUPS.items() for k in range(len(idx))]

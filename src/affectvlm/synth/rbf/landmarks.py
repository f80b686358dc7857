"""The 83 BU-3DFE landmarks of an ``rbf`` face, same indices and meaning as the ``base`` family's
(:mod:`affectvlm.synth.landmarks`): almond eyes with a canthal tilt, slanted brows, a cupid's-bow
mouth and a jaw line that follows the crop boundary.
"""

from __future__ import annotations

import numpy as np

from affectvlm.synth.landmarks import N_LANDMARKS
from affectvlm.synth.rbf.identity import RbfIdentity
from affectvlm.synth.rbf.shape import brow_y, crop_half_width, nasion_y


def _eye(idt: RbfIdentity, side: float) -> list[tuple[float, float]]:
    # Outer corner first, then upper lid, inner corner, lower lid (as the base family).
    cx, cy = side * idt.eye_half_sep, idt.eye_y
    a = np.arange(8) * (np.pi / 4.0)
    lid = np.sin(a) * (0.8 + 0.2 * np.abs(np.sin(a)))
    xs = cx + side * idt.eye_len * np.cos(a)
    ys = cy + idt.eye_open * lid + 0.5 * idt.canthal_tilt * np.cos(a)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def _brow(idt: RbfIdentity, side: float) -> list[tuple[float, float]]:
    es, by = idt.eye_half_sep, brow_y(idt)
    xs = np.linspace(es - 14.0, es + 18.0, 5)  # inner → outer
    peak = es + 6.0
    centre = by + idt.brow_arch * (1.0 - ((xs - peak) / 18.0) ** 2) - 1.2 * (xs - es) / 18.0
    thick = np.linspace(2.8, 1.6, 5)
    upper = [(side * x, c + t) for x, c, t in zip(xs, centre, thick, strict=True)]
    lower = [(side * x, c - t) for x, c, t in zip(xs[::-1], centre[::-1], thick[::-1], strict=True)]
    return upper + lower


def _nose(idt: RbfIdentity) -> list[tuple[float, float]]:
    nw, top, bridge = idt.nose_half_width, nasion_y(idt), idt.nose_bridge
    right = [
        (-bridge - 1.0, top - 6.0),
        (-bridge - 2.5, 0.45 * top),
        (-0.85 * nw, 2.0),
        (-nw, -4.5),
        (-0.45 * nw, -8.5),
    ]
    left = [(-x, y) for x, y in reversed(right)]
    return [*right, (0.0, 0.0), (0.0, -9.5), *left]


def _mouth(idt: RbfIdentity) -> list[tuple[float, float]]:
    mw, my, ul, ll = idt.mouth_half_width, idt.mouth_y, idt.upper_lip, idt.lower_lip
    outer = [
        (-mw, my),
        (-0.6 * mw, my + 4.5 * ul),
        (-0.22 * mw, my + 8.0 * ul),
        (0.0, my + 6.5 * ul),
        (0.22 * mw, my + 8.0 * ul),
        (0.6 * mw, my + 4.5 * ul),
        (mw, my),
        (0.6 * mw, my - 6.0 * ll),
        (0.25 * mw, my - 8.5 * ll),
        (0.0, my - 9.0 * ll),
        (-0.25 * mw, my - 8.5 * ll),
        (-0.6 * mw, my - 6.0 * ll),
    ]
    inner = [
        (-0.82 * mw, my),
        (-0.4 * mw, my + 0.1),
        (0.0, my + 0.1),
        (0.4 * mw, my + 0.1),
        (0.82 * mw, my),
        (0.4 * mw, my - 0.1),
        (0.0, my - 0.1),
        (-0.4 * mw, my - 0.1),
    ]
    return outer + inner


def _jaw(idt: RbfIdentity) -> list[tuple[float, float]]:
    start, end = idt.eye_y - 12.0, idt.chin_y + 3.0
    ys = start + (end - start) * (np.arange(7) / 7.0) ** 0.9
    half = 0.94 * crop_half_width(idt, ys)
    right = [(-float(x), float(y)) for x, y in zip(half, ys, strict=True)]
    left = [(-x, y) for x, y in reversed(right)]
    return [*right, (0.0, end), *left]


def rbf_landmarks(idt: RbfIdentity) -> np.ndarray:
    """``(83, 2)`` landmark positions ``(x, y)`` on the neutral ``rbf`` face."""
    points = (
        _eye(idt, -1.0)
        + _eye(idt, 1.0)
        + _brow(idt, -1.0)
        + _brow(idt, 1.0)
        + _nose(idt)
        + _mouth(idt)
        + _jaw(idt)
    )
    out = np.asarray(points, dtype=np.float64)
    assert out.shape == (N_LANDMARKS, 2)
    return out

"""The UV texture of an identity: skin tone, cheeks, darker brows, eyes, red lips, nostrils."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from affectvlm.synth.face import uv_extent
from affectvlm.synth.identity import Identity
from affectvlm.synth.landmarks import template_landmarks
from affectvlm.synth.shape import gaussian


def _mix(image: np.ndarray, color: np.ndarray, weight: np.ndarray) -> None:
    w = np.clip(weight, 0.0, 1.0)[..., None]
    image *= 1.0 - w
    image += w * color


def _brows(idt: Identity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    marks = template_landmarks(idt)
    weight = np.zeros_like(x)
    for group in (slice(16, 26), slice(26, 36)):
        pts = marks[group]
        upper, lower = pts[:5], pts[5:][::-1]  # both inner → outer
        centre = 0.5 * (upper + lower)
        xs_sorted = np.argsort(centre[:, 0])
        cx, cy = centre[xs_sorted, 0], centre[xs_sorted, 1]
        on_span = (x >= cx[0] - 2.0) & (x <= cx[-1] + 2.0)
        line_y = np.interp(x, cx, cy)
        thick = np.interp(np.abs(x), np.abs(cx)[np.argsort(np.abs(cx))], [3.2, 3.0, 2.7, 2.2, 1.6])
        band = np.exp(-0.5 * ((y - line_y) / thick) ** 4)
        weight = np.maximum(weight, band * on_span)
    return weight


def _lips(idt: Identity, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mw, my, lip = idt.mouth_half_width, idt.mouth_y, idt.lip
    across = np.clip(1.0 - (x / mw) ** 2, 0.0, None)
    upper_edge = my + (6.0 + 1.0 * np.cos(x / mw * 3.0 * np.pi)) * lip * np.sqrt(across)
    lower_edge = my - 8.5 * lip * np.sqrt(across)
    lips = (y <= upper_edge + 0.4) & (y >= lower_edge - 0.4) & (across > 0.0)
    soft = lips * np.clip(np.minimum(upper_edge - y, y - lower_edge) / 0.8 + 0.5, 0.0, 1.0)
    seam = np.exp(-0.5 * ((y - my) / 0.7) ** 2) * across**0.3
    return soft, seam


def _eyes(idt: Identity, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    white = np.zeros_like(x)
    iris = np.zeros_like(x)
    for side in (-1.0, 1.0):
        cx = side * idt.eye_half_sep
        opening = ((x - cx) / 13.0) ** 2 + ((y - idt.eye_y) / 4.5) ** 2
        white = np.maximum(white, np.clip((1.0 - opening) * 4.0, 0.0, 1.0))
        iris = np.maximum(iris, gaussian(x, y, cx, idt.eye_y, 3.2, 3.2) ** 2 * (opening < 1.0))
    return white, iris


@lru_cache(maxsize=16)
def _texture_cached(identity: Identity, size: int) -> np.ndarray:
    xmin, xmax, ymin, ymax = uv_extent(identity)
    u = (np.arange(size) + 0.5) / size
    v = 1.0 - (np.arange(size) + 0.5) / size  # image row 0 is the top (v = 1)
    x, y = np.meshgrid(xmin + u * (xmax - xmin), ymin + v * (ymax - ymin))
    rng = np.random.default_rng(identity.texture_seed)
    skin = np.asarray(identity.skin)
    image = np.broadcast_to(skin, (size, size, 3)).copy()
    image *= 1.0 + rng.normal(0.0, 0.025, (size, size, 1))  # pores / blotches
    shade = 1.0 - 0.06 * np.clip((np.abs(x) / identity.half_width) ** 2, 0.0, 1.0)
    image *= shade[..., None]
    es, my = identity.eye_half_sep, identity.mouth_y
    blush = gaussian(x, y, es + 4.0, my + 26.0, 14.0, 10.0)
    blush += gaussian(x, y, -(es + 4.0), my + 26.0, 14.0, 10.0)
    _mix(image, skin * np.array([1.08, 0.86, 0.86]), 0.35 * blush)
    _mix(image, skin * identity.brow_tone, 0.9 * _brows(identity, x, y))
    lips, seam = _lips(identity, x, y)
    _mix(image, np.asarray(identity.lip_color), 0.9 * lips)
    _mix(image, np.array([0.18, 0.05, 0.06]), 0.9 * seam)
    white, iris = _eyes(identity, x, y)
    _mix(image, np.array([0.92, 0.90, 0.88]), white)
    _mix(image, np.array([0.25, 0.17, 0.12]) * rng.uniform(0.5, 1.4), iris)
    for side in (-1.0, 1.0):
        _mix(image, skin * 0.25, gaussian(x, y, side * 6.0, -8.0, 2.5, 1.6))  # nostril
        pupil = gaussian(x, y, side * es, identity.eye_y, 1.3, 1.3)
        _mix(image, np.zeros(3), pupil)
    out = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def face_texture(identity: Identity, size: int = 256) -> np.ndarray:
    """``(size, size, 3) uint8`` texture for the UV layout of :func:`build_face_model`."""
    if size < 16:
        raise ValueError(f"texture size must be >= 16, got {size}")
    return _texture_cached(identity, size)

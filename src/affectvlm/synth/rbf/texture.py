"""The ``rbf`` family's skin: reflectance from melanin and haemoglobin (Beer–Lambert style
absorption per channel), blotchy perfusion, freckles, moles, stubble, and hair-streaked brows.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from affectvlm.synth.rbf.identity import RbfIdentity
from affectvlm.synth.rbf.landmarks import rbf_landmarks
from affectvlm.synth.rbf.mesh import rbf_uv_extent
from affectvlm.synth.rbf.shape import bump

_MELANIN_ABSORPTION = np.array([1.1, 1.9, 2.9])
_BLOOD_ABSORPTION = np.array([0.15, 1.1, 0.8])


def skin_colour(melanin: float, haemoglobin: float) -> np.ndarray:
    """Linear RGB reflectance in ``[0, 1]`` of skin with these pigment amounts."""
    return 0.93 * np.exp(-(melanin * _MELANIN_ABSORPTION + 0.35 * haemoglobin * _BLOOD_ABSORPTION))


def _spots(rng: np.random.Generator, x, y, count: int, region, radius: tuple[float, float]):
    """Sum of ``count`` soft round spots placed uniformly in the box ``region``."""
    x0, x1, y0, y1 = region
    out = np.zeros_like(x)
    for _ in range(count):
        cx, cy, r = rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(*radius)
        out = np.maximum(out, bump(x, y, cx, cy, r, r))
    return out


def _brows(idt: RbfIdentity, x, y, rng: np.random.Generator) -> np.ndarray:
    marks = rbf_landmarks(idt)
    weight = np.zeros_like(x)
    streaks = 0.75 + 0.25 * np.sin(x * rng.uniform(2.5, 3.5) + y * 1.3)  # hair direction
    for group in (slice(16, 26), slice(26, 36)):
        pts = marks[group]
        centre = 0.5 * (pts[:5] + pts[5:][::-1])
        order = np.argsort(centre[:, 0])
        cx, cy = centre[order, 0], centre[order, 1]
        half = 0.5 * (pts[:5, 1] - pts[5:][::-1, 1])[order]
        span = (x >= cx[0] - 1.0) & (x <= cx[-1] + 1.0)
        line, thick = np.interp(x, cx, cy), np.interp(x, cx, half)
        weight = np.maximum(weight, span * np.clip(1.2 - np.abs(y - line) / thick, 0.0, 1.0))
    return np.clip(weight, 0.0, 1.0) * streaks


def _mix(image: np.ndarray, colour: np.ndarray, weight: np.ndarray) -> None:
    w = np.clip(weight, 0.0, 1.0)[..., None]
    image *= 1.0 - w
    image += w * colour


@lru_cache(maxsize=16)
def _texture_cached(idt: RbfIdentity, size: int) -> np.ndarray:
    xmin, xmax, ymin, ymax = rbf_uv_extent(idt)
    u = (np.arange(size) + 0.5) / size
    v = 1.0 - (np.arange(size) + 0.5) / size  # row 0 is the top (v = 1)
    x, y = np.meshgrid(xmin + u * (xmax - xmin), ymin + v * (ymax - ymin))
    rng = np.random.default_rng(idt.texture_seed)
    es, ey, my, mw = idt.eye_half_sep, idt.eye_y, idt.mouth_y, idt.mouth_half_width
    phases = rng.uniform(0.0, 2.0 * np.pi, 4)
    scales = (9.0, 14.0, 23.0, 31.0)  # mm: perfusion blotches from small to broad
    blotch = sum(np.sin(x / s + p) * np.cos(y / s - p) for s, p in zip(scales, phases, strict=True))
    blood = idt.haemoglobin * (1.0 + 0.12 * blotch)
    for side in (-1.0, 1.0):
        blood = blood + 0.5 * bump(x, y, side * (es + 6.0), ey - 24.0, 22.0, 16.0)  # cheeks
    blood = blood + 0.3 * bump(x, y, 0.0, 2.0, 10.0, 12.0)  # nose
    melanin = idt.melanin * (1.0 + 0.04 * rng.normal(0.0, 1.0, (size, size)))
    image = 0.93 * np.exp(
        -(melanin[..., None] * _MELANIN_ABSORPTION + 0.35 * blood[..., None] * _BLOOD_ABSORPTION)
    )
    skin = skin_colour(idt.melanin, idt.haemoglobin)
    freckle_count = int(idt.freckles * 120)
    freckles = _spots(rng, x, y, freckle_count, (-60, 60, -20, 45), (0.6, 1.4))
    _mix(image, skin * np.array([0.7, 0.55, 0.45]), 0.7 * freckles)
    moles = _spots(rng, x, y, idt.moles, (-65, 65, -65, 80), (0.8, 1.8))
    _mix(image, skin * 0.35, moles)
    if idt.stubble > 0.0:
        jaw = np.clip((my + 14.0 - y) / 12.0, 0.0, 1.0) + bump(x, y, 0.0, my + 9.0, mw, 6.0)
        grain = rng.random((size, size)) < 0.5
        _mix(image, skin * np.array([0.45, 0.45, 0.5]), 0.5 * idt.stubble * jaw * grain)
    _mix(image, skin * 0.3, 0.85 * _brows(idt, x, y, rng))
    lips = bump(x, y, 0.0, my + 3.5 * idt.upper_lip, 1.25 * mw, 7.0 * idt.upper_lip)
    lips = np.maximum(lips, bump(x, y, 0.0, my - 4.0 * idt.lower_lip, 1.15 * mw, 8.0))
    lip_colour = skin_colour(0.8 * idt.melanin, 2.2) * np.array([1.1, 0.8, 0.85])
    _mix(image, np.clip(lip_colour, 0.0, 1.0), np.clip(2.0 * lips, 0.0, 1.0))
    iris_colour = np.array([0.35, 0.22, 0.12]) * (1.4 - idt.melanin) + 0.05
    for side in (-1.0, 1.0):
        cx = side * es
        almond = ((x - cx) / idt.eye_len) ** 2 + ((y - ey) / idt.eye_open) ** 2
        _mix(image, np.array([0.9, 0.88, 0.85]), np.clip((1.0 - almond) * 5.0, 0.0, 1.0))
        _mix(image, iris_colour, bump(x, y, cx, ey, 4.5, 4.5) * (almond < 1.0))
        _mix(image, np.zeros(3), bump(x, y, cx, ey, 1.8, 1.8))
        _mix(image, skin * 0.2, bump(x, y, side * 5.5, -7.5, 3.2, 2.0))  # nostril
    out = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def rbf_texture(identity: RbfIdentity, size: int = 256) -> np.ndarray:
    """``(size, size, 3) uint8`` texture for the UV layout of :func:`build_rbf_model`."""
    if size < 16:
        raise ValueError(f"texture size must be >= 16, got {size}")
    return _texture_cached(identity, size)

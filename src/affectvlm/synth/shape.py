"""The neutral face of an identity as a smooth height field ``z(x, y)`` inside a face outline.

A deformed ellipsoid gives the overall curvature; anisotropic Gaussians add the nose, eye
sockets and eyeballs, brow ridge, cheeks, lips and chin. All in mm, ``y = 0`` at the nose tip.
"""

from __future__ import annotations

import numpy as np

from affectvlm.synth.identity import Identity


def gaussian(
    x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float
) -> np.ndarray:
    """Unit-height anisotropic Gaussian bump centred at ``(cx, cy)``."""
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def nasion_y(idt: Identity) -> float:
    return idt.eye_y + 3.0


def brow_y(idt: Identity) -> float:
    return idt.eye_y + idt.brow_gap


def outline_half_width(idt: Identity, y: np.ndarray) -> np.ndarray:
    """Half-width of the face outline at height ``y`` (0 outside the face's vertical span)."""
    centre = 0.5 * (idt.top_y + idt.chin_y)
    half = 0.5 * (idt.top_y - idt.chin_y)
    v = np.clip((np.asarray(y, dtype=np.float64) - centre) / half, -1.0, 1.0)
    upper = (1.0 - np.abs(v) ** 2.2) ** (1.0 / 2.2)
    k = 1.7 + 1.3 * idt.jaw
    lower = (1.0 - np.abs(v) ** k) ** (1.0 / k)
    return idt.half_width * np.where(v >= 0.0, upper, lower)


def _nose(idt: Identity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    top = nasion_y(idt)
    t = np.clip((top - y) / top, 0.0, None)
    fade = np.exp(-0.5 * (np.clip(y - top, 0.0, None) / 7.0) ** 2)
    above = idt.nose_length * (0.22 + 0.78 * np.clip(t, 0.0, 1.0) ** 1.6) * fade
    below = idt.nose_length * np.exp(-0.5 * (y / 4.5) ** 2)
    height = np.where(y >= 0.0, above, below)
    width = 4.0 + 5.5 * np.clip(t, 0.0, 1.0)
    return height * np.exp(-0.5 * (x / width) ** 2)


def neutral_height(idt: Identity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth ``z`` (mm, +z towards the viewer) of the neutral face at ``(x, y)``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ax = 1.18 * idt.half_width
    z = -95.0 * idt.depth * (1.0 - np.sqrt(np.clip(1.0 - (x / ax) ** 2, 0.0, None)))
    z -= 0.0035 * np.clip(y - 25.0, 0.0, None) ** 2  # forehead slopes back
    z -= 0.006 * np.clip(-40.0 - y, 0.0, None) ** 2  # chin underside slopes back
    es, ey, by, my = idt.eye_half_sep, idt.eye_y, brow_y(idt), idt.mouth_y
    mw, lip = idt.mouth_half_width, idt.lip
    z += 10.0 * gaussian(x, y, 0.0, my + 6.0, 28.0, 22.0)  # muzzle
    z += _nose(idt, x, y)
    for side in (-1.0, 1.0):
        z -= 9.0 * gaussian(x, y, side * es, ey, 13.0, 9.0)  # eye socket
        z += 4.5 * gaussian(x, y, side * es, ey, 7.0, 4.5)  # eyeball
        z += 4.0 * gaussian(x, y, side * (es + 2.0), by - 2.0, 18.0, 5.0)  # brow ridge
        z += 6.0 * gaussian(x, y, side * idt.nose_half_width * 0.75, -5.0, 5.0, 4.5)  # ala
        z += 7.0 * idt.cheek * gaussian(x, y, side * (es + 3.0), my + 28.0, 16.0, 14.0)
    z += 3.0 * gaussian(x, y, 0.0, by - 6.0, 10.0, 8.0)  # glabella
    z += 3.5 * lip * gaussian(x, y, 0.0, my + 3.5 * lip, 0.75 * mw, 2.8 * lip)  # upper lip
    z += 4.0 * lip * gaussian(x, y, 0.0, my - 4.5 * lip, 0.7 * mw, 3.2 * lip)  # lower lip
    z -= 1.2 * gaussian(x, y, 0.0, my, 0.9 * mw, 0.9)  # lip line
    z -= 2.0 * gaussian(x, y, 0.0, my - 13.0, 14.0, 3.0)  # mentolabial sulcus
    z += 5.0 * gaussian(x, y, 0.0, idt.chin_y + 14.0, 14.0, 9.0)  # chin
    return z

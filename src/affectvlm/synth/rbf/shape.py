"""The ``rbf`` family's neutral face: a superelliptic skull cap, compactly supported (Wendland)
features, and the person's radial-basis and Legendre shape fields; cropped by a sphere around
the nose tip and a jaw curve (the way FRGC-style pipelines crop a scan).

All in mm, ``y = 0`` at the nose tip, ``+z`` towards the viewer.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import legendre

from affectvlm.synth.rbf.identity import HARMONIC_ORDERS, RbfIdentity


def wendland(d: np.ndarray) -> np.ndarray:
    """Wendland's C² kernel ``(1 - d)⁴ (4d + 1)`` on ``d < 1``, 0 beyond (1 at ``d = 0``)."""
    d = np.clip(np.abs(d), 0.0, 1.0)
    return (1.0 - d) ** 4 * (4.0 * d + 1.0)


def bump(x: np.ndarray, y: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """Unit-height elliptic Wendland bump of radii ``(rx, ry)`` centred at ``(cx, cy)``."""
    return wendland(np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2))


def nasion_y(idt: RbfIdentity) -> float:
    return idt.eye_y + 1.0


def brow_y(idt: RbfIdentity) -> float:
    return idt.eye_y + idt.brow_rise


def skull_height(idt: RbfIdentity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cap the skin slides over: ``|x/A|^2.4 + (y/B)²`` superellipsoid, narrower below."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    below = np.clip((idt.mouth_y + 10.0 - y) / 50.0, 0.0, 1.0)
    half = idt.head_width * (1.0 - 0.22 * idt.taper * below * below * (3.0 - 2.0 * below))
    b = np.where(y >= 0.0, 120.0, 140.0)
    r = np.abs(x / half) ** 2.4 + (y / b) ** 2
    return -idt.head_depth * (1.0 - np.sqrt(np.clip(1.0 - r, 0.0, None)))


def _nose(idt: RbfIdentity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    top = nasion_y(idt)
    t = np.clip(1.0 - y / top, 0.0, 1.0)  # 1 at the tip, 0 at the nasion
    tip_width = 0.7 * idt.nose_half_width
    width = idt.nose_bridge + (tip_width - idt.nose_bridge) * t
    ridge = idt.nose_length * (0.2 + 0.8 * t**1.5) + idt.nose_hump * wendland((t - 0.55) / 0.3)
    ridge = ridge * np.where(y > top, wendland((y - top) / 10.0), 1.0)
    below = idt.nose_length * wendland(-y / 9.0)
    height = np.where(y >= 0.0, ridge, below)
    return height * wendland(np.abs(x) / (2.6 * np.where(y >= 0.0, width, tip_width)))


def identity_field(idt: RbfIdentity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The person's own shape: radial-basis bumps plus low-order Legendre products."""
    z = np.zeros(np.broadcast(x, y).shape)
    for cx, cy, radius, amplitude, mirrored in idt.bumps:
        z += amplitude * bump(x, y, cx, cy, radius, radius)
        if mirrored:
            z += amplitude * bump(x, y, -cx, cy, radius, radius)
    u = np.clip(np.asarray(x) / 80.0, -1.2, 1.2)
    v = np.clip(np.asarray(y) / 90.0, -1.2, 1.2)
    for (i, j), c in zip(HARMONIC_ORDERS, idt.harmonics, strict=True):
        z += c * legendre.legval(u, [0] * i + [1]) * legendre.legval(v, [0] * j + [1])
    return z


def neutral_height(idt: RbfIdentity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth ``z`` (mm) of the neutral ``rbf`` face at ``(x, y)``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    es, ey, by, my = idt.eye_half_sep, idt.eye_y, brow_y(idt), idt.mouth_y
    mw, ul, ll = idt.mouth_half_width, idt.upper_lip, idt.lower_lip
    z = skull_height(idt, x, y) + identity_field(idt, x, y)
    z += 9.0 * bump(x, y, 0.0, my + 8.0, 36.0, 30.0)  # muzzle
    z += _nose(idt, x, y)
    fold = 1.5 * (idt.age - 18) / 40.0
    for side in (-1.0, 1.0):
        z += 0.35 * idt.nose_length * bump(x, y, side * 0.65 * idt.nose_half_width, -4.0, 7.0, 6.0)
        z -= idt.socket_depth * bump(x, y, side * es, ey + 1.0, 1.5 * idt.eye_len + 4.0, 11.0)
        z += (
            0.5
            * idt.socket_depth
            * bump(x, y, side * es, ey, 1.05 * idt.eye_len, 2.2 * idt.eye_open)
        )
        z += idt.brow_ridge * bump(x, y, side * (es + 2.0), by - 2.0, 24.0, 9.0)
        z += idt.cheekbone * bump(x, y, side * (es + 12.0), ey - 20.0, 24.0, 18.0)
        z -= fold * bump(x, y, side * (idt.nose_half_width + 5.0), my + 12.0, 5.0, 14.0)
    z += 2.5 * bump(x, y, 0.0, by - 6.0, 12.0, 10.0)  # glabella
    z += 3.5 * ul * bump(x, y, 0.0, my + 3.5 * ul, 1.3 * mw, 5.5 * ul)  # upper lip
    z += 4.2 * ll * bump(x, y, 0.0, my - 4.5 * ll, 1.2 * mw, 6.5 * ll)  # lower lip
    z -= 1.5 * bump(x, y, 0.0, my, 1.2 * mw, 1.6)  # lip line
    z -= 2.2 * bump(x, y, 0.0, my - 14.0, 18.0, 5.0)  # mentolabial sulcus
    z += idt.chin_protrusion * bump(x, y, 0.0, idt.chin_y + 13.0, 20.0, 14.0)
    return z


def tip_z(idt: RbfIdentity) -> float:
    return float(neutral_height(idt, np.zeros(1), np.zeros(1))[0])


def jaw_line_y(idt: RbfIdentity, x: np.ndarray) -> np.ndarray:
    """Lower edge of the crop: a U through the chin, steeper for a tapered face."""
    return idt.chin_y + 58.0 * (np.abs(x) / idt.head_width) ** (2.2 + 1.5 * idt.taper)


def inside_crop(idt: RbfIdentity, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Points kept by the crop: within ``crop_radius`` of the nose tip, above the jaw line."""
    near = x**2 + y**2 + (z - tip_z(idt)) ** 2 < idt.crop_radius**2
    return near & (y >= jaw_line_y(idt, x))


def crop_half_width(idt: RbfIdentity, y: np.ndarray) -> np.ndarray:
    """Half-width (mm) of the cropped neutral face at each height ``y`` (0 where none)."""
    xs = np.linspace(0.0, idt.crop_radius, 400)
    gx, gy = np.meshgrid(xs, np.asarray(y, dtype=np.float64))
    inside = inside_crop(idt, gx, gy, neutral_height(idt, gx, gy))
    run = np.cumprod(inside, axis=1).astype(bool)  # the run that starts at x = 0
    return np.where(run.any(axis=1), xs[np.maximum(run.sum(axis=1) - 1, 0)], 0.0)

"""People of the ``rbf`` face family: proportions from a latent-factor model, an identity shape
field of random radial-basis bumps plus low-order Legendre fields, a melanin/haemoglobin skin
model, and a per-person style of every expression (muscle weights and left/right asymmetry).

Independent of the ``base`` family's :class:`~affectvlm.synth.identity.Identity`: other
parameters, other distributions; only the demographic fields and :meth:`gain` are shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from affectvlm import BASIC_EMOTIONS
from affectvlm.synth.identity import ETHNICITY_CODES, as_generator

STYLE_SLOTS = 8
"""Muscle weights kept per emotion (an emotion of the family uses at most this many)."""

HARMONIC_ORDERS: tuple[tuple[int, int], ...] = tuple(
    (i, j) for i in range(4) for j in range(4) if 1 <= i + j <= 4
)
"""``(i, j)`` of the Legendre products ``P_i(x) P_j(y)`` in the identity shape field."""

N_BUMPS = 18
MAX_MUSCLE_GAIN = 1.6
"""Largest gain × style weight of any muscle (stronger contractions fold the skin)."""

# Melanin range per group (skin colour is computed from melanin and haemoglobin).
_MELANIN: dict[str, tuple[float, float]] = {
    "WH": (0.04, 0.20),
    "AE": (0.10, 0.30),
    "LA": (0.20, 0.45),
    "AM": (0.25, 0.50),
    "IN": (0.35, 0.65),
    "BL": (0.55, 0.90),
}

_GROUP_SHARES = np.array([0.3, 0.15, 0.2, 0.1, 0.15, 0.1])
"""Share of each :data:`ETHNICITY_CODES` group among ``rbf`` people."""

# name: (female mean, male mean, sd, loadings on the latent factors size, length, width)
_PROPORTIONS: dict[str, tuple[float, float, float, tuple[float, float, float]]] = {
    "crop_radius": (88.0, 93.0, 3.5, (0.7, 0.3, 0.0)),
    "head_width": (78.0, 83.0, 4.0, (0.5, 0.0, 0.6)),
    "head_depth": (78.0, 82.0, 7.0, (0.2, 0.0, -0.3)),
    "chin_y": (-72.0, -78.0, 3.5, (-0.5, -0.6, 0.0)),
    "eye_half_sep": (32.5, 33.5, 1.6, (0.3, 0.0, 0.6)),
    "eye_y": (31.0, 32.0, 2.0, (0.4, 0.4, 0.0)),
    "eye_len": (13.0, 13.5, 1.0, (0.3, 0.0, 0.3)),
    "eye_open": (4.6, 4.1, 0.5, (0.0, 0.0, 0.0)),
    "canthal_tilt": (1.2, 0.8, 1.0, (0.0, 0.0, 0.0)),
    "brow_rise": (17.0, 15.0, 1.8, (0.2, 0.4, 0.0)),
    "brow_arch": (2.6, 1.5, 0.8, (0.0, 0.0, 0.0)),
    "nose_length": (17.0, 20.0, 2.0, (0.4, 0.4, 0.0)),
    "nose_bridge": (5.0, 6.0, 0.8, (0.2, 0.0, 0.4)),
    "nose_half_width": (15.5, 17.0, 1.3, (0.2, 0.0, 0.6)),
    "nose_hump": (0.0, 0.5, 1.0, (0.0, 0.0, 0.0)),
    "mouth_y": (-28.0, -30.0, 2.2, (-0.3, -0.6, 0.0)),
    "mouth_half_width": (24.0, 25.5, 1.6, (0.3, 0.0, 0.5)),
    "upper_lip": (1.0, 0.85, 0.15, (0.0, 0.0, 0.0)),
    "lower_lip": (1.15, 1.0, 0.15, (0.0, 0.0, 0.0)),
    "chin_protrusion": (4.0, 6.0, 1.5, (0.3, 0.0, 0.0)),
    "cheekbone": (3.0, 4.0, 1.2, (0.0, 0.0, 0.4)),
    "brow_ridge": (2.0, 4.0, 1.0, (0.3, 0.0, 0.0)),
    "socket_depth": (7.0, 8.0, 1.2, (0.0, 0.0, 0.0)),
}


@dataclass(frozen=True)
class RbfIdentity:
    """One person of the ``rbf`` family. Lengths in mm, ``y = 0`` at the nose tip, face along +z.

    ``bumps`` rows are ``(cx, cy, radius, amplitude, mirrored)``; ``harmonics`` are the
    coefficients (mm) of :data:`HARMONIC_ORDERS`; ``style[e][k]`` weighs muscle ``k`` of basic
    emotion ``e`` and ``asymmetry[e][k]`` shifts it to the left (+) or right (−) side.
    """

    family: ClassVar[str] = "rbf"
    subject: str
    sex: str
    ethnicity: str
    age: int
    crop_radius: float
    head_width: float
    head_depth: float
    taper: float
    chin_y: float
    eye_half_sep: float
    eye_y: float
    eye_len: float
    eye_open: float
    canthal_tilt: float
    brow_rise: float
    brow_arch: float
    nose_length: float
    nose_bridge: float
    nose_half_width: float
    nose_hump: float
    mouth_y: float
    mouth_half_width: float
    upper_lip: float
    lower_lip: float
    chin_protrusion: float
    cheekbone: float
    brow_ridge: float
    socket_depth: float
    bumps: tuple[tuple[float, float, float, float, float], ...]
    harmonics: tuple[float, ...]
    melanin: float
    haemoglobin: float
    freckles: float
    moles: int
    stubble: float
    style: tuple[tuple[float, ...], ...]
    asymmetry: tuple[tuple[float, ...], ...]
    expressivity: tuple[float, ...]
    mesh_seed: int
    texture_seed: int

    def gain(self, emotion: str) -> float:
        """Per-person expression gain (1.0 for expressions that are not basic emotions)."""
        if emotion in BASIC_EMOTIONS:
            return self.expressivity[BASIC_EMOTIONS.index(emotion)]
        return 1.0

    def muscle_weights(self, emotion: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``(weights, asymmetry)`` per muscle slot of ``emotion`` (1 and 0 for extras)."""
        if emotion in BASIC_EMOTIONS:
            e = BASIC_EMOTIONS.index(emotion)
            return self.style[e], self.asymmetry[e]
        return (1.0,) * STYLE_SLOTS, (0.0,) * STYLE_SLOTS


def _proportions(rng: np.random.Generator, male: bool) -> dict[str, float]:
    factors = rng.normal(0.0, 1.0, 3)
    out = {}
    for name, (f_mean, m_mean, sd, loading) in _PROPORTIONS.items():
        load = np.asarray(loading)
        own = np.sqrt(max(1.0 - float(load @ load), 0.0))
        z = float(np.clip(load @ factors + own * rng.normal(), -2.5, 2.5))
        out[name] = (m_mean if male else f_mean) + sd * z
    return out


def _bumps(rng: np.random.Generator) -> tuple[tuple[float, float, float, float, float], ...]:
    cx = rng.uniform(0.0, 55.0, N_BUMPS)
    cy = rng.uniform(-70.0, 75.0, N_BUMPS)
    radius = rng.uniform(20.0, 40.0, N_BUMPS)
    amplitude = rng.normal(0.0, 1.4, N_BUMPS)
    mirrored = (rng.random(N_BUMPS) < 0.75).astype(float)
    cx = np.where(mirrored > 0, cx, cx * rng.choice([-1.0, 1.0], N_BUMPS))
    rows = np.stack([cx, cy, radius, amplitude, mirrored], axis=1)
    return tuple(tuple(float(v) for v in row) for row in rows)


def _harmonics(rng: np.random.Generator) -> tuple[float, ...]:
    out = []
    for i, j in HARMONIC_ORDERS:
        sd = (3.0 if i % 2 == 0 else 0.6) / (i + j)  # odd in x: asymmetric, kept small
        out.append(float(rng.normal(0.0, sd)))
    return tuple(out)


def _style(
    rng: np.random.Generator, gains: np.ndarray
) -> tuple[tuple[tuple[float, ...], ...], ...]:
    """Muscle weights (scaled so no muscle exceeds :data:`MAX_MUSCLE_GAIN` with the person's
    gain) and left/right shifts, per basic emotion."""
    n = len(BASIC_EMOTIONS)
    weights = np.clip(rng.lognormal(0.0, 0.3, (n, STYLE_SLOTS)), 0.6, 1.6)
    weights[:, 0] = np.maximum(weights[:, 0], 0.85)  # an emotion's defining muscle stays strong
    weights *= np.minimum(1.0, MAX_MUSCLE_GAIN / (weights.max(axis=1) * gains))[:, None]
    side = rng.normal(0.0, 0.08)  # a person's habitual stronger side
    asym = np.clip(side + rng.normal(0.0, 0.12, (n, STYLE_SLOTS)), -0.4, 0.4)
    as_tuple = lambda a: tuple(tuple(float(v) for v in row) for row in a)  # noqa: E731
    return as_tuple(weights), as_tuple(asym)


def make_rbf_identity(
    seed: int | np.random.Generator, sex: str | None = None, *, subject: str = ""
) -> RbfIdentity:
    """Draw one ``rbf`` person; ``sex`` is drawn too unless given."""
    rng = as_generator(seed)
    if sex is None:
        sex = "M" if rng.random() < 0.5 else "F"
    if sex not in ("F", "M"):
        raise ValueError(f"sex must be 'F' or 'M', got {sex!r}")
    male = sex == "M"
    ethnicity = ETHNICITY_CODES[int(rng.choice(len(ETHNICITY_CODES), p=_GROUP_SHARES))]
    age = int(rng.integers(18, 66))
    shape = _proportions(rng, male)
    bumps, harmonics = _bumps(rng), _harmonics(rng)
    low, high = _MELANIN[ethnicity]
    gains = np.clip(rng.lognormal(0.0, 0.2, len(BASIC_EMOTIONS)), 0.7, 1.4)
    style, asymmetry = _style(rng, gains)
    return RbfIdentity(
        subject=subject,
        sex=sex,
        ethnicity=ethnicity,
        age=age,
        taper=float(rng.beta(2.0, 2.0)),
        **shape,
        bumps=bumps,
        harmonics=harmonics,
        melanin=float(rng.uniform(low, high)),
        haemoglobin=float(rng.uniform(0.3, 0.8)),
        freckles=float(rng.gamma(1.0, 0.4) if ethnicity in ("WH", "AE") else rng.gamma(1.0, 0.1)),
        moles=int(rng.poisson(2.0)),
        stubble=float(rng.uniform(0.0, 1.0) if male else 0.0),
        style=style,
        asymmetry=asymmetry,
        expressivity=tuple(float(g) for g in gains),
        mesh_seed=int(rng.integers(2**31)),
        texture_seed=int(rng.integers(2**31)),
    )

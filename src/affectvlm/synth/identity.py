"""Synthetic identities: face shape, skin tone and expressiveness, with sex-dependent ranges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from affectvlm import BASIC_EMOTIONS

STYLE_SLOTS = 10
"""Action weights kept per emotion (the most actions of an emotion, plus its jaw drop)."""
PROPORTION_SPREAD = 1.6
"""Scale of the spread of every facial proportion around its mean (a wide range of faces)."""
STYLE_SPREAD = 0.3
"""Log-normal spread of a person's weight on each action: people smile (frown, …) differently."""
MAX_ACTION_GAIN = 1.5
"""Largest expressivity × style weight of any action (stronger pushes fold the mesh)."""

ETHNICITY_CODES: tuple[str, ...] = ("WH", "BL", "AE", "AM", "LA", "IN")
"""BU-3DFE ``RR`` codes, used as opaque group labels for every synthetic dataset."""

# Mean skin albedo (linear-ish RGB in [0, 1]) per group; each subject jitters around it.
_SKIN_TONES: dict[str, tuple[float, float, float]] = {
    "WH": (0.86, 0.70, 0.60),
    "BL": (0.42, 0.29, 0.22),
    "AE": (0.86, 0.72, 0.58),
    "AM": (0.76, 0.58, 0.46),
    "LA": (0.74, 0.56, 0.44),
    "IN": (0.62, 0.45, 0.34),
}


class FaceIdentity(Protocol):
    """What the generator needs of a person of any face family (see :mod:`.family`)."""

    family: ClassVar[str]  # name of the face family that made (and can mesh) this person
    subject: str
    sex: str
    ethnicity: str
    age: int
    texture_seed: int

    def gain(self, emotion: str) -> float: ...


@dataclass(frozen=True)
class Identity:
    """One person of the ``base`` face family. Lengths in mm; ``y`` up, the face looks along ``+z``.

    Vertical positions are measured from the nose tip (``y = 0``). ``expressivity`` holds one
    gain per basic emotion (order of ``affectvlm.BASIC_EMOTIONS``): how strongly this person
    shows it. ``style[e][k]`` weighs action ``k`` of basic emotion ``e`` (the jaw drop is the
    slot after its actions) and ``asymmetry[e][k]`` shifts it to the left (+) or right (−).
    """

    family: ClassVar[str] = "base"
    subject: str
    sex: str  # "F" or "M"
    ethnicity: str
    age: int
    half_width: float
    top_y: float  # forehead edge of the cropped scan
    chin_y: float
    jaw: float  # 0 = narrow, pointed jaw line; 1 = square
    eye_half_sep: float
    eye_y: float
    brow_gap: float  # brow height above the eye centres
    nose_length: float  # protrusion of the tip
    nose_half_width: float
    mouth_y: float
    mouth_half_width: float
    lip: float  # lip thickness scale
    cheek: float  # cheek fullness scale
    depth: float  # face curvature scale
    skin: tuple[float, float, float]
    lip_color: tuple[float, float, float]
    brow_tone: float  # brow darkness (fraction of skin brightness kept)
    expressivity: tuple[float, ...]
    texture_seed: int
    style: tuple[tuple[float, ...], ...]
    asymmetry: tuple[tuple[float, ...], ...]

    def gain(self, emotion: str) -> float:
        """Per-person expression gain (1.0 for emotions without one)."""
        if emotion in BASIC_EMOTIONS:
            return self.expressivity[BASIC_EMOTIONS.index(emotion)]
        return 1.0

    def action_weights(self, emotion: str, slots: int) -> tuple[np.ndarray, np.ndarray]:
        """``(weights, asymmetry)`` of the first ``slots`` action slots of ``emotion`` (1 and 0
        for expressions that are not basic emotions)."""
        if emotion not in BASIC_EMOTIONS:
            return np.ones(slots), np.zeros(slots)
        if slots > STYLE_SLOTS:
            raise ValueError(f"{emotion}: {slots} action slots, a person has {STYLE_SLOTS}")
        e = BASIC_EMOTIONS.index(emotion)
        return np.asarray(self.style[e][:slots]), np.asarray(self.asymmetry[e][:slots])


def as_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """``seed`` itself if it is a Generator, else a new Generator seeded with it."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def make_base_identity(
    seed: int | np.random.Generator,
    sex: str | None = None,
    *,
    subject: str = "",
    ethnicity: str | None = None,
    age: int | None = None,
) -> Identity:
    """Draw one person; ``sex``/``ethnicity``/``age`` are drawn too unless given."""
    rng = as_generator(seed)
    if sex is None:
        sex = "F" if rng.random() < 0.5 else "M"
    if sex not in ("F", "M"):
        raise ValueError(f"sex must be 'F' or 'M', got {sex!r}")
    if ethnicity is None:
        ethnicity = ETHNICITY_CODES[int(rng.integers(len(ETHNICITY_CODES)))]
    if ethnicity not in _SKIN_TONES:
        raise ValueError(f"ethnicity must be one of {ETHNICITY_CODES}, got {ethnicity!r}")
    if age is None:
        age = int(np.clip(18 + rng.gamma(2.0, 7.0), 18, 70))
    male = sex == "M"

    def draw(female_mean: float, male_mean: float, sd: float) -> float:
        mean, sd = (male_mean if male else female_mean), sd * PROPORTION_SPREAD
        return float(np.clip(rng.normal(mean, sd), mean - 2.5 * sd, mean + 2.5 * sd))

    tone = np.asarray(_SKIN_TONES[ethnicity]) * rng.uniform(0.93, 1.07)
    tone = np.clip(tone + rng.normal(0.0, 0.015, 3), 0.05, 0.98)
    lip = np.clip(tone * np.array([1.0, 0.62, 0.62]) + np.array([0.12, 0.0, 0.02]), 0.05, 0.95)
    gains = np.clip(rng.lognormal(0.0, 0.25, len(BASIC_EMOTIONS)), 0.5, 1.6)
    return Identity(
        subject=subject,
        sex=sex,
        ethnicity=ethnicity,
        age=int(age),
        half_width=draw(67.0, 72.0, 2.5),
        top_y=draw(90.0, 95.0, 3.0),
        chin_y=draw(-74.0, -80.0, 3.0),
        jaw=float(np.clip(draw(0.35, 0.62, 0.12), 0.0, 1.0)),
        eye_half_sep=draw(31.0, 32.5, 1.2),
        eye_y=draw(29.0, 30.5, 1.5),
        brow_gap=draw(20.0, 17.5, 1.5),
        nose_length=draw(18.5, 21.5, 1.8),
        nose_half_width=draw(16.0, 17.5, 1.2),
        mouth_y=draw(-29.0, -31.0, 2.0),
        mouth_half_width=draw(23.5, 25.5, 1.3),
        lip=draw(1.12, 0.95, 0.12),
        cheek=float(rng.uniform(0.6, 1.4)),
        depth=float(rng.uniform(0.9, 1.1)),
        skin=(float(tone[0]), float(tone[1]), float(tone[2])),
        lip_color=(float(lip[0]), float(lip[1]), float(lip[2])),
        brow_tone=float(rng.uniform(0.35, 0.6) if not male else rng.uniform(0.25, 0.5)),
        expressivity=tuple(float(g) for g in gains),
        texture_seed=int(rng.integers(2**31)),
        **_expression_style(rng, gains),
    )


def _expression_style(
    rng: np.random.Generator, gains: np.ndarray
) -> dict[str, tuple[tuple[float, ...], ...]]:
    """Per-person weights and left/right shifts of every action of every basic emotion.

    An emotion's weights are scaled down where needed so that no action grows past
    :data:`MAX_ACTION_GAIN` times its table amplitude (stronger pushes fold the mesh).
    """
    shape = (len(BASIC_EMOTIONS), STYLE_SLOTS)
    weights = np.clip(rng.lognormal(0.0, STYLE_SPREAD, shape), 0.5, 1.7)
    weights[:, 0] = np.maximum(weights[:, 0], 0.85)  # an emotion's defining action stays strong
    peak = weights.max(axis=1) * gains
    weights *= np.minimum(1.0, MAX_ACTION_GAIN / peak)[:, None]
    asymmetry = np.clip(rng.normal(0.0, 0.08) + rng.normal(0.0, 0.15, shape), -0.4, 0.4)
    rows = lambda a: tuple(tuple(float(v) for v in row) for row in a)  # noqa: E731
    return {"style": rows(weights), "asymmetry": rows(asymmetry)}

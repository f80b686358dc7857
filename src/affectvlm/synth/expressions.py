"""The ``base`` family's expressions: smooth displacement fields of Gaussian pushes anchored
at facial landmarks.

Each emotion is a list of :class:`Action` (a Gaussian-weighted displacement, mirrored to both
sides) plus a jaw drop that opens the mouth along the lip line into a shallow cavity. Fields
are evaluated at the *neutral* positions, so landmarks (mesh vertices) move with the face.
Amplitudes are in mm at full intensity (level 4) for a person of gain 1; each person weighs
every action (and the jaw drop) with their own style and left/right asymmetry
(:meth:`Identity.action_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from affectvlm import EMOTIONS
from affectvlm.synth.face import FaceModel
from affectvlm.synth.identity import Identity
from affectvlm.synth.shape import brow_y, gaussian, nasion_y

EXTRA_EXPRESSIONS: tuple[str, ...] = ("embarrassment", "pain", "au12", "au22_25")
"""Non-emotion expressions for BP4D T4/T6 and Bosphorus action-unit scans."""

INTENSITY_LEVELS = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
INTENSITY_AMOUNTS = np.array([0.0, 0.3, 0.55, 0.8, 1.0])


@dataclass(frozen=True)
class Action:
    """Displacement ``(dx, dy, dz)`` weighted by a Gaussian at ``(cx, cy)``; mirrored in x."""

    cx: float
    cy: float
    sx: float
    sy: float
    dx: float
    dy: float
    dz: float
    mirror: bool = True


def intensity_amount(intensity: float) -> float:
    """Level 0–4 (BU-3DFE intensities; fractions allowed) → fraction of the full expression."""
    if not 0.0 <= intensity <= 4.0:
        raise ValueError(f"intensity must be in [0, 4], got {intensity}")
    return float(np.interp(intensity, INTENSITY_LEVELS, INTENSITY_AMOUNTS))


def _anchors(idt: Identity) -> dict[str, tuple[float, float]]:
    es, ey, by, my = idt.eye_half_sep, idt.eye_y, brow_y(idt), idt.mouth_y
    return {
        "corner": (idt.mouth_half_width, my),
        "cheek": (es + 2.0, my + 26.0),
        "upper_lid": (es, ey + 5.0),
        "lower_lid": (es, ey - 6.0),
        "brow_inner": (12.0, by - 1.0),
        "brow_mid": (es, by),
        "brow_outer": (es + 13.0, by),
        "forehead": (0.0, by + 20.0),
        "upper_lip": (0.0, my + 5.0),
        "lower_lip": (0.0, my - 6.0),
        "nose_side": (8.0, 14.0),
        "ala": (0.75 * idt.nose_half_width, -5.0),
        "bridge": (0.0, nasion_y(idt) - 8.0),
        "chin": (0.0, idt.chin_y + 14.0),
    }


def _act(a: dict, name: str, sx: float, sy: float, d: tuple[float, float, float]) -> Action:
    cx, cy = a[name]
    return Action(cx, cy, sx, sy, *d, mirror=cx != 0.0)


def expression_actions(idt: Identity, expression: str) -> tuple[list[Action], float]:
    """The actions and jaw drop (mm) of ``expression`` at full intensity."""
    a = _anchors(idt)
    table: dict[str, tuple[list[Action], float]] = {
        "neutral": ([], 0.0),
        "happiness": (
            [
                _act(a, "corner", 9, 8, (5.0, 5.5, -1.5)),
                _act(a, "cheek", 14, 12, (1.0, 3.5, 2.5)),
                _act(a, "lower_lid", 9, 4, (0.0, 1.5, 0.5)),
                _act(a, "upper_lip", 14, 5, (0.0, 1.0, 0.0)),
            ],
            2.0,
        ),
        "surprise": (
            [
                _act(a, "brow_mid", 20, 12, (0.0, 7.0, 1.0)),
                _act(a, "brow_inner", 10, 10, (0.0, 4.0, 0.0)),
                _act(a, "forehead", 30, 14, (0.0, 3.0, 0.0)),
                _act(a, "upper_lid", 9, 4, (0.0, 2.5, 0.8)),
                _act(a, "corner", 8, 8, (-5.0, -2.0, 1.0)),
                Action(0.0, idt.mouth_y, 14, 10, 0.0, 0.0, 2.0, mirror=False),
            ],
            14.0,
        ),
        "anger": (
            [
                _act(a, "brow_inner", 9, 7, (-3.5, -4.5, 1.5)),
                _act(a, "brow_mid", 14, 7, (-1.0, -2.5, 0.0)),
                _act(a, "upper_lid", 9, 4, (0.0, -1.5, 0.0)),
                _act(a, "lower_lid", 9, 4, (0.0, 1.5, 0.0)),
                _act(a, "upper_lip", 15, 4, (0.0, -1.2, -1.0)),
                _act(a, "lower_lip", 15, 4, (0.0, 1.5, -0.5)),
                _act(a, "chin", 14, 8, (0.0, 2.0, 1.0)),
                _act(a, "ala", 5, 5, (1.5, 0.5, 0.0)),
            ],
            0.0,
        ),
        "sadness": (
            [
                _act(a, "brow_inner", 8, 7, (-1.0, 4.5, 0.5)),
                _act(a, "brow_outer", 9, 6, (0.0, -1.5, 0.0)),
                _act(a, "upper_lid", 9, 4, (0.0, -1.0, 0.0)),
                _act(a, "corner", 9, 8, (0.0, -4.5, -0.5)),
                _act(a, "lower_lip", 14, 4, (0.0, 1.0, 1.5)),
                _act(a, "chin", 14, 8, (0.0, 2.0, 1.5)),
            ],
            0.0,
        ),
        "disgust": (
            [
                _act(a, "upper_lip", 14, 5, (0.0, 4.0, 0.5)),
                _act(a, "nose_side", 6, 6, (0.0, 2.5, 1.0)),
                _act(a, "ala", 5, 5, (0.0, 2.5, 0.0)),
                _act(a, "bridge", 6, 6, (0.0, -1.5, 0.5)),
                _act(a, "brow_inner", 9, 7, (-1.5, -3.0, 0.0)),
                _act(a, "lower_lid", 9, 4, (0.0, 1.5, 0.0)),
                _act(a, "cheek", 14, 12, (0.0, 2.0, 1.5)),
                _act(a, "lower_lip", 13, 4, (0.0, -1.5, 1.0)),
                _act(a, "corner", 9, 8, (0.0, -1.5, 0.0)),
            ],
            0.0,
        ),
        "fear": (
            [
                _act(a, "brow_inner", 9, 8, (-2.5, 4.5, 0.0)),
                _act(a, "brow_mid", 14, 8, (-1.0, 4.0, 0.0)),
                _act(a, "upper_lid", 9, 4, (0.0, 2.5, 0.8)),
                _act(a, "corner", 9, 8, (5.5, -2.0, -1.5)),
                _act(a, "lower_lip", 20, 5, (0.0, -1.0, -0.5)),
            ],
            5.0,
        ),
    }
    if expression in table:
        return table[expression]
    happy, _ = table["happiness"]
    angry, _ = table["anger"]
    disgust, _ = table["disgust"]
    if expression == "embarrassment":
        return [_scale(x, 0.5) for x in happy] + [_act(a, "lower_lip", 14, 4, (0, 1, 0))], 0.0
    if expression == "pain":
        lids = [_act(a, "upper_lid", 9, 4, (0, -2, 0)), _act(a, "lower_lid", 9, 4, (0, 2, 0))]
        return [_scale(x, 0.8) for x in angry[:2]] + [_scale(x, 0.6) for x in disgust] + lids, 0.0
    if expression == "au12":
        return [_scale(happy[0], 0.7)], 0.0
    if expression == "au22_25":
        return [Action(0.0, idt.mouth_y, 12, 9, 0.0, 0.0, 3.0, mirror=False)], 4.0
    known = ", ".join((*EMOTIONS, *EXTRA_EXPRESSIONS))
    raise ValueError(f"unknown expression {expression!r} (known: {known})")


def _scale(action: Action, k: float) -> Action:
    return Action(
        action.cx, action.cy, action.sx, action.sy, k * action.dx, k * action.dy, k * action.dz,
        action.mirror,
    )  # fmt: skip


def _jaw_field(model: FaceModel, x: np.ndarray, y: np.ndarray, drop: float) -> np.ndarray:
    """Lower face moves down by ``drop``; the lip line opens into a shallow cavity."""
    idt = model.identity
    mw, my = idt.mouth_half_width, idt.mouth_y
    tau = max(0.35 * model.spacing, 0.4) + 0.6 * np.clip(np.abs(x) - 0.8 * mw, 0.0, None)
    below = 1.0 / (1.0 + np.exp(-(my - y) / tau))
    lateral = np.exp(-0.5 * (x / (0.75 * idt.half_width)) ** 4)
    weight = below * lateral
    toward_chin = np.clip((my - y) / (my - idt.chin_y), 0.0, 1.0)
    inside_mouth = np.clip(1.0 - (x / mw) ** 2, 0.0, None)
    out = np.zeros((len(x), 3))
    out[:, 1] = -drop * weight
    out[:, 2] = -0.3 * drop * weight * toward_chin - 3.2 * drop * below * (1 - below) * inside_mouth
    return out


def expression_displacement(model: FaceModel, expression: str, amount: float) -> np.ndarray:
    """``(N, 3)`` displacement of the neutral vertices for ``expression`` at ``amount`` (0–~1.6)."""
    idt: Identity = model.identity  # type: ignore[assignment]
    actions, jaw = expression_actions(idt, expression)
    out = np.zeros((model.n_vertices, 3))
    if amount == 0.0 or (not actions and jaw == 0.0):
        return out
    weights, asymmetry = idt.action_weights(expression, len(actions) + 1)
    x, y = model.template[:, 0], model.template[:, 1]
    for k, act in enumerate(actions):
        vec = np.array([act.dx, act.dy, act.dz]) * weights[k]
        if not act.mirror:
            out += gaussian(x, y, act.cx, act.cy, act.sx, act.sy)[:, None] * vec
            continue
        mirrored = np.array([-vec[0], vec[1], vec[2]])
        side = 1.0 if act.cx > 0 else -1.0  # +1: the action's own anchor is on the left
        own, other = 1.0 + side * asymmetry[k], 1.0 - side * asymmetry[k]
        out += gaussian(x, y, act.cx, act.cy, act.sx, act.sy)[:, None] * (own * vec)
        out += gaussian(x, y, -act.cx, act.cy, act.sx, act.sy)[:, None] * (other * mirrored)
    out *= amount
    if jaw:
        out += _jaw_field(model, x, y, jaw * amount * weights[len(actions)])
    return out

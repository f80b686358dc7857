"""The ``rbf`` family's expressions: a Waters-style muscle model (not the ``base`` family's
Gaussian pushes). Linear muscles pull skin towards their bony attachment inside an angular
zone, with cosine fall-offs; skin slides over the skull cap and bunches outwards; a sphincter
presses or funnels the lips; the mandible rotates about the jaw joint to open the mouth.

Each expression is a recipe of ``(component, contraction)`` slots; a person weighs every slot
of a basic emotion with their own style and shifts it between the left and right side
(:meth:`RbfIdentity.muscle_weights`). Contractions are mm (degrees for the jaw) at full
intensity for a person of gain 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from affectvlm import EMOTIONS
from affectvlm.synth.face import FaceModel
from affectvlm.synth.rbf.identity import STYLE_SLOTS, RbfIdentity
from affectvlm.synth.rbf.shape import brow_y, skull_height, wendland

MAX_PULL = 0.3
"""Largest contraction of a muscle as a fraction of its length: a stronger pull would move skin
near the attachment past its neighbours (fold the mesh) once two muscles overlap."""

FIXED_FRACTION = 0.25
"""Skin this close to the attachment (as a fraction of the muscle's length) does not move, so
the field never changes faster than the mesh can follow."""

JAW = "jaw"
LIP_PRESS = "lip_press"
LIP_FUNNEL = "lip_funnel"

RECIPES: dict[str, tuple[tuple[str, float], ...]] = {
    "neutral": (),
    "happiness": (
        ("zygomatic", 7.5),
        ("cheek_raiser", 3.0),
        ("risorius", 1.5),
        ("lid_tightener", 1.0),
        (JAW, 2.5),
    ),
    "surprise": (
        ("frontalis_inner", 6.5),
        ("frontalis_outer", 6.5),
        ("levator_lid", 2.5),
        (JAW, 13.0),
        (LIP_FUNNEL, 1.5),
    ),
    "anger": (
        ("corrugator", 8.0),
        ("procerus", 5.0),
        ("lid_tightener", 3.0),
        (LIP_PRESS, 3.5),
        ("nostril", 2.0),
        ("mentalis", 3.0),
    ),
    "sadness": (
        ("frontalis_inner", 7.0),
        ("corrugator", 2.5),
        ("depressor_anguli", 7.5),
        ("mentalis", 3.5),
        ("levator_lid", -1.2),
    ),
    "disgust": (
        ("levator_labii", 4.5),
        ("corrugator", 3.0),
        ("cheek_raiser", 3.0),
        ("depressor_labii", 3.0),
        ("procerus", 1.5),
        (JAW, 2.0),
    ),
    "fear": (
        ("frontalis_inner", 6.5),
        ("frontalis_outer", 4.5),
        ("corrugator", 2.5),
        ("levator_lid", 3.0),
        ("risorius", 5.0),
        ("depressor_labii", 3.0),
        (JAW, 6.0),
    ),
    "embarrassment": (("zygomatic", 3.5), (LIP_PRESS, 2.0), ("depressor_labii", 1.0)),
    "pain": (
        ("corrugator", 5.0),
        ("procerus", 3.0),
        ("cheek_raiser", 3.0),
        ("lid_tightener", 2.5),
        ("levator_labii", 3.0),
    ),
    "au12": (("zygomatic", 5.5),),
    "au22_25": ((LIP_FUNNEL, 3.0), (JAW, 5.0)),
}
"""Expression → muscle slots (the extras serve BP4D T4/T6 and the Bosphorus AU scans)."""
assert all(len(r) <= STYLE_SLOTS for r in RECIPES.values())
assert set(EMOTIONS) <= set(RECIPES)


@dataclass(frozen=True)
class LinearMuscle:
    """A muscle of the subject's right side (``x < 0``); the left one is its mirror image."""

    attach: tuple[float, float]  # fixed end (bone)
    insert: tuple[float, float]  # end in the skin, pulled towards ``attach``
    zone: float  # half-angle (rad) of the sector it moves
    reach: float  # influence goes on this far (mm) past the insertion
    bulge: float = 0.0  # outward bunching (mm per mm of pull)


def muscles(idt: RbfIdentity) -> dict[str, LinearMuscle]:
    """The linear muscles of ``idt``, placed from its proportions."""
    es, ey, by, my = idt.eye_half_sep, idt.eye_y, brow_y(idt), idt.mouth_y
    mw, nw, cy, lid = idt.mouth_half_width, idt.nose_half_width, idt.chin_y, idt.eye_open
    m = LinearMuscle
    return {
        "frontalis_inner": m((-10.0, by + 45.0), (-10.0, by), 0.5, 12.0),
        "frontalis_outer": m((-(es + 8.0), by + 45.0), (-(es + 12.0), by), 0.5, 12.0),
        "corrugator": m((-4.0, ey + 6.0), (-(es - 2.0), by + 2.0), 0.6, 10.0, 0.4),
        "procerus": m((-3.0, ey - 8.0), (-10.0, by - 1.0), 0.45, 8.0, 0.3),
        "levator_lid": m((-es, by + 6.0), (-es, ey + lid), 0.7, 4.0),
        "lid_tightener": m((-es, ey + 2.0), (-es, ey - lid - 2.0), 0.7, 5.0, 0.2),
        "cheek_raiser": m((-(es + 4.0), ey + 4.0), (-(es + 6.0), ey - 20.0), 0.6, 10.0, 0.5),
        "zygomatic": m((-(es + 12.0), ey - 8.0), (-mw, my), 0.35, 10.0, 0.3),
        "risorius": m((-(mw + 34.0), my + 4.0), (-mw, my), 0.4, 8.0),
        "depressor_anguli": m((-(mw + 6.0), cy + 10.0), (-mw, my), 0.4, 8.0),
        "levator_labii": m((-7.0, ey - 6.0), (-9.0, my + 6.0), 0.35, 6.0, 0.5),
        "depressor_labii": m((-10.0, cy + 6.0), (-9.0, my - 6.0), 0.4, 4.0),
        "mentalis": m((-4.0, my - 14.0), (-4.0, cy + 12.0), 0.5, 12.0, 0.6),
        "nostril": m((-(nw + 10.0), -4.0), (-0.65 * nw, -4.0), 0.5, 4.0),
    }


def _pull(
    muscle: LinearMuscle, side: float, xy: np.ndarray, contraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 2)`` skin displacement and ``(N,)`` bulge of one muscle on one side."""
    mirror = np.array([-side, 1.0])  # side -1 keeps the right-side muscle, +1 mirrors it
    attach, insert = np.asarray(muscle.attach) * mirror, np.asarray(muscle.insert) * mirror
    axis = insert - attach
    rest = float(np.linalg.norm(axis))
    v = xy - attach
    dist = np.maximum(np.linalg.norm(v, axis=1), 1e-9)
    cos_angle = np.clip(v @ axis / (dist * rest), -1.0, 1.0)
    angle = np.arccos(cos_angle)
    angular = np.where(angle < muscle.zone, np.cos(angle / muscle.zone * np.pi / 2.0), 0.0)
    rise = np.clip((dist - FIXED_FRACTION * rest) / ((1.0 - FIXED_FRACTION) * rest), 0.0, 1.0)
    inner = np.sin(rise * np.pi / 2.0)
    outer = np.cos(np.clip((dist - rest) / muscle.reach, 0.0, 1.0) * np.pi / 2.0)
    radial = np.where(dist <= rest, inner, outer)
    c = float(np.clip(contraction, -0.5 * muscle.reach, MAX_PULL * rest))  # a push squeezes
    weight = c * angular * radial
    return -v / dist[:, None] * weight[:, None], muscle.bulge * np.abs(weight)


def _sphincter(idt: RbfIdentity, xy: np.ndarray, press: float, funnel: float) -> np.ndarray:
    """Orbicularis oris: ``press`` squeezes the lips together, ``funnel`` narrows and pouts."""
    my, mw = idt.mouth_y, idt.mouth_half_width
    x, dy = xy[:, 0], xy[:, 1] - my
    ring = wendland(np.sqrt((x / (1.3 * mw)) ** 2 + (dy / 15.0) ** 2))
    out = np.zeros((len(xy), 3))
    out[:, 1] = -dy * ring * press / (press + 4.0)  # towards the lip line, never across it
    out[:, 2] = -0.3 * press * ring + funnel * ring
    out[:, 0] = -funnel * ring * x / (1.3 * mw)
    return out


def _rotate_jaw(model: FaceModel, points: np.ndarray, degrees: float) -> np.ndarray:
    """Lower face rotated about the jaw joints by up to ``degrees``; the lip line opens."""
    idt = model.identity
    x, y = model.template[:, 0], model.template[:, 1]
    mw, my = idt.mouth_half_width, idt.mouth_y
    tau = max(0.35 * model.spacing, 0.4) + 0.5 * np.clip(np.abs(x) - 0.8 * mw, 0.0, None)
    below = 1.0 / (1.0 + np.exp(-(my - y) / tau))
    lateral = np.clip(1.0 - (np.abs(x) / (0.95 * idt.head_width)) ** 4, 0.0, 1.0)
    angle = np.deg2rad(degrees) * below * lateral
    pivot_y, pivot_z = idt.eye_y - 28.0, -88.0
    dy, dz = points[:, 1] - pivot_y, points[:, 2] - pivot_z
    out = points.copy()
    out[:, 1] = pivot_y + np.cos(angle) * dy - np.sin(angle) * dz
    out[:, 2] = pivot_z + np.sin(angle) * dy + np.cos(angle) * dz
    inside_mouth = np.clip(1.0 - (x / mw) ** 2, 0.0, None)
    out[:, 2] -= 60.0 * np.deg2rad(degrees) * 4.0 * below * (1.0 - below) * inside_mouth
    return out


def rbf_displacement(model: FaceModel, expression: str, amount: float) -> np.ndarray:
    """``(N, 3)`` displacement of the neutral vertices for ``expression`` at ``amount``."""
    if expression not in RECIPES:
        known = ", ".join(RECIPES)
        raise ValueError(f"unknown expression {expression!r} (known: {known})")
    idt: RbfIdentity = model.identity  # type: ignore[assignment]
    recipe = RECIPES[expression]
    out = np.zeros((model.n_vertices, 3))
    if amount == 0.0 or not recipe:
        return out
    weights, asymmetry = idt.muscle_weights(expression)
    catalogue = muscles(idt)
    xy = model.template[:, :2]
    slide = np.zeros((len(xy), 2))
    bulge = np.zeros(len(xy))
    jaw = 0.0
    for k, (name, strength) in enumerate(recipe):
        level = amount * strength * weights[k]
        if name == JAW:
            jaw = level
        elif name in (LIP_PRESS, LIP_FUNNEL):
            press, funnel = (level, 0.0) if name == LIP_PRESS else (0.0, level)
            out += _sphincter(idt, xy, press, funnel)
        else:
            for side in (-1.0, 1.0):  # -1: the subject's right (x < 0)
                share = 1.0 + side * asymmetry[k]
                move, push = _pull(catalogue[name], side, xy, level * share)
                slide += move
                bulge += push
    x, y = xy[:, 0], xy[:, 1]
    out[:, :2] += slide
    out[:, 2] += skull_height(idt, x + slide[:, 0], y + slide[:, 1]) - skull_height(idt, x, y)
    out[:, 2] += bulge
    if jaw:
        out = _rotate_jaw(model, model.template + out, jaw) - model.template
    return out

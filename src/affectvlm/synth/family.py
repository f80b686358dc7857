"""Face families: independent generators of people, meshes, expressions, scanner noise and
skin, chosen by ``SynthConfig.family``. Everything downstream (poses, 4D timing, the dataset
writers) is shared, so a family is a set of five functions, not a copy of the pipeline.

- ``base``: height-field faces of Gaussian features on a square grid masked to a face outline,
  expressions as Gaussian pushes anchored at landmarks, noise along the view axis.
- ``rbf``: see :mod:`affectvlm.synth.rbf` (radial-basis shapes, a muscle model, a jittered
  hexagonal mesh with a spherical crop, normal-direction noise with stripes and outliers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from affectvlm.synth.expressions import expression_displacement
from affectvlm.synth.face import FaceModel, build_face_model
from affectvlm.synth.identity import FaceIdentity, make_base_identity
from affectvlm.synth.rbf.expressions import rbf_displacement
from affectvlm.synth.rbf.identity import make_rbf_identity
from affectvlm.synth.rbf.mesh import build_rbf_model
from affectvlm.synth.rbf.scanner import rbf_scanner_noise
from affectvlm.synth.rbf.texture import rbf_texture
from affectvlm.synth.texture import face_texture

FamilyName = Literal["base", "rbf"]


def _view_axis_noise(
    model: FaceModel, vertices: np.ndarray, noise_mm: float, rng: np.random.Generator
) -> None:
    vertices[:, 2] += rng.normal(0.0, noise_mm, len(vertices))


@dataclass(frozen=True)
class FaceFamily:
    """The functions that make one family's faces (each takes the family's own identity)."""

    name: str
    make_identity: Callable[..., FaceIdentity]  # (seed, sex=None, *, subject="")
    build_model: Callable[[FaceIdentity, int], FaceModel]  # (identity, resolution rows)
    displacement: Callable[[FaceModel, str, float], np.ndarray]  # (model, expression, amount)
    scanner_noise: Callable[[FaceModel, np.ndarray, float, np.random.Generator], None]
    texture: Callable[[FaceIdentity, int], np.ndarray]  # (identity, size) -> uint8 image
    seed_salt: int  # mixed into dataset seeds, so families never share random streams


FAMILIES: dict[str, FaceFamily] = {
    "base": FaceFamily(
        "base",
        make_base_identity,
        build_face_model,  # type: ignore[arg-type]
        expression_displacement,
        _view_axis_noise,
        face_texture,  # type: ignore[arg-type]
        0,
    ),
    "rbf": FaceFamily(
        "rbf",
        make_rbf_identity,
        build_rbf_model,  # type: ignore[arg-type]
        rbf_displacement,
        rbf_scanner_noise,
        rbf_texture,  # type: ignore[arg-type]
        0x7B1F,
    ),
}


def get_family(name: str) -> FaceFamily:
    if name not in FAMILIES:
        raise ValueError(f"unknown face family {name!r} (known: {', '.join(FAMILIES)})")
    return FAMILIES[name]


def family_of(identity: FaceIdentity) -> FaceFamily:
    """The family that made ``identity`` (and knows how to mesh, move and paint it)."""
    return get_family(identity.family)


def make_identity(
    seed: int | np.random.Generator,
    sex: str | None = None,
    *,
    subject: str = "",
    family: FamilyName = "base",
) -> FaceIdentity:
    """Draw one person of ``family``; ``sex`` is drawn too unless given."""
    return get_family(family).make_identity(seed, sex, subject=subject)


def face_model(identity: FaceIdentity, resolution: int) -> FaceModel:
    """The neutral mesh of ``identity`` at ``resolution`` rows, by its family's construction."""
    return family_of(identity).build_model(identity, resolution)

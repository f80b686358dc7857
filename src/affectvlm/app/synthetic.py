"""The built-in synthetic face of the app's default view (no data needed)."""

from __future__ import annotations

import numpy as np

from affectvlm.io.scan import Scan, ScanSequence

FACE_RESOLUTION = 120
"""Grid rows of the app's synthetic face: ~9k vertices, rendered in a blink on CPU."""


def synthetic_input(
    emotion: str,
    intensity: float,
    seed: int,
    sex: str,
    *,
    sequence: bool = False,
    frames: int = 24,
    resolution: int = FACE_RESOLUTION,
) -> Scan | ScanSequence:
    """A face (or a 4D recording rising to ``emotion``) of identity ``seed``.

    It gets the same small head pose and scanner noise as the synthetic datasets: a
    noise-free face is outside what a model trained on those sets has seen. The person and
    the scan (pose, intensity jitter, noise) come from two independent streams of ``seed``, as
    in the datasets, so the scan's draws never replay the identity's; the pose stays the same
    when only the emotion changes. How well the demo model reads these faces is measured by
    ``bench/bench_app_faces.py``.
    """
    from affectvlm.synth import make_face, make_identity, make_sequence

    person, scan = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    identity = make_identity(person, sex=sex, subject=f"seed{seed}")
    if sequence:
        return make_sequence(
            identity, emotion, frames=frames, resolution=resolution, rng=scan, texture_size=128
        )
    return make_face(
        identity, emotion, intensity, resolution=resolution, rng=scan, texture_size=128
    )

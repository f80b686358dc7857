"""In-memory synthetic scans and sequences: identity + expression + head pose + scanner noise.

Shared by every face family: the identity's family (:mod:`.family`) meshes, deforms, adds
scanner noise to and paints the face; poses, intensities and 4D timing are drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.synth.expressions import intensity_amount
from affectvlm.synth.face import FaceModel
from affectvlm.synth.family import face_model, family_of
from affectvlm.synth.identity import FaceIdentity
from affectvlm.synth.landmarks import landmark_names

DEFAULT_RESOLUTION = 190
PIVOT = np.array([0.0, 0.0, -90.0])  # rotation centre of the head (mm)


@dataclass
class FaceSample:
    """A posed, deformed face plus what the file writers need beyond a ``Scan``."""

    model: FaceModel
    vertices: np.ndarray  # (N, 3) float64
    expression: str
    amount: float  # fraction of the full expression actually shown
    rotation_deg: tuple[float, float, float]  # (pitch, yaw, roll)

    @property
    def landmarks(self) -> np.ndarray:
        return self.vertices[self.model.landmark_index]

    def to_scan(self, texture_size: int = 256) -> Scan:
        model = self.model
        return Scan(
            vertices=self.vertices,
            faces=model.faces,
            uv=model.uv,
            uv_faces=model.faces,
            texture=family_of(model.identity).texture(model.identity, texture_size),
            landmarks=self.landmarks,
            landmark_names=landmark_names(),
            notes=[f"synthetic {self.expression} amount={self.amount:.3f}"],
        )


def rotation_matrix(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """Rotation (degrees) about x (pitch), then y (yaw), then z (roll)."""
    p, y, r = np.deg2rad([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator | None:
    return np.random.default_rng(rng) if isinstance(rng, int) else rng


def pose_face(
    model: FaceModel,
    expression: str,
    amount: float,
    *,
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
    noise_mm: float = 0.0,
    rng: np.random.Generator | None = None,
) -> FaceSample:
    """Deform the neutral mesh, rotate the head about :data:`PIVOT`, add scanner noise."""
    family = family_of(model.identity)
    vertices = model.template + family.displacement(model, expression, amount)
    if any(rotation_deg):
        rot = rotation_matrix(*rotation_deg)
        vertices = (vertices - PIVOT) @ rot.T + PIVOT
    if noise_mm > 0.0:
        if rng is None:
            raise ValueError("noise_mm > 0 needs an rng")
        family.scanner_noise(model, vertices, noise_mm, rng)
    return FaceSample(model, vertices, expression, amount, rotation_deg)


def random_rotation(rng: np.random.Generator, max_deg: float) -> tuple[float, float, float]:
    """A small head rotation, each axis within ``±max_deg``."""
    angles = np.clip(rng.normal(0.0, max_deg / 2.0, 3), -max_deg, max_deg)
    return float(angles[0]), float(angles[1]), float(angles[2])


def sample_face(
    identity: FaceIdentity,
    expression: str,
    intensity: float,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    rng: np.random.Generator | int | None = None,
    pose_deg: float = 3.0,
    noise_mm: float = 0.15,
) -> FaceSample:
    """One scan's geometry; with ``rng`` None the face is clean (no pose, jitter or noise)."""
    model = face_model(identity, resolution)
    rng = _as_rng(rng)
    amount = 0.0 if expression == "neutral" else intensity_amount(intensity)
    amount *= identity.gain(expression)
    if rng is None:
        return pose_face(model, expression, amount)
    amount *= rng.uniform(0.9, 1.1)
    rotation = random_rotation(rng, pose_deg)
    return pose_face(model, expression, amount, rotation_deg=rotation, noise_mm=noise_mm, rng=rng)


def make_face(
    identity: FaceIdentity,
    emotion: str = "neutral",
    intensity: float = 4.0,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    rng: np.random.Generator | int | None = None,
    pose_deg: float = 3.0,
    noise_mm: float = 0.15,
    texture_size: int = 256,
) -> Scan:
    """A textured, landmarked face of ``identity`` showing ``emotion`` at level 0–4.

    ``emotion`` is a name of ``affectvlm.EMOTIONS`` (or an extra expression such as "pain");
    ``intensity`` may be fractional (slider). ``rng`` None gives the clean frontal face.
    """
    sample = sample_face(
        identity,
        emotion,
        intensity,
        resolution=resolution,
        rng=rng,
        pose_deg=pose_deg,
        noise_mm=noise_mm,
    )
    return sample.to_scan(texture_size)


@dataclass(frozen=True)
class SequenceTiming:
    """Fractions of a 4D sequence: neutral → onset → apex → offset → neutral."""

    onset: float  # expression starts
    apex: float  # full expression reached
    apex_end: float  # starts to relax
    offset: float  # back to neutral

    def curve(self, frames: int) -> np.ndarray:
        """``(frames,)`` expression amount in [0, 1] (smooth ramps)."""
        t = np.linspace(0.0, 1.0, frames)
        up = np.clip((t - self.onset) / (self.apex - self.onset), 0.0, 1.0)
        down = np.clip((self.offset - t) / (self.offset - self.apex_end), 0.0, 1.0)
        ramp = np.minimum(up, down)
        return ramp * ramp * (3.0 - 2.0 * ramp)


def random_timing(rng: np.random.Generator) -> SequenceTiming:
    """Per-sequence timing: onset, apex and offset spans vary between recordings."""
    onset = rng.uniform(0.08, 0.2)
    apex = onset + rng.uniform(0.15, 0.25)
    apex_end = apex + rng.uniform(0.15, 0.25)
    offset = min(apex_end + rng.uniform(0.15, 0.22), 0.95)
    return SequenceTiming(onset, apex, apex_end, offset)


def sequence_samples(
    identity: FaceIdentity,
    emotion: str,
    *,
    frames: int = 36,
    resolution: int = 96,
    rng: np.random.Generator | int | None = 0,
    peak_intensity: float | None = None,
    pose_deg: float = 3.0,
    noise_mm: float = 0.15,
) -> tuple[list[FaceSample], SequenceTiming]:
    """The frames of one 4D recording as :class:`FaceSample` (see :func:`make_sequence`)."""
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    model = face_model(identity, resolution)
    timing = random_timing(rng)
    peak = peak_intensity if peak_intensity is not None else rng.uniform(3.2, 4.0)
    full = 0.0 if emotion == "neutral" else intensity_amount(peak) * identity.gain(emotion)
    base = np.array(random_rotation(rng, pose_deg))
    sway = rng.uniform(0.5, 1.5, 3) * min(pose_deg, 2.0) / 2.0
    phase = rng.uniform(0.0, 2.0 * np.pi, 3)
    cycles = rng.uniform(0.4, 1.2, 3)
    t = np.linspace(0.0, 1.0, frames)
    samples = []
    for i, level in enumerate(timing.curve(frames)):
        angles = base + sway * np.sin(2.0 * np.pi * cycles * t[i] + phase)
        rotation = (float(angles[0]), float(angles[1]), float(angles[2]))
        samples.append(
            pose_face(
                model, emotion, full * level, rotation_deg=rotation, noise_mm=noise_mm, rng=rng
            )
        )
    return samples, timing


def make_sequence(
    identity: FaceIdentity,
    emotion: str,
    *,
    frames: int = 36,
    fps: float = 25.0,
    resolution: int = 96,
    rng: np.random.Generator | int | None = 0,
    texture_size: int = 256,
) -> ScanSequence:
    """A 4D recording in memory: neutral → onset → apex → offset → neutral, small head motion."""
    samples, timing = sequence_samples(
        identity, emotion, frames=frames, resolution=resolution, rng=rng
    )
    scans = [s.to_scan(texture_size) for s in samples]
    note = (
        f"synthetic {emotion}: onset={timing.onset:.2f} apex={timing.apex:.2f} "
        f"apex_end={timing.apex_end:.2f} offset={timing.offset:.2f}"
    )
    return ScanSequence(frames=scans, fps=fps, frame_numbers=list(range(frames)), notes=[note])

"""Per-dataset layouts: which files one synthetic subject gets, with the datasets' exact names.

Every random choice of a subject comes from ``SeedSequence(seed, spawn_key=(index, …))``, so
a subject's files do not depend on which process writes it or in which order. The face
family (``config.family``) makes the people and their faces; a family other than ``base``
salts the seed, so two families never share random streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes
from affectvlm.synth.config import SynthConfig
from affectvlm.synth.face import FaceModel, vertex_normals
from affectvlm.synth.family import face_model, family_of, get_family
from affectvlm.synth.identity import FaceIdentity
from affectvlm.synth.landmarks import BOSPHORUS_LABELS
from affectvlm.synth.scans import FaceSample, pose_face, sample_face, sequence_samples
from affectvlm.synth.writers import (
    BP4D_AUS,
    encode_image,
    format_au_csv,
    format_bnd,
    format_bnt,
    format_lm2,
    format_lm3,
    format_mtl,
    format_obj,
    format_vrml,
)

BU3DFE_CODES: dict[str, str] = {
    "AN": "anger",
    "DI": "disgust",
    "FE": "fear",
    "HA": "happiness",
    "SA": "sadness",
    "SU": "surprise",
}
BU4DFE_FOLDERS: dict[str, str] = {
    "Angry": "anger",
    "Disgust": "disgust",
    "Fear": "fear",
    "Happy": "happiness",
    "Sad": "sadness",
    "Surprise": "surprise",
}
BOSPHORUS_EMOTIONS: dict[str, str] = {
    "ANGER": "anger",
    "DISGUST": "disgust",
    "FEAR": "fear",
    "HAPPY": "happiness",
    "SADNESS": "sadness",
    "SURPRISE": "surprise",
}
BP4D_TASKS: dict[str, tuple[str, tuple[int, ...]]] = {
    "T1": ("happiness", (6, 12)),
    "T2": ("sadness", (1, 4, 15, 17)),
    "T3": ("surprise", (1, 2)),
    "T4": ("embarrassment", (12, 14, 24)),
    "T5": ("fear", (1, 2, 4)),
    "T6": ("pain", (4, 6, 7, 10)),
    "T7": ("anger", (4, 7, 23, 24)),
    "T8": ("disgust", (4, 10)),
}
"""BP4D task → expression used for the geometry, and the AUs coded as occurring in it."""
_BOSPHORUS_POSES = {"U": (-20.0, 0.0), "D": (20.0, 0.0), "RU": (-15.0, -30.0), "LU": (-15.0, 30.0)}


@dataclass(frozen=True)
class SubjectPlan:
    subject: str
    index: int  # position in the whole plan; the seed key
    sex: str


@dataclass
class SubjectResult:
    subject: str
    files: int
    bytes: int
    vertices: int  # per scan (or per frame)


def _entropy(config: SynthConfig) -> int | tuple[int, int]:
    salt = get_family(config.family).seed_salt
    return (config.seed, salt) if salt else config.seed


def subject_rng(config: SynthConfig, index: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(_entropy(config), spawn_key=(index, *keys)))


def plan_subjects(config: SynthConfig) -> list[SubjectPlan]:
    """Subject ids of the dataset's naming scheme: females first, then males."""
    n_female = round(config.subjects * config.female_fraction)
    sexes = ["F"] * n_female + ["M"] * (config.subjects - n_female)
    if config.dataset == "bosphorus":
        rng = np.random.default_rng(np.random.SeedSequence(_entropy(config), spawn_key=(10**6,)))
        sexes = [sexes[i] for i in rng.permutation(len(sexes))]
        return [SubjectPlan(f"bs{i:03d}", i, s) for i, s in enumerate(sexes)]
    digits = 4 if config.dataset == "bu3dfe" else 3
    counters = {"F": 0, "M": 0}
    plans = []
    for i, sex in enumerate(sexes):
        counters[sex] += 1
        plans.append(SubjectPlan(f"{sex}{counters[sex]:0{digits}d}", i, sex))
    if max(counters.values()) >= 10**digits:
        raise ValueError(f"{config.dataset} ids have {digits} digits: too many subjects")
    return plans


def subject_identity(plan: SubjectPlan, config: SynthConfig) -> FaceIdentity:
    make = get_family(config.family).make_identity
    return make(subject_rng(config, plan.index, 0), plan.sex, subject=plan.subject)


def _texture(idt: FaceIdentity, config: SynthConfig) -> np.ndarray:
    return family_of(idt).texture(idt, config.texture_size)


class _Writer:
    """Writes files atomically under ``root`` and counts them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0

    def __call__(self, relative: str, data: bytes) -> None:
        atomic_write_bytes(self.root / relative, data)
        self.files += 1
        self.bytes += len(data)


def _bu3dfe(out: _Writer, plan: SubjectPlan, idt: FaceIdentity, config: SynthConfig) -> None:
    scans = [("NE", 0)] + [(code, level) for code in BU3DFE_CODES for level in range(1, 5)]
    texture = encode_image(_texture(idt, config), "BMP")
    for k, (code, level) in enumerate(scans):
        emotion = BU3DFE_CODES.get(code, "neutral")
        face = sample_face(
            idt,
            emotion,
            float(level),
            resolution=config.grid_rows,
            rng=subject_rng(config, plan.index, 1, k),
            pose_deg=config.pose_deg,
            noise_mm=config.noise_mm,
        )
        stem = f"{plan.subject}/{plan.subject}_{code}{level:02d}{idt.ethnicity}_F3D"
        name = stem.rsplit("/", 1)[1]
        out(f"{stem}.wrl", format_vrml(face.vertices, face.model, f"{name}.bmp", "bu3dfe"))
        out(f"{stem}.bmp", texture)
        out(f"{stem}.bnd", format_bnd(face.model.landmark_index, face.landmarks))


def _bu4dfe(out: _Writer, plan: SubjectPlan, idt: FaceIdentity, config: SynthConfig) -> None:
    texture = encode_image(_texture(idt, config), "JPEG")
    for k, (folder, emotion) in enumerate(BU4DFE_FOLDERS.items()):
        frames, _ = sequence_samples(
            idt,
            emotion,
            frames=config.frames,
            resolution=config.grid_rows,
            rng=subject_rng(config, plan.index, 2, k),
            pose_deg=config.pose_deg,
            noise_mm=config.noise_mm,
        )
        for f, face in enumerate(frames):
            stem = f"{plan.subject}/{folder}/{f:03d}"
            vrml = format_vrml(face.vertices, face.model, f"{f:03d}.jpg", "bu4dfe")
            out(f"{stem}.wrl", vrml)
            out(f"{stem}.jpg", texture)


def _bosphorus_scans(config: SynthConfig) -> Iterator[tuple[str, str, str]]:
    """``(class, code, repetition)`` of every scan of a Bosphorus subject."""
    yield "N", "N", "0"
    for code in BOSPHORUS_EMOTIONS:
        yield "E", code, "0"
    for stem in config.bosphorus_extra:
        parts = stem.split("_")
        if len(parts) != 3 or not parts[2].isdigit():
            raise ValueError(f"bosphorus_extra: {stem!r} is not CLASS_CODE_K")
        yield parts[0], parts[1], parts[2]


def _bosphorus_face(
    model: FaceModel, cls: str, code: str, rng: np.random.Generator, config: SynthConfig
) -> FaceSample:
    idt = model.identity
    if cls == "E":
        emotion = BOSPHORUS_EMOTIONS[code]
        kw = {"pose_deg": config.pose_deg, "noise_mm": config.noise_mm}
        return sample_face(
            idt, emotion, rng.uniform(3.0, 4.0), resolution=model.rows, rng=rng, **kw
        )
    expression, rotation = "neutral", (0.0, 0.0, 0.0)
    if cls == "LFAU" and code.startswith("12"):
        expression = "au12"
    elif cls == "CAU":
        expression = "au22_25"
    elif cls == "YR" and code[1:].isdigit():
        rotation = (0.0, float(code[1:]) * (-1.0 if code[0] == "R" else 1.0), 0.0)
    elif cls in ("PR", "CR") and code in _BOSPHORUS_POSES:
        pitch, yaw = _BOSPHORUS_POSES[code]
        rotation = (pitch, yaw, 0.0)
    return pose_face(
        model, expression, 0.8, rotation_deg=rotation, noise_mm=config.noise_mm, rng=rng
    )


def _visible(model: FaceModel, vertices: np.ndarray) -> np.ndarray:
    """Vertices a frontal range scanner sees (normal facing +z)."""
    per_vertex = vertex_normals(vertices, model.faces)
    length = np.linalg.norm(per_vertex, axis=1)
    return per_vertex[:, 2] > 0.05 * np.maximum(length, 1e-12)


def _bosphorus(out: _Writer, plan: SubjectPlan, idt: FaceIdentity, config: SynthConfig) -> None:
    model = face_model(idt, config.grid_rows)
    rows, cols = model.rows, model.cols
    height, width = 3 * rows, 3 * cols
    png = encode_image(np.asarray(_resize(_texture(idt, config), width, height)), "PNG")
    r_of, c_of = np.nonzero(model.grid_index >= 0)
    u = np.broadcast_to(np.arange(cols) / (cols - 1), (rows, cols))
    v_top = np.broadcast_to(1.0 - np.arange(rows)[:, None] / (rows - 1), (rows, cols))
    uv = np.stack([u, v_top], axis=2)
    labels = list(BOSPHORUS_LABELS)
    marks = model.landmark_index[list(BOSPHORUS_LABELS.values())]
    for k, (cls, code, rep) in enumerate(_bosphorus_scans(config)):
        face = _bosphorus_face(model, cls, code, subject_rng(config, plan.index, 3, k), config)
        vertices = np.round(face.vertices, 3)
        seen = _visible(model, vertices)
        xyz = np.full((rows, cols, 3), np.nan)
        xyz[r_of[seen], c_of[seen]] = vertices[seen]
        stem = f"{plan.subject}_{cls}_{code}_{rep}"
        keep = seen[marks]
        pixels = np.stack([u[r_of, c_of] * width, v_top[r_of, c_of] * height], axis=1)
        kept_labels = [label for label, ok in zip(labels, keep, strict=True) if ok]
        out(f"{plan.subject}/{stem}.bnt", format_bnt(xyz, uv, f"{stem}.png"))
        out(f"{plan.subject}/{stem}.png", png)
        out(f"{plan.subject}/{stem}.lm3", format_lm3(kept_labels, vertices[marks[keep]]))
        out(f"{plan.subject}/{stem}.lm2", format_lm2(kept_labels, pixels[marks[keep]]))


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def _bp4d(out: _Writer, plan: SubjectPlan, idt: FaceIdentity, config: SynthConfig) -> None:
    texture = encode_image(_texture(idt, config), "JPEG")
    for task in config.bp4d_tasks:
        if task not in BP4D_TASKS:
            raise ValueError(f"bp4d_tasks: unknown task {task!r} (known: {', '.join(BP4D_TASKS)})")
        k = int(task[1:])
        rng = subject_rng(config, plan.index, 4, k)
        expression, aus = BP4D_TASKS[task]
        frames, timing = sequence_samples(
            idt,
            expression,
            frames=config.frames,
            resolution=config.grid_rows,
            rng=rng,
            pose_deg=config.pose_deg,
            noise_mm=config.noise_mm,
        )
        start = int(rng.integers(1, 400))
        numbers = np.arange(start, start + len(frames))
        for number, face in zip(numbers, frames, strict=True):
            stem = f"{plan.subject}/{task}/{number:04d}"
            name = f"{number:04d}"
            out(f"{stem}.obj", format_obj(face.vertices, face.model, f"{name}.mtl"))
            out(f"{stem}.mtl", format_mtl(f"{name}.jpg"))
            out(f"{stem}.jpg", texture)
        level = timing.curve(len(frames))
        threshold = rng.uniform(0.25, 0.45, len(BP4D_AUS))
        active = np.isin(BP4D_AUS, aus)[None, :] & (level[:, None] > threshold[None, :])
        out(f"AUCoding/AU_OCC/{plan.subject}_{task}.csv", format_au_csv(numbers, active))


_LAYOUTS = {"bu3dfe": _bu3dfe, "bu4dfe": _bu4dfe, "bosphorus": _bosphorus, "bp4d": _bp4d}


def write_subject(root: Path, plan: SubjectPlan, config: SynthConfig) -> SubjectResult:
    """Write every file of one subject under ``root`` (atomically, file by file)."""
    identity = subject_identity(plan, config)
    out = _Writer(Path(root))
    _LAYOUTS[config.dataset](out, plan, identity, config)
    vertices = face_model(identity, config.grid_rows).n_vertices
    return SubjectResult(plan.subject, out.files, out.bytes, vertices)

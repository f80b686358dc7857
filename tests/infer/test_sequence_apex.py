"""A model trained on static scans labels a 4D sequence by its apex, not its neutral frames.

A tiny conv model learns happiness vs surprise from rendered synthetic static scans. A
sequence of a new identity is neutral (with head motion) for most of its frames and holds
the apex of one class in the middle; expressive frame sampling must find the apex and
probability pooling must give the sequence that class.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from affectvlm.data import ProtocolConfig, make_folds
from affectvlm.infer import Predictor
from affectvlm.io.layouts.record import SampleRecord
from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.model.config import resolve_model_config
from affectvlm.render.config import RenderConfig
from affectvlm.render.sequence import sample_frames
from affectvlm.render.views import render_views
from affectvlm.synth import make_face, make_identity
from affectvlm.train.config import TrainConfig
from affectvlm.train.engine import train_fold

CLASSES = ["happiness", "surprise"]
RENDER = RenderConfig(image_size=64, model_input="stack", frames=4)
RESOLUTION = 40


class FaceCache:
    """Rendered views of synthetic static faces, keyed by record path."""

    def __init__(self, records: list[SampleRecord]) -> None:
        self.arrays = {}
        for i, r in enumerate(records):
            identity = make_identity(int(r.subject[1:]))
            rng = None if r.path.endswith("clean.wrl") else i  # clean, or with pose + noise
            scan = make_face(identity, r.emotion, r.intensity, resolution=RESOLUTION, rng=rng)
            self.arrays[r.path] = render_views(scan, RENDER).model_input("stack")[None]

    @staticmethod
    def sample_id(record: SampleRecord) -> str:
        return record.path

    def load(self, key: str) -> np.ndarray:
        return self.arrays[key]


def _records(subjects: int = 8) -> list[SampleRecord]:
    out = []
    for s in range(subjects):
        subject = f"{'F' if s % 2 else 'M'}{s + 1:04d}"
        for emotion, level, variant in itertools.product(CLASSES, (2, 3, 4), ("clean", "posed")):
            code = f"{emotion[:2].upper()}0{level}"
            out.append(
                SampleRecord(
                    path=f"{subject}/{subject}_{code}WH_F3D_{variant}.wrl",
                    dataset="bu3dfe",
                    subject=subject,
                    emotion=emotion,
                    expression=code,
                    category="emotion",
                    sex=subject[0],
                    intensity=level,
                )
            )
    return out


def _rotate(scan: Scan, yaw_deg: float) -> Scan:
    y = np.radians(yaw_deg)
    r = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    centre = scan.vertices.mean(axis=0)
    vertices = ((scan.vertices - centre) @ r.T + centre).astype(np.float32)
    return Scan(vertices=vertices, faces=scan.faces, uv=scan.uv, texture=scan.texture)


def _apex_sequence(emotion: str) -> ScanSequence:
    identity = make_identity(99)  # not a training identity
    neutral = make_face(identity, "neutral", 0, resolution=RESOLUTION)
    apex = make_face(identity, emotion, 4, resolution=RESOLUTION)
    frames = [_rotate(neutral, 3.0 * (t % 4)) for t in range(5)]
    frames += [apex] * 3
    frames += [_rotate(neutral, -3.0 * (t % 4)) for t in range(5)]
    return ScanSequence(frames=frames)


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    records = _records()
    folds = make_folds(records, ProtocolConfig(classes=CLASSES, folds=4, val_fraction=0.25))
    model = resolve_model_config({"preset": "rn-tiny"})
    config = TrainConfig(
        model=model,
        render=RENDER,
        epochs=10,
        patience=0,
        precision="fp32",
        progress=False,
    )
    config.data.workers, config.data.batch_size = 0, 8
    config.optim.lr_towers = config.optim.lr_heads = 2e-3
    run = tmp_path_factory.mktemp("apex")
    result = train_fold(config, records, folds, 0, run, "cpu", cache=FaceCache(records))
    assert result.test_metrics["accuracy"] >= 0.75  # the static task was learnt
    return Predictor.from_checkpoint(run, device="cpu")


@pytest.mark.parametrize("emotion", CLASSES)
def test_sequence_of_neutral_frames_around_an_apex_gets_the_apex_class(predictor, emotion):
    sequence = _apex_sequence(emotion)
    assert set(sample_frames(sequence, RENDER.frames)) <= {5, 6, 7}  # the apex frames
    apex_alone = predictor.predict(sequence.frame(6))
    prediction = predictor.predict(sequence)
    assert apex_alone.label == emotion
    assert prediction.label == emotion
    # the sequence's probabilities are the pooled probabilities of its sampled frames
    assert np.allclose(prediction.probs, prediction.frame_probs.mean(axis=0), atol=1e-5)

"""In-memory faces and 4D sequences (the app's slider API)."""

import numpy as np
import pytest

from affectvlm.io import Scan, ScanSequence
from affectvlm.synth import make_face, make_identity, make_sequence
from affectvlm.synth.face import build_face_model
from affectvlm.synth.scans import random_timing

RES = 30


def test_make_face_returns_a_textured_landmarked_scan_in_millimetres():
    scan = make_face(make_identity(1), "happiness", 3, resolution=RES, rng=0, texture_size=32)
    assert isinstance(scan, Scan) and scan.has_texture
    assert scan.texture.shape == (32, 32, 3) and scan.texture.dtype == np.uint8
    assert scan.landmarks.shape == (83, 3) and len(scan.landmark_names) == 83
    assert scan.faces.max() < len(scan.vertices) and len(scan.uv) == len(scan.vertices)
    assert scan.uv.min() >= 0.0 and scan.uv.max() <= 1.0
    extent = scan.vertices.max(axis=0) - scan.vertices.min(axis=0)
    assert 120 < extent[0] < 170 and 150 < extent[1] < 200 and 40 < extent[2] < 120


def test_default_resolution_has_tens_of_thousands_of_vertices():
    assert 15_000 < build_face_model(make_identity(0), 190).n_vertices < 40_000


def test_same_rng_seed_gives_the_same_face_and_noise_changes_it():
    person = make_identity(2)
    a = make_face(person, "fear", 2, resolution=RES, rng=5, texture_size=32)
    b = make_face(person, "fear", 2, resolution=RES, rng=5, texture_size=32)
    c = make_face(person, "fear", 2, resolution=RES, rng=6, texture_size=32)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    assert not np.allclose(a.vertices, c.vertices)
    clean = make_face(person, "fear", 2, resolution=RES, texture_size=32)
    assert 0.0 < np.abs(a.vertices - clean.vertices).max() < 15.0  # pose + noise stay small


def test_texture_has_darker_brows_and_red_lips_than_skin():
    person = make_identity(4)
    tex = make_face(person, resolution=RES, texture_size=128).texture.astype(float)
    skin = tex[64, 64 - 40 : 64 - 30].mean(axis=0)  # a cheek-ish column band
    lips_row = tex[:, 54:74].mean(axis=1)  # centre columns, per row
    reddest = lips_row[np.argmax(lips_row[:, 0] - lips_row[:, 1])]
    assert reddest[0] - reddest[1] > skin[0] - skin[1] + 10
    assert tex.reshape(-1, 3).sum(axis=1).min() < skin.sum() * 0.6  # brows / pupils / nostrils


@pytest.mark.parametrize("family", ["base", "rbf"])
def test_sequence_goes_neutral_to_apex_and_back(family):
    person = make_identity(3, family=family)
    seq = make_sequence(person, "surprise", frames=24, resolution=RES, rng=1, texture_size=32)
    assert isinstance(seq, ScanSequence) and len(seq) == 24 and seq.fps == 25.0
    # nose-tip-to-chin distance: the jaw drop, unaffected by the small head motion
    span = np.array([np.linalg.norm(f.landmarks[41] - f.landmarks[75]) for f in seq])
    drop = span - span[0]
    apex = int(np.argmax(drop))
    assert 3 < apex < 20
    assert drop[apex] > 5.0 and abs(drop[0]) < 1.5 and abs(drop[-1]) < 1.5


def test_sequence_timing_differs_between_recordings_and_stays_ordered():
    rng = np.random.default_rng(0)
    timings = [random_timing(rng) for _ in range(5)]
    assert len({t.apex for t in timings}) == 5
    for t in timings:
        assert 0 < t.onset < t.apex < t.apex_end < t.offset < 1
        curve = t.curve(50)
        assert curve[0] == 0.0 and curve[-1] == 0.0 and curve.max() == 1.0

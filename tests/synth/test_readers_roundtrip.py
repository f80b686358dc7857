"""Files written by the generator read back with the project's readers."""

from pathlib import Path

import numpy as np

from affectvlm.io import bnt, sequence, vrml
from affectvlm.synth import SynthConfig, generate_dataset
from affectvlm.synth.datasets import plan_subjects, subject_identity
from affectvlm.synth.face import build_face_model


def config(dataset: str) -> SynthConfig:
    return SynthConfig(
        dataset=dataset, subjects=1, resolution=20, frames=5, texture_size=32, workers=1
    )


def test_bu3dfe_wrl_reads_back_with_texture_and_landmarks(tmp_path: Path):
    cfg = config("bu3dfe")
    generate_dataset(tmp_path, cfg, progress=False)
    model = build_face_model(subject_identity(plan_subjects(cfg)[0], cfg), cfg.grid_rows)
    path = next((tmp_path / "F0001").glob("F0001_SU04*_F3D.wrl"))
    scan = vrml.read_wrl(path)
    assert scan.vertices.shape == (model.n_vertices, 3) and len(scan.faces) == len(model.faces)
    assert scan.texture.shape == (32, 32, 3)
    np.testing.assert_allclose(scan.landmarks, scan.vertices[model.landmark_index], atol=1e-3)


def test_bu4dfe_frame_reads_back(tmp_path: Path):
    generate_dataset(tmp_path, config("bu4dfe"), progress=False)
    scan = vrml.read_wrl(tmp_path / "F001" / "Sad" / "004.wrl")
    assert len(scan.faces) > 0 and scan.texture is not None


def test_bosphorus_bnt_reads_back_as_a_face_with_landmarks_on_it(tmp_path: Path):
    generate_dataset(tmp_path, config("bosphorus"), progress=False)
    scan = bnt.read_bnt(tmp_path / "bs000" / "bs000_E_SURPRISE_0.bnt")
    extent = scan.vertices.max(axis=0) - scan.vertices.min(axis=0)
    assert 120 < extent[0] < 170 and 150 < extent[1] < 200 and len(scan.faces) > 0
    assert scan.landmarks.shape == (22, 3) and "Nose tip" in scan.landmark_names
    gap = np.abs(scan.landmarks[:, None, :] - scan.vertices[None, :, :]).sum(axis=2).min(axis=1)
    assert gap.max() < 1e-3


def test_bp4d_obj_frames_read_back_in_order(tmp_path: Path):
    cfg = SynthConfig(dataset="bp4d", subjects=1, resolution=20, frames=5, texture_size=32)
    generate_dataset(tmp_path, SynthConfig(**{**vars(cfg), "bp4d_tasks": ["T3"]}), progress=False)
    seq = sequence.read_sequence(tmp_path / "F001" / "T3")
    assert len(seq) == 5 and seq.frame_numbers == sorted(seq.frame_numbers)
    assert seq.frame(0).texture is not None and len(seq.frame(4).faces) > 0

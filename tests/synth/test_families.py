"""The two face families: same datasets and emotions, independently built faces."""

import json
from pathlib import Path

import numpy as np
import pytest

from affectvlm import BASIC_EMOTIONS, EMOTIONS
from affectvlm.cli import main
from affectvlm.io import bnt, sequence, vrml
from affectvlm.io.index import index_dataset
from affectvlm.synth import FAMILIES, SynthConfig, generate_dataset, make_face, make_identity
from affectvlm.synth.datasets import plan_subjects, subject_identity
from affectvlm.synth.family import face_model, family_of, get_family
from affectvlm.synth.rbf.shape import tip_z
from affectvlm.synth.rbf.texture import skin_colour

FAMILY_NAMES = sorted(FAMILIES)
RES = 40
CORNERS = [48, 54]
INNER_BROWS = [16, 26]
BROWS = list(range(16, 36))
UPPER_LIP, LOWER_LIP, CHIN = 51, 57, 75
PEOPLE = 6


def tiny(dataset: str, family: str = "rbf", **kw) -> SynthConfig:
    base = {"dataset": dataset, "family": family, "subjects": 2, "resolution": 16, "frames": 5}
    return SynthConfig(**{**base, "texture_size": 32, "workers": 1, **kw})


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module", params=["bu3dfe", "bu4dfe", "bosphorus", "bp4d"])
def rbf_set(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"rbf_{request.param}")
    config = tiny(request.param)
    report = generate_dataset(root, config, progress=False)
    return request.param, root, config, report


def test_rbf_family_writes_every_dataset_that_the_index_validates(rbf_set):
    dataset, root, _, report = rbf_set
    assert report.ok and report.family == "rbf"
    result = index_dataset(root, dataset, validate=True, progress=False)
    assert not result.skipped and result.samples
    assert {r.emotion for r in result.samples} >= set(BASIC_EMOTIONS)
    assert {r.subject for r in result.records} == set(report.subjects)


def test_rbf_scans_read_back_with_their_landmarks_on_the_mesh(rbf_set):
    dataset, root, config, _ = rbf_set
    plan = plan_subjects(config)[0]
    if dataset == "bu3dfe":
        model = face_model(subject_identity(plan, config), config.grid_rows)
        scan = vrml.read_wrl(next((root / plan.subject).glob("*_HA04*_F3D.wrl")))
        assert scan.vertices.shape == (model.n_vertices, 3) and scan.texture.shape == (32, 32, 3)
        np.testing.assert_allclose(scan.landmarks, scan.vertices[model.landmark_index], atol=1e-3)
    elif dataset == "bosphorus":
        scan = bnt.read_bnt(root / plan.subject / f"{plan.subject}_E_SURPRISE_0.bnt")
        assert scan.landmarks.shape == (22, 3) and "Nose tip" in scan.landmark_names
        gap = np.abs(scan.landmarks[:, None] - scan.vertices[None]).sum(axis=2).min(axis=1)
        assert gap.max() < 1e-3 and len(scan.faces) > 0
    elif dataset == "bu4dfe":
        scan = vrml.read_wrl(root / plan.subject / "Surprise" / "004.wrl")
        assert len(scan.faces) > 0 and scan.texture is not None
    else:
        seq = sequence.read_sequence(root / plan.subject / "T1")
        assert len(seq) == config.frames and seq.frame(0).texture is not None


def test_rbf_family_is_deterministic_per_seed_and_resumes(tmp_path):
    a = generate_dataset(tmp_path / "a", tiny("bu3dfe"), progress=False)
    b = generate_dataset(tmp_path / "b", tiny("bu3dfe", workers=2), progress=False)
    c = generate_dataset(tmp_path / "c", tiny("bu3dfe", seed=1), progress=False)
    assert a.ok and b.ok and c.ok
    first, other = files_of(tmp_path / "a"), files_of(tmp_path / "c")
    assert first == files_of(tmp_path / "b")
    neutral = lambda files: next(v for n, v in files.items() if "_NE00" in n and "wrl" in n)  # noqa: E731
    assert len(first) == len(other) and neutral(first) != neutral(other)
    state = json.loads((tmp_path / "a" / "synth.json").read_text())
    assert state["config"]["family"] == "rbf"
    state["completed"].remove("M0001")
    (tmp_path / "a" / "synth.json").write_text(json.dumps(state))
    again = generate_dataset(tmp_path / "a", tiny("bu3dfe"), progress=False)
    assert again.skipped_complete == ["F0001"] and again.written == ["M0001"]
    assert files_of(tmp_path / "a") == first


def test_families_make_other_people_and_meshes_from_the_same_seed(tmp_path):
    base = generate_dataset(tmp_path / "base", tiny("bu3dfe", "base"), progress=False)
    rbf = generate_dataset(tmp_path / "rbf", tiny("bu3dfe"), progress=False)
    assert base.subjects == rbf.subjects and base.vertices != rbf.vertices
    a, b = files_of(tmp_path / "base"), files_of(tmp_path / "rbf")
    assert len(a) == len(b) and not set(a.values()) & set(b.values()) - {b["subjects.csv"]}


def test_rbf_mesh_is_a_staggered_lattice_cut_by_a_sphere_around_the_nose_tip():
    base_model = face_model(make_identity(3, "F"), 60)
    person = make_identity(3, "F", family="rbf")
    model = face_model(person, 60)
    assert model.n_vertices != base_model.n_vertices
    assert np.median(edge_ratio(model)) < 1.3 < 1.4 < np.median(edge_ratio(base_model))
    tip = np.array([0.0, 0.0, tip_z(person)])
    upper = rim(model)[rim(model)[:, 1] > 20.0]  # above the jaw line the sphere alone cuts
    distance = np.linalg.norm(upper - tip, axis=1)
    assert np.abs(distance - person.crop_radius).max() < 3.0 * model.spacing


def edge_ratio(model) -> np.ndarray:
    """Longest over shortest edge of every triangle (1 for equilateral, √2 for half squares)."""
    corners = model.template[model.faces][:, :, :2]
    edges = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2)
    return edges.max(axis=1) / edges.min(axis=1)


def rim(model) -> np.ndarray:
    """Vertices on the mesh boundary (on an edge that only one triangle uses)."""
    edges = np.sort(np.concatenate([model.faces[:, [a, b]] for a, b in ((0, 1), (1, 2), (2, 0))]))
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    return model.template[np.unique(unique[counts == 1])]


def test_landmarks_keep_their_meaning_in_both_families():
    for family in FAMILY_NAMES:
        for seed in range(4):
            marks = make_face(make_identity(seed, family=family), resolution=RES).landmarks
            assert marks.shape == (83, 3), family
            assert marks[41, 2] == pytest.approx(marks[:, 2].max(), abs=2.0)  # nose tip in front
            assert marks[8, 0] > marks[0, 0] and marks[54, 0] > marks[48, 0]  # left is +x
            assert marks[26, 1] > marks[8, 1] > marks[41, 1] > marks[51, 1] > marks[75, 1]


def people(family: str) -> list:
    return [make_identity(seed, "FM"[seed % 2], family=family) for seed in range(PEOPLE)]


def change(family: str, emotion: str, intensity: float = 4.0) -> list[tuple]:
    """``(expression, neutral)`` landmarks ``(83, 3)`` of each of :data:`PEOPLE` people."""
    out = []
    for person in people(family):
        neutral = make_face(person, "neutral", resolution=RES, texture_size=16).landmarks
        moved = make_face(person, emotion, intensity, resolution=RES, texture_size=16).landmarks
        out.append((moved, neutral))
    return out


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_happiness_raises_and_widens_the_mouth_corners(family):
    for moved, neutral in change(family, "happiness"):
        assert (moved[CORNERS, 1] > neutral[CORNERS, 1] + 1.5).all()
        assert moved[54, 0] - moved[48, 0] > neutral[54, 0] - neutral[48, 0] + 3.0


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_surprise_raises_the_brows_and_drops_the_jaw(family):
    for moved, neutral in change(family, "surprise"):
        assert moved[BROWS, 1].mean() > neutral[BROWS, 1].mean() + 2.0
        assert moved[CHIN, 1] < neutral[CHIN, 1] - 4.0
        lips = lambda m: m[UPPER_LIP, 1] - m[LOWER_LIP, 1]  # noqa: E731
        assert lips(moved) > lips(neutral) + 3.0


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_anger_lowers_the_inner_brows_and_draws_them_together(family):
    for moved, neutral in change(family, "anger"):
        assert (moved[INNER_BROWS, 1] < neutral[INNER_BROWS, 1] - 1.0).all()
        assert moved[26, 0] - moved[16, 0] < neutral[26, 0] - neutral[16, 0] - 1.5


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_sadness_raises_the_inner_brows_and_lowers_the_mouth_corners(family):
    for moved, neutral in change(family, "sadness"):
        assert moved[INNER_BROWS, 1].mean() > neutral[INNER_BROWS, 1].mean() + 1.0
        assert (moved[CORNERS, 1] < neutral[CORNERS, 1] - 1.5).all()


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_disgust_raises_the_upper_lip_and_fear_stretches_the_mouth(family):
    for moved, neutral in change(family, "disgust"):
        assert moved[UPPER_LIP, 1] > neutral[UPPER_LIP, 1] + 1.0
    for moved, neutral in change(family, "fear"):
        assert moved[54, 0] - moved[48, 0] > neutral[54, 0] - neutral[48, 0] + 3.0
        assert moved[BROWS, 1].mean() > neutral[BROWS, 1].mean() + 1.0


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_people_smile_in_their_own_style_and_not_symmetrically(family):
    moves = change(family, "happiness")
    rise = np.array([moved[CORNERS, 1] - neutral[CORNERS, 1] for moved, neutral in moves])
    lift = np.array([moved[CHIN, 1] - neutral[CHIN, 1] for moved, neutral in moves])
    assert np.abs(rise[:, 1] - rise[:, 0]).max() > 0.3  # left and right corners differ
    assert np.std(rise.mean(axis=1) / lift) > 0.05 * np.abs(np.mean(rise.mean(axis=1) / lift))


def signed_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = (vertices[faces[:, k], :2] for k in range(3))
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_the_strongest_expression_a_person_makes_never_folds_the_mesh(family):
    for person in people(family):
        model = face_model(person, 80)
        assert (signed_areas(model.template, model.faces) > 0).all()
        for emotion in BASIC_EMOTIONS:
            amount = 1.1 * person.gain(emotion)  # intensity 4 at the top of the scan jitter
            moved = model.template + family_of(person).displacement(model, emotion, amount)
            assert (signed_areas(moved, model.faces) > 0).all(), (family, emotion)


def test_every_expression_the_writers_use_exists_in_the_rbf_family():
    person = make_identity(0, family="rbf")
    for expression in (*EMOTIONS, "embarrassment", "pain", "au12", "au22_25"):
        assert make_face(person, expression, 4, resolution=RES, texture_size=16).vertices.size
    with pytest.raises(ValueError, match="unknown expression"):
        make_face(person, "joy", resolution=RES)


def test_rbf_skin_darkens_with_melanin_and_reddens_with_blood():
    light, dark = skin_colour(0.1, 0.5), skin_colour(0.8, 0.5)
    assert (dark < light).all() and light[2] < light[0]
    pale, flushed = skin_colour(0.2, 0.2), skin_colour(0.2, 0.9)
    assert flushed[0] / flushed[1] > pale[0] / pale[1]
    texture = make_face(
        make_identity(5, "M", family="rbf"), resolution=RES, texture_size=64
    ).texture
    assert texture.shape == (64, 64, 3) and texture.std() > 5


def test_cli_chooses_the_family_by_flag_or_config_key(tmp_path, capsys):
    flag = ["synth", str(tmp_path / "a"), "--family", "rbf", "--subjects", "1"]
    assert main([*flag, "--resolution", "16", "--workers", "1", "--quiet"]) == 0
    assert "(rbf faces)" in capsys.readouterr().out
    keyed = ["synth", str(tmp_path / "b"), "--subjects", "1", "--set", "synth.family=rbf"]
    assert main([*keyed, "--set", "synth.resolution=16", "--quiet"]) == 0
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert main(["synth", str(tmp_path / "c"), "--set", "synth.family=blobs", "--quiet"]) != 0
    assert "family" in capsys.readouterr().err


def test_a_state_file_from_before_families_resumes_as_the_base_family(tmp_path):
    first = generate_dataset(tmp_path, tiny("bu3dfe", "base", subjects=1), progress=False)
    state = json.loads((tmp_path / "synth.json").read_text())
    del state["config"]["family"]
    (tmp_path / "synth.json").write_text(json.dumps(state))
    again = generate_dataset(tmp_path, tiny("bu3dfe", "base", subjects=1), progress=False)
    assert again.skipped_complete == first.subjects and not again.written


def test_unknown_family_is_rejected():
    with pytest.raises(ValueError, match="unknown face family"):
        get_family("blobs")

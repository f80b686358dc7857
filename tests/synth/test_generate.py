"""On-disk synthetic datasets: exact names, parseable formats, determinism, resume."""

import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from affectvlm.synth import SynthConfig, SynthError, generate_dataset

GRAMMARS = {
    "bu3dfe": r"[FM]\d{4}/[FM]\d{4}_(NE00|(AN|DI|FE|HA|SA|SU)0[1-4])(WH|BL|AE|AM|LA|IN)_F3D"
    r"\.(wrl|bmp|bnd)",
    "bu4dfe": r"[FM]\d{3}/(Angry|Disgust|Fear|Happy|Sad|Surprise)/\d{3}\.(wrl|jpg)",
    "bosphorus": r"bs\d{3}/bs\d{3}_(N_N|E_(ANGER|DISGUST|FEAR|HAPPY|SADNESS|SURPRISE)"
    r"|LFAU_12LW|CAU_A22A25|YR_R90)_\d\.(bnt|png|lm3|lm2)",
    "bp4d": r"([FM]\d{3}/T[1-8]/\d{4}\.(obj|mtl|jpg)|AUCoding/AU_OCC/[FM]\d{3}_T[1-8]\.csv)",
}
ROOT_FILES = {"subjects.csv", "synth.json"}


def tiny(dataset: str, **kw) -> SynthConfig:
    base = {"dataset": dataset, "subjects": 2, "resolution": 16, "frames": 5, "texture_size": 32}
    return SynthConfig(**{**base, "workers": 1, **kw})


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module", params=sorted(GRAMMARS))
def generated(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    report = generate_dataset(root, tiny(request.param), progress=False)
    return request.param, root, report


def test_every_file_name_follows_the_dataset_grammar(generated):
    dataset, root, report = generated
    assert report.ok and report.written == report.subjects
    names = set(files_of(root)) - ROOT_FILES
    bad = [n for n in names if not re.fullmatch(GRAMMARS[dataset], n)]
    assert not bad and not any(".tmp" in n for n in names)
    assert report.files == len(names)


def test_expected_file_counts_per_dataset(generated):
    dataset, root, _ = generated
    names = set(files_of(root)) - ROOT_FILES
    expected = {"bu3dfe": 2 * 25 * 3, "bu4dfe": 2 * 6 * 5 * 2, "bosphorus": 2 * 10 * 4}
    expected["bp4d"] = 2 * 8 * (5 * 3 + 1)
    assert len(names) == expected[dataset]


def test_subjects_csv_is_consistent_with_the_names(generated):
    dataset, root, report = generated
    lines = (root / "subjects.csv").read_text().splitlines()
    assert lines[0] == "subject,sex,ethnicity,age"
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == report.subjects
    for subject, sex, ethnicity, age in rows:
        assert sex in "FM" and 18 <= int(age) <= 70 and ethnicity in "WH BL AE AM LA IN"
        if dataset != "bosphorus":
            assert subject[0] == sex
        if dataset == "bu3dfe":
            assert all(p.name[10:12] == ethnicity for p in (root / subject).iterdir())


def _vrml_lists(text: str) -> tuple[np.ndarray, np.ndarray]:
    points = re.search(r"point \[\n(.*?)\]", text, re.S).group(1).replace(",", " ")
    index = re.search(r"coordIndex \[\n(.*?)\]", text, re.S).group(1).replace(",", " ")
    return np.array(points.split(), float).reshape(-1, 3), np.array(index.split(), int)


def test_bu3dfe_wrl_and_bnd_follow_the_spec(tmp_path):
    generate_dataset(tmp_path, tiny("bu3dfe", subjects=1), progress=False)
    wrl = tmp_path / "F0001"
    stem = next(wrl.glob("*_HA04*_F3D.wrl")).name[:-4]
    text = (wrl / f"{stem}.wrl").read_text()
    assert text.startswith("#VRML V2.0 utf8\n") and "DEF Tricorder_object Transform {" in text
    assert f'url "{stem}.bmp"' in text and text.count("Viewpoint {") == 6
    points, index = _vrml_lists(text)
    assert (index.reshape(-1, 4)[:, 3] == -1).all() and index.max() == len(points) - 1
    rows = (wrl / f"{stem}.bnd").read_text().splitlines()
    assert len(rows) == 83 and all(len(r.split("\t\t")) == 4 for r in rows)
    bnd = np.array([r.split() for r in rows], float)
    np.testing.assert_allclose(points[bnd[:, 0].astype(int)], bnd[:, 1:], atol=1e-9)
    assert (wrl / f"{stem}.bmp").read_bytes()[:2] == b"BM"


def test_bu4dfe_frames_use_group_and_comma_separated_indices(tmp_path):
    generate_dataset(tmp_path, tiny("bu4dfe", subjects=1), progress=False)
    text = (tmp_path / "F001" / "Happy" / "002.wrl").read_text()
    assert text.startswith("#VRML V2.0 utf8\n") and "\nGroup {" in text and "Transform" not in text
    assert re.search(r"^\d+, \d+, \d+, -1,$", text, re.M) and 'url "002.jpg"' in text
    assert (tmp_path / "F001" / "Happy" / "002.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_bosphorus_bnt_has_the_documented_layout(tmp_path):
    generate_dataset(tmp_path, tiny("bosphorus", subjects=1), progress=False)
    folder = tmp_path / "bs000"
    data = (folder / "bs000_E_HAPPY_0.bnt").read_bytes()
    rows, cols, zmin, length = struct.unpack_from("<HHdH", data)
    name = data[14 : 14 + length].decode("ascii")
    (count,) = struct.unpack_from("<I", data, 14 + length)
    assert zmin == -1e9 and name == "bs000_E_HAPPY_0.png" and count == 5 * rows * cols
    assert len(data) == 18 + length + 8 * count
    x, y, z, u, v = np.frombuffer(data, "<f8", offset=18 + length).reshape(5, rows, cols)
    valid = z != zmin
    assert 0.3 < valid.mean() < 0.95 and (x[~valid] == zmin).all()
    half = rows // 2
    assert y[half:][valid[half:]].mean() > y[:half][valid[:half]].mean() + 30  # row 0 = chin
    assert u.min() >= 0 and u.max() <= 1 and v[0, 0] == 1.0 and v[-1, 0] == 0.0  # bottom→top
    lm3 = (folder / "bs000_E_HAPPY_0.lm3").read_text().splitlines()
    assert lm3[:3] == ["# 3D Landmark File", "", "22 landmarks:"] and len(lm3) == 3 + 44
    lm2 = (folder / "bs000_E_HAPPY_0.lm2").read_text().splitlines()
    assert lm2[:5] == ["# 2D Landmark File", "", "22 landmarks", "", "Labels:"]
    tip = np.array(lm3[lm3.index("Nose tip") + 1].split(), float)
    grid = np.stack([x, y, z], axis=2)[valid]
    assert np.abs(grid - tip).sum(axis=1).min() < 1e-6  # landmarks lie on grid vertices


def test_bosphorus_side_view_drops_hidden_cells_and_landmarks(tmp_path):
    generate_dataset(tmp_path, tiny("bosphorus", subjects=1), progress=False)
    folder = tmp_path / "bs000"
    count = lambda stem: int((folder / f"{stem}.lm3").read_text().splitlines()[2].split()[0])  # noqa: E731
    assert count("bs000_YR_R90_0") < count("bs000_N_N_0") == 22


def test_bp4d_obj_mtl_and_au_csv(tmp_path):
    generate_dataset(tmp_path, tiny("bp4d", subjects=1, bp4d_tasks=["T1", "T4"]), progress=False)
    objs = sorted((tmp_path / "F001" / "T1").glob("*.obj"))
    text = objs[0].read_text()
    stem = objs[0].stem
    assert f"mtllib {stem}.mtl" in text and re.search(r"^f \d+/\d+ \d+/\d+ \d+/\d+$", text, re.M)
    assert f"map_Kd {stem}.jpg" in (objs[0].with_suffix(".mtl")).read_text()
    lines = (tmp_path / "AUCoding/AU_OCC/F001_T1.csv").read_text().splitlines()
    assert lines[0] == "Frame,1,2,4,6,7,10,12,14,15,17,23,24"
    table = np.array([r.split(",") for r in lines[1:]], int)
    assert [int(o.stem) for o in objs] == table[:, 0].tolist()
    assert set(np.unique(table[:, 1:])) <= {0, 1} and table[:, 7].max() == 1  # AU12 in T1
    assert table[:, [1, 2, 3]].max() == 0  # no brow AUs in amusement


def test_same_seed_gives_identical_bytes_whatever_the_worker_count(tmp_path):
    a = generate_dataset(tmp_path / "a", tiny("bu3dfe", workers=1), progress=False)
    b = generate_dataset(tmp_path / "b", tiny("bu3dfe", workers=2), progress=False)
    assert a.ok and b.ok
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_another_seed_gives_other_faces(tmp_path):
    generate_dataset(tmp_path / "a", tiny("bosphorus"), progress=False)
    generate_dataset(tmp_path / "b", tiny("bosphorus", seed=1), progress=False)
    a, b = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a["bs000/bs000_N_N_0.bnt"] != b["bs000/bs000_N_N_0.bnt"]


def test_rerun_skips_complete_subjects_and_other_settings_are_refused(tmp_path):
    first = generate_dataset(tmp_path, tiny("bu3dfe"), progress=False)
    (tmp_path / "M0001" / next((tmp_path / "M0001").iterdir()).name).unlink()
    state = json.loads((tmp_path / "synth.json").read_text())
    state["completed"].remove("M0001")  # as if the run was killed while writing M0001
    (tmp_path / "synth.json").write_text(json.dumps(state))
    second = generate_dataset(tmp_path, tiny("bu3dfe", workers=2), progress=False)
    assert second.skipped_complete == ["F0001"] and second.written == ["M0001"]
    assert second.files == first.files // 2
    assert len(list((tmp_path / "M0001").iterdir())) == 75
    with pytest.raises(SynthError, match="resolution"):
        generate_dataset(tmp_path, tiny("bu3dfe", resolution=20), progress=False)


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="subjects"):
        SynthConfig(subjects=0)
    with pytest.raises(ValueError, match="resolution"):
        SynthConfig(resolution=5)

import json
from pathlib import Path

import pytest

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.index import (
    format_summary,
    index_dataset,
    manifest_root,
    read_metadata,
    report_path,
    write_index,
)
from affectvlm.io.layouts import (
    MANIFEST_COLUMNS,
    ManifestError,
    SampleRecord,
    read_manifest,
    write_manifest,
)
from affectvlm.io.layouts.record import record_to_row

BU3DFE = [
    "F0001/F0001_NE00WH_F3D.wrl",
    "F0001/F0001_HA04WH_F3D.wrl",
    "F0001/F0001_HA04WH_F3D.bmp",
    "M0001/M0001_SA03BL_F3D.wrl",
    "M0001/M0001_SA03BL_F3D.bnd",
    "M0001/M0001_SA09BL_F3D.wrl",
]
BOSPHORUS = ["bs000/bs000_E_HAPPY_0.bnt", "bs000/bs000_LFAU_12LW_0.bnt", "bs001/bs001_N_N_0.bnt"]


def test_index_without_validation_lists_records_skips_and_summary(tree):
    result = index_dataset(tree(BU3DFE), "bu3dfe", validate=False, progress=False)
    assert [r.path for r in result.records] == [
        "F0001/F0001_HA04WH_F3D.wrl",
        "F0001/F0001_NE00WH_F3D.wrl",
        "M0001/M0001_SA03BL_F3D.wrl",
    ]
    assert result.skipped == [
        ("M0001/M0001_SA09BL_F3D.wrl", "intensity '09' of SA is not 01-04 (00 goes with NE only)")
    ]
    summary = result.summary()
    assert summary["per_emotion"] == {"neutral": 1, "happiness": 1, "sadness": 1}
    assert summary["subjects"] == 2
    assert summary["subjects_by_sex"] == {"F": 1, "M": 1}
    assert summary["companions"] == {"F3D.bmp": 1, "F3D.bnd": 1}


def test_index_counts_non_sample_files_by_class(tree):
    result = index_dataset(tree(BOSPHORUS), "bosphorus", validate=False, progress=False)
    assert result.non_sample_counts == {"au": 1}
    assert [r.emotion for r in result.samples] == ["happiness", "neutral"]
    text = format_summary(result)
    assert "non-sample files by class: au 1" in text
    assert "per emotion: neutral 1, happiness 1" in text


def test_index_rejects_an_unknown_dataset(tree):
    with pytest.raises(ValueError, match="unknown dataset 'bu5dfe'"):
        index_dataset(tree(BU3DFE), "bu5dfe", validate=False)


def test_validation_skips_samples_the_reader_rejects_and_goes_on(tree):
    def validator(path: Path, record):
        assert path.is_file()
        if "HA04" in record.path:
            raise ScanFormatError(path, "coordIndex out of range")
        if "SA03" in record.path:
            raise IndexError("reader bug")

    result = index_dataset(tree(BU3DFE), "bu3dfe", validator=validator, progress=False)
    assert [r.path for r in result.records] == ["F0001/F0001_NE00WH_F3D.wrl"]
    reasons = dict(result.skipped)
    assert reasons["F0001/F0001_HA04WH_F3D.wrl"] == "coordIndex out of range"
    assert reasons["M0001/M0001_SA03BL_F3D.wrl"] == "unexpected IndexError in reader: reader bug"


def test_default_subjects_csv_fills_age_and_sex_and_warns_on_conflicts(tree):
    root = tree(BOSPHORUS + BU3DFE[:2])
    (root / "subjects.csv").write_text(
        "subject,sex,ethnicity,age,notes\nbs000,female,,34,x\nbs001,M,WH,51,\n", encoding="utf-8"
    )
    result = index_dataset(root, "bosphorus", validate=False, progress=False)
    assert {(r.subject, r.sex, r.ethnicity, r.age) for r in result.records} == {
        ("bs000", "F", "", "34"),
        ("bs001", "M", "WH", "51"),
    }
    assert result.metadata.endswith("subjects.csv")

    (root / "subjects.csv").write_text("subject,sex,age\nF0001,M,20\n", encoding="utf-8")
    result = index_dataset(root, "bu3dfe", validate=False, progress=False)
    assert all(r.sex == "F" and r.age == "20" for r in result.records)
    assert result.warnings == ["subject F0001: metadata sex 'M', name 'F'"]


def test_explicit_metadata_reports_subjects_without_a_row(tree, tmp_path):
    meta = tmp_path / "ages.csv"
    meta.write_text("subject,age\nF0001,40\n", encoding="utf-8")
    result = index_dataset(tree(BU3DFE), "bu3dfe", validate=False, metadata=meta, progress=False)
    assert "1 subject(s) have no metadata row: M0001" in result.warnings


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("name,age\nF0001,3\n", "lacks column"),
        ("subject,sex\nF0001,X\n", "line 2: sex 'X'"),
        ("subject,age\nF0001,1\nF0001,2\n", "line 3: subject F0001 listed twice"),
        ("subject,age\n,1\n", "line 2: empty subject"),
    ],
)
def test_bad_metadata_csv_raises_naming_file_and_fault(tmp_path, text, reason):
    path = tmp_path / "meta.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=reason) as info:
        read_metadata(path)
    assert info.value.path == path


def test_manifest_round_trip_keeps_every_field(tree, tmp_path):
    root = tree(["F001/T4/0001.obj", "F001/T4/0003.obj", "F001/T1/0001.obj", "F001/T1/0001.jpg"])
    result = index_dataset(root, "bp4d", validate=False, progress=False)
    result.records[0].age = "22"
    path = write_manifest(tmp_path / "m.csv", result.records)
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header) == MANIFEST_COLUMNS
    assert header[:10] == [
        "path", "dataset", "subject", "sex", "ethnicity", "age", "emotion", "intensity",
        "task", "frames",
    ]  # fmt: skip
    assert read_manifest(path) == result.records
    assert result.records[1].notes == ["frame gaps: 2", "no .jpg for frames 1, 3"]


def test_write_index_writes_a_report_beside_the_manifest(tree, tmp_path):
    root = tree(BU3DFE)
    result = index_dataset(root, "bu3dfe", validate=False, progress=False)
    manifest, report = write_index(tmp_path / "out" / "bu3dfe.csv", result)
    assert report == report_path(manifest) == tmp_path / "out" / "bu3dfe.csv.report.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["samples"] == 3
    assert data["skipped"][0]["path"] == "M0001/M0001_SA09BL_F3D.wrl"
    assert manifest_root(manifest) == root.resolve()
    assert not list((tmp_path / "out").glob(".*tmp"))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(MANIFEST_COLUMNS)] + [",".join(r[c] for c in MANIFEST_COLUMNS) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = SampleRecord("F0001/a.wrl", "bu3dfe", "F0001", "anger", "AN03", "emotion", intensity=3)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"dataset": "bu9dfe"}, "line 3: dataset 'bu9dfe'"),
        ({"intensity": "high"}, "line 3: column 'intensity': 'high' is not an integer"),
        ({"emotion": "joy"}, "line 3: emotion 'joy'"),
        ({"emotion": ""}, "line 3: category 'emotion' does not fit emotion ''"),
        ({"sex": "X"}, "line 3: sex 'X'"),
        ({"frames": "0"}, "line 3: frames must be >= 1"),
        ({"subject": ""}, "line 3: empty 'subject'"),
    ],
)
def test_read_manifest_rejects_bad_rows_naming_line_and_fault(tmp_path, change, reason):
    row = record_to_row(GOOD)
    path = write_rows(tmp_path / "m.csv", [row, {**row, **change}])
    with pytest.raises(ManifestError, match=reason):
        read_manifest(path)


def test_read_manifest_rejects_a_header_without_required_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("path,dataset\nx,bu3dfe\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"lacks column.*subject"):
        read_manifest(path)


def test_read_manifest_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(ManifestError, match=r"m\.csv: no such file"):
        read_manifest(tmp_path / "m.csv")

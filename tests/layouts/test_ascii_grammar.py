"""Dataset file-name grammars take ASCII digits only (``\\d`` also matches ``０١٢`` …)."""

from __future__ import annotations

import pytest

from affectvlm.io import ScanFormatError, read_sequence
from affectvlm.io.layouts import GrammarError, bosphorus, bp4d, bu3dfe, bu4dfe

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("digits", [FULL_WIDTH, ARABIC_INDIC])
def test_bu3dfe_subject_with_unicode_digits_is_rejected(digits):
    assert bu3dfe.parse_name("M0128_NE00WH_F3D.wrl").subject == "M0128"
    with pytest.raises(GrammarError, match="is not F/M \\+ 4 digits"):
        bu3dfe.parse_name("M" + "0128".translate(digits) + "_NE00WH_F3D.wrl")


@pytest.mark.parametrize("digits", [FULL_WIDTH, ARABIC_INDIC])
def test_bosphorus_subject_with_unicode_digits_is_rejected(digits):
    with pytest.raises(GrammarError, match="is not bs \\+ 3 digits"):
        bosphorus.parse_name("bs" + "000".translate(digits) + "_N_N_0.bnt")
    with pytest.raises(GrammarError, match="repetition"):
        bosphorus.parse_name("bs000_N_N_" + "0".translate(digits) + ".bnt")


@pytest.mark.parametrize("layout", [bu4dfe, bp4d])
def test_sequence_subject_folders_take_ascii_digits_only(layout):
    assert layout.SUBJECT.fullmatch("F001")
    assert not layout.SUBJECT.fullmatch("F" + "001".translate(FULL_WIDTH))


@pytest.mark.parametrize("layout", [bu4dfe, bp4d])
def test_frame_numbers_take_ascii_digits_only(layout):
    assert layout.FRAMES.number.fullmatch("001")
    assert not layout.FRAMES.number.fullmatch("001".translate(FULL_WIDTH))


def test_walk_skips_a_full_width_subject_folder_with_the_reason(tree):
    bad = "M" + "0128".translate(FULL_WIDTH)
    root = tree([f"{bad}/M0128_NE00WH_F3D.wrl", "M0128/M0128_NE00WH_F3D.wrl"])
    result = bu3dfe.walk(root)
    assert [r.subject for r in result.records] == ["M0128"]
    assert any(path == f"{bad}/" and "not a subject id" in why for path, why in result.skipped)


def test_walk_rejects_a_sequence_with_a_full_width_frame_name(tree):
    frame = "001".translate(FULL_WIDTH) + ".wrl"
    result = bu4dfe.walk(tree(["F001/Angry/000.wrl", f"F001/Angry/{frame}"]))
    assert result.records == []
    assert any("is not named NNN.wrl" in why for _, why in result.skipped)


def test_read_sequence_rejects_full_width_frame_names(tmp_path):
    frame = "001".translate(FULL_WIDTH) + ".wrl"
    for name in ("000.wrl", frame):
        (tmp_path / name).write_bytes(b"#VRML V2.0 utf8\n")
    with pytest.raises(ScanFormatError, match=f"non-numeric frame names: {frame}") as info:
        read_sequence(tmp_path)
    assert info.value.path == tmp_path


@pytest.mark.parametrize("cell", ["٣", "3_0", "３"])
def test_manifest_integer_cells_take_ascii_digits_only(tmp_path, cell):
    from affectvlm.io.layouts.manifest import ManifestError, read_manifest, write_manifest
    from affectvlm.io.layouts.record import SampleRecord

    record = SampleRecord(
        path="F0001/F0001_HA03WH_F3D.wrl",
        dataset="bu3dfe",
        subject="F0001",
        emotion="happiness",
        expression="HA03",
        category="emotion",
        intensity=3,
    )
    path = write_manifest(tmp_path / "m.csv", [record])
    assert read_manifest(path)[0].intensity == 3
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("intensity")] = cell
    path.write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="line 2: column 'intensity'"):
        read_manifest(path)

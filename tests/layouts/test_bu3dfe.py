import pytest

from affectvlm.io.layouts import GrammarError, SampleRecord, bu3dfe


def test_parse_name_reads_every_field_of_an_emotion_file():
    name = bu3dfe.parse_name("F0001_AN01WH_F3D.wrl")
    assert name == bu3dfe.BU3DFEName("F0001", "AN01", "anger", 1, "WH", "F3D.wrl")
    assert name.scan_id == "F0001_AN01WH"


def test_parse_name_reads_neutral_and_companion_kinds():
    assert bu3dfe.parse_name("M0044_NE00AM_F3D.bnd").emotion == "neutral"
    assert bu3dfe.parse_name("M0044_NE00AM_F3D.bnd").intensity == 0
    assert bu3dfe.parse_name("F0003_SU04LA_RAW.pse").kind == "RAW.pse"
    assert bu3dfe.parse_name("F0003_HA02IN_F2D.bmp").emotion == "happiness"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("F0001_NE01WH_F3D.wrl", "NE takes intensity 00"),
        ("F0001_AN00WH_F3D.wrl", "00 goes with NE only"),
        ("F0001_AN05WH_F3D.wrl", "not 01-04"),
        ("F0001_XX01WH_F3D.wrl", "unknown expression code 'XX'"),
        ("F0001_an01WH_F3D.wrl", "unknown expression code 'an'"),
        ("F0001_AN01ZZ_F3D.wrl", "unknown ethnicity code 'ZZ'"),
        ("F0001_AN01WH_F4D.wrl", "unknown file kind 'F4D'"),
        ("F0001_AN01WH_F2D.wrl", "does not go with F2D"),
        ("F0001_AN01WH_F3D.WRL", "does not go with F3D"),
        ("X0001_AN01WH_F3D.wrl", "subject 'X0001'"),
        ("F001_AN01WH_F3D.wrl", "subject 'F001'"),
        ("F0001_AN1WH_F3D.wrl", "6 characters"),
        ("F0001_AN01WH.wrl", "is not <subject>"),
        ("F0001_AN01WH_F3D", "is not <subject>"),
    ],
)
def test_parse_name_rejects_bad_forms_with_the_reason(name, reason):
    with pytest.raises(GrammarError, match=reason):
        bu3dfe.parse_name(name)


def test_walk_gives_one_exact_record_per_f3d_wrl_and_counts_companions(tree):
    root = tree(
        [
            "F0001/F0001_AN03WH_F3D.wrl",
            "F0001/F0001_AN03WH_F3D.bmp",
            "F0001/F0001_AN03WH_F3D.bnd",
            "F0001/F0001_AN03WH_RAW.wrl",
            "M0002/M0002_NE00BL_F3D.wrl",
            "M0002/M0002_NE00BL_F3D.bmp",
            "M0002/M0002_NE00BL_F3D.bnd",
        ]
    )
    out = bu3dfe.walk(root)
    assert out.records == [
        SampleRecord(
            path="F0001/F0001_AN03WH_F3D.wrl",
            dataset="bu3dfe",
            subject="F0001",
            sex="F",
            ethnicity="WH",
            emotion="anger",
            intensity=3,
            expression="AN03",
            category="emotion",
        ),
        SampleRecord(
            path="M0002/M0002_NE00BL_F3D.wrl",
            dataset="bu3dfe",
            subject="M0002",
            sex="M",
            ethnicity="BL",
            emotion="neutral",
            intensity=0,
            expression="NE00",
            category="neutral",
        ),
    ]
    assert out.skipped == []
    assert dict(out.companions) == {"F3D.bmp": 2, "F3D.bnd": 2, "RAW.wrl": 1}


def test_walk_skips_every_bad_entry_with_its_reason(tree):
    root = tree(
        [
            "F0001/F0001_HA04WH_F3D.wrl",
            "F0001/F0001_HA05WH_F3D.wrl",
            "F0001/M0009_HA01WH_F3D.wrl",
            "F0001/notes.txt",
            "F0001/extra/",
            "F0001/F0001_SA01WH_F3D.bmp",
            "f0002/F0002_HA01WH_F3D.wrl",
            "README.txt",
        ]
    )
    out = bu3dfe.walk(root)
    assert [r.path for r in out.records] == ["F0001/F0001_HA04WH_F3D.wrl"]
    reasons = dict(out.skipped)
    assert set(reasons) == {
        "F0001/F0001_HA05WH_F3D.wrl",
        "F0001/M0009_HA01WH_F3D.wrl",
        "F0001/notes.txt",
        "F0001/extra/",
        "F0001/F0001_SA01WH_F3D.bmp",
        "f0002/",
        "README.txt",
    }
    assert "not 01-04" in reasons["F0001/F0001_HA05WH_F3D.wrl"]
    assert "subject M0009 in folder F0001" in reasons["F0001/M0009_HA01WH_F3D.wrl"]
    assert "no F3D.wrl sample" in reasons["F0001/F0001_SA01WH_F3D.bmp"]
    assert "not a subject id" in reasons["f0002/"]
    assert "outside the subject folders" in reasons["README.txt"]


def test_walk_notes_missing_texture_and_landmarks(tree):
    out = bu3dfe.walk(tree(["F0001/F0001_DI02AE_F3D.wrl", "F0001/F0001_DI02AE_F3D.bnd"]))
    assert out.records[0].notes == ["missing F3D.bmp (texture)"]


def test_walk_ignores_metadata_and_hidden_files_and_warns_on_mixed_ethnicity(tree):
    root = tree(
        [
            "subjects.csv",
            ".DS_Store",
            "F0001/.F0001_AN01WH_F3D.wrl.tmp",
            "F0001/F0001_AN01WH_F3D.wrl",
            "F0001/F0001_AN02BL_F3D.wrl",
        ]
    )
    out = bu3dfe.walk(root)
    assert out.skipped == []
    assert {p for p, _ in out.ignored} == {
        "subjects.csv",
        ".DS_Store",
        "F0001/.F0001_AN01WH_F3D.wrl.tmp",
    }
    assert out.warnings == ["subject F0001 has several ethnicity codes: BL, WH"]


def test_walk_of_a_missing_root_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        bu3dfe.walk(tmp_path / "nope")

"""index with validate=True on tiny real files, read by the real format readers."""

import json
import struct

from affectvlm.io.index import format_summary, index_dataset, report_path

TRIANGLE_WRL = """#VRML V2.0 utf8
DEF obj Transform { children [ Shape {
  appearance Appearance { texture ImageTexture { url "{stem}.bmp" } }
  geometry IndexedFaceSet {
    coord Coordinate { point [ 0 0 0, 1 0 0, 0 1 0 ] }
    coordIndex [ 0, 1, 2, -1 ]
    texCoord TextureCoordinate { point [ 0 0, 1 0, 0 1 ] }
    texCoordIndex [ 0, 1, 2, -1 ]
  } } ] }
"""


def write_wrl(path, text=TRIANGLE_WRL):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("{stem}", path.stem), encoding="utf-8")


def test_bu3dfe_validation_keeps_good_scans_and_skips_malformed_ones(tmp_path):
    root = tmp_path / "bu3dfe"
    write_wrl(root / "F0001" / "F0001_NE00WH_F3D.wrl")
    write_wrl(root / "F0001" / "F0001_AN01WH_F3D.wrl", "#VRML V1.0 ascii\nSeparator { }\n")
    write_wrl(root / "F0001" / "F0001_AN02WH_F3D.wrl", TRIANGLE_WRL.replace(", 2, -1", ", 7, -1"))
    result = index_dataset(root, "bu3dfe", progress=False)
    assert [r.path for r in result.records] == ["F0001/F0001_NE00WH_F3D.wrl"]
    reasons = dict(result.skipped)
    assert set(reasons) == {"F0001/F0001_AN01WH_F3D.wrl", "F0001/F0001_AN02WH_F3D.wrl"}
    assert "VRML" in reasons["F0001/F0001_AN01WH_F3D.wrl"]
    assert "coordIndex" in reasons["F0001/F0001_AN02WH_F3D.wrl"]


BNT_BLOCKS = (
    (-1e9, 1, 0, 1),  # x
    (-1e9, 0, 1, 1),  # y
    (-1e9, 0, 0, 0),  # z
    (0, 1, 0, 1),  # u
    (1, 1, 0, 0),  # v
)


def bnt_bytes(name: str) -> bytes:
    """The FORMATS §3.5 fixture: a 2×2 grid with one background cell."""
    values = [v for block in BNT_BLOCKS for v in block]
    head = struct.pack("<HHdH", 2, 2, -1e9, len(name)) + name.encode("ascii")
    return head + struct.pack("<I", 20) + struct.pack("<20d", *values)


def test_bosphorus_validation_skips_a_truncated_bnt(tmp_path):
    folder = tmp_path / "bos" / "bs000"
    folder.mkdir(parents=True)
    (folder / "bs000_N_N_0.bnt").write_bytes(bnt_bytes("bs000_N_N_0.png"))
    (folder / "bs000_E_HAPPY_0.bnt").write_bytes(bnt_bytes("bs000_E_HAPPY_0.png")[:-8])
    result = index_dataset(tmp_path / "bos", "bosphorus", progress=False)
    assert [r.path for r in result.records] == ["bs000/bs000_N_N_0.bnt"]
    ((path, reason),) = result.skipped
    assert path == "bs000/bs000_E_HAPPY_0.bnt" and "truncated" in reason


def test_bu4dfe_validation_reads_sequences_and_skips_a_bad_last_frame(tmp_path):
    root = tmp_path / "bu4dfe"
    for frame in range(3):
        write_wrl(root / "F001" / "Happy" / f"{frame:03d}.wrl")
        write_wrl(root / "F001" / "Sad" / f"{frame:03d}.wrl")
    write_wrl(root / "F001" / "Sad" / "002.wrl", "#VRML V2.0 utf8\nGroup { children [ Shape {")
    result = index_dataset(root, "bu4dfe", progress=False)
    assert [(r.path, r.frames) for r in result.records] == [("F001/Happy", 3)]
    ((path, reason),) = result.skipped
    assert path == "F001/Sad" and not reason.startswith("unexpected")


def test_bp4d_validation_reads_obj_sequences_and_skips_a_bad_first_frame(tmp_path):
    root = tmp_path / "bp4d"
    good = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    for task in ("T1", "T4"):
        for frame in (1, 2):
            path = root / "M001" / task / f"{frame:04d}.obj"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(good, encoding="utf-8")
    (root / "M001" / "T4" / "0001.obj").write_text(good.replace("f 1 2 3", "f 1 2 9"))
    result = index_dataset(root, "bp4d", progress=False)
    assert [(r.path, r.emotion, r.frames) for r in result.records] == [("M001/T1", "happiness", 2)]
    ((path, reason),) = result.skipped
    assert path == "M001/T4" and not reason.startswith("unexpected")


def _sequence_with_a_bad_middle_frame(root):
    for frame in range(3):
        write_wrl(root / "F001" / "Happy" / f"{frame:03d}.wrl")
        write_wrl(root / "F001" / "Sad" / f"{frame:03d}.wrl")
    bad = TRIANGLE_WRL.replace(", 2, -1", ", 7, -1")  # face index past the 3 points
    write_wrl(root / "F001" / "Sad" / "001.wrl", bad)


def test_bu4dfe_validation_reads_every_frame_and_names_a_bad_middle_frame(tmp_path):
    root = tmp_path / "bu4dfe"
    _sequence_with_a_bad_middle_frame(root)
    result = index_dataset(root, "bu4dfe", progress=False)
    assert [r.path for r in result.records] == ["F001/Happy"]
    ((path, reason),) = result.skipped
    assert path == "F001/Sad" and reason.startswith("frame 001.wrl: ") and "coordIndex" in reason
    assert result.summary()["sequence_frames"] == "every frame read"
    assert "4D sequences validated: every frame read" in format_summary(result)


def test_ends_only_validation_says_plainly_that_middle_frames_were_not_read(tmp_path):
    root = tmp_path / "bu4dfe"
    _sequence_with_a_bad_middle_frame(root)
    result = index_dataset(root, "bu4dfe", progress=False, sequence_frames="ends")
    assert [r.path for r in result.records] == ["F001/Happy", "F001/Sad"]
    assert result.summary()["sequence_frames"] == "only the first and last frame read"
    text = format_summary(result)
    assert "4D sequences validated: only the first and last frame read" in text


def test_index_cli_takes_the_sequence_frames_option_and_reports_it(tmp_path, capsys):
    from affectvlm.cli import main

    root = tmp_path / "bu4dfe"
    _sequence_with_a_bad_middle_frame(root)
    out = tmp_path / "m.csv"
    args = ["index", str(root), "--dataset", "bu4dfe", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert "F001/Sad: frame 001.wrl" in capsys.readouterr().out
    assert main([*args, "--sequence-frames", "ends"]) == 0
    assert "only the first and last frame read" in capsys.readouterr().out
    report = json.loads(report_path(out).read_text())
    assert report["summary"]["sequence_frames"] == "only the first and last frame read"


def test_static_datasets_do_not_mention_sequence_frames(tmp_path):
    root = tmp_path / "bu3dfe"
    write_wrl(root / "F0001" / "F0001_NE00WH_F3D.wrl")
    result = index_dataset(root, "bu3dfe", progress=False)
    assert result.summary()["sequence_frames"] == ""
    assert "4D sequences" not in format_summary(result)

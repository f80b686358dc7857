"""4D sequence folders: frame order, gaps, missing images, lazy frames (FORMATS §2.4, §4)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import Scan, read_sequence

ANGRY = FIXTURES / "bu4dfe" / "F001" / "Angry"


def test_bu4dfe_fixture_sequence_reads_two_textured_frames_lazily():
    seq = read_sequence(ANGRY)
    assert len(seq) == 2 and seq.frame_numbers == [0, 1] and seq.fps == 25.0
    assert all(isinstance(f, type(ANGRY)) for f in seq.frames)  # paths until accessed
    frame = seq.frame(1)
    assert isinstance(frame, Scan) and frame.texture_path == ANGRY / "001.jpg"
    np.testing.assert_array_equal(frame.faces, [[0, 1, 2]])
    assert seq.notes == []


def _copy_frames(src, dst, names):
    dst.mkdir()
    for name in names:
        shutil.copy(src / name, dst / name)


def test_frames_sort_by_integer_value_and_gaps_are_noted_not_renumbered(tmp_path):
    wrl = ANGRY / "000.wrl"
    seq_dir = tmp_path / "seq"
    seq_dir.mkdir()
    for name in ("2.wrl", "10.wrl", "0003.wrl", "7.wrl"):
        shutil.copy(wrl, seq_dir / name)
        shutil.copy(ANGRY / "000.jpg", seq_dir / name.replace(".wrl", ".jpg"))
    seq = read_sequence(seq_dir, fps=30)
    assert seq.frame_numbers == [2, 3, 7, 10]
    assert [p.name for p in seq.frames] == ["2.wrl", "0003.wrl", "7.wrl", "10.wrl"]
    assert seq.notes == ["frame numbers skip 4-6, 8-9 (not renumbered)"]


def test_missing_jpg_is_reported_and_never_borrowed_from_another_frame(tmp_path):
    _copy_frames(ANGRY, tmp_path / "seq", ["000.wrl", "000.jpg", "001.wrl"])
    seq = read_sequence(tmp_path / "seq")
    assert any("no .jpg for frame(s) 1" in n for n in seq.notes)
    frame = seq.frame(1)
    assert frame.texture is None and frame.texture_path is None


def test_bp4d_obj_frames_are_read(tmp_path):
    _copy_frames(FIXTURES / "bp4d/F001/T1", tmp_path / "T1", ["0001.obj", "0001.jpg"])
    seq = read_sequence(tmp_path / "T1")
    assert seq.frame_numbers == [1] and seq.frame(0).texture is not None


@pytest.mark.parametrize(
    ("names", "match"),
    [
        ([], "no frame files"),
        (["000.wrl", "abc.wrl"], "non-numeric frame names: abc.wrl"),
        (["000.wrl", "0.wrl"], "frame 0 appears twice"),
        (["000.wrl", "001.obj"], "frames mix formats"),
    ],
)
def test_bad_sequence_folders_are_rejected(tmp_path, names, match):
    folder = tmp_path / "seq"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes((ANGRY / "000.wrl").read_bytes())
    assert_rejected(read_sequence, folder, match)

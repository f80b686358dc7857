"""Bosphorus ``.bnt`` grid reader and ``.lm3``/``.lm2`` landmarks (FORMATS §3.2–3.5)."""

from __future__ import annotations

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import read_bnt, read_bnt_grid, read_lm2, read_lm3, read_scan
from affectvlm.io.bnt import grid_triangles

BOS = FIXTURES / "bosphorus"
GOOD = BOS / "bs000" / "bs000_N_N_0.bnt"


def test_grid_is_flipped_so_row_zero_is_the_top_and_background_is_masked():
    grid = read_bnt_grid(GOOD)
    assert grid.image_name == "bs000_N_N_0.png" and grid.zmin == -1e9
    np.testing.assert_array_equal(grid.mask, [[True, True], [False, True]])
    np.testing.assert_array_equal(grid.xyz[0], [[0, 1, 0], [1, 1, 0]])  # file row 1 (y = 1)
    assert np.isnan(grid.xyz[1, 0]).all()
    np.testing.assert_array_equal(grid.uv[0], [[0, 1], [1, 1]])  # v = 1 at the image top


def test_minimal_fixture_is_one_counter_clockwise_triangle_with_uv_texture_and_landmarks():
    scan = read_bnt(GOOD)
    np.testing.assert_array_equal(scan.vertices, [[0, 1, 0], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(scan.faces, [[0, 2, 1]])
    a, b, c = scan.vertices[scan.faces[0]]
    assert np.cross(b - a, c - a)[2] > 0  # faces +z
    np.testing.assert_array_equal(scan.uv, [[0, 1], [1, 1], [1, 0]])
    np.testing.assert_array_equal(scan.uv_faces, scan.faces)
    assert scan.texture.shape == (12, 12, 3)
    assert scan.landmark_names == ["Nose tip"]
    np.testing.assert_array_equal(scan.landmarks, [[1, 1, 0]])
    assert scan.landmarks[0] in scan.vertices  # landmarks sit on grid vertices


def test_full_quads_split_in_two_and_three_corner_quads_keep_one_triangle():
    mask = np.array([[True, True, True], [True, True, False]])
    tris = grid_triangles(mask)
    assert len(tris) == 3
    assert {tuple(sorted(t)) for t in tris} == {(0, 3, 4), (0, 1, 4), (1, 2, 4)}


def test_read_scan_dispatches_bnt_by_suffix_and_by_content(tmp_path):
    assert read_scan(GOOD, load_texture=False).faces.shape == (1, 3)
    other = tmp_path / "scan.bin"
    other.write_bytes(GOOD.read_bytes())
    assert read_scan(other, load_texture=False).faces.shape == (1, 3)


MALFORMED = [
    ("bad_short.bnt", "10 bytes, shorter than the 18-byte header"),
    ("bad_name_length.bnt", "image-name length 500 runs past the end"),
    ("bad_name_ascii.bnt", "image name is not printable ASCII"),
    ("bad_count_multiple.bnt", "value count 21 is not a multiple of 5"),
    ("bad_truncated.bnt", "payload is 152 bytes but count 20 needs 160 \\(truncated\\)"),
    ("bad_trailing.bnt", "\\(trailing bytes\\)"),
    ("bad_zero_rows.bnt", "empty grid: nrows=0"),
    ("bad_grid_mismatch.bnt", "value count 20 is not 5 × nrows × ncols = 5 × 3 × 2"),
    ("bad_nan_zmin.bnt", "background marker zmin is nan"),
    ("bad_nan_coord.bnt", "NaN or infinite"),
    ("bad_all_background.bnt", "every cell is background"),
]


@pytest.mark.parametrize(("name", "match"), MALFORMED)
def test_malformed_bnt_is_rejected_naming_file_and_fault(name, match):
    assert_rejected(read_bnt, BOS / name, match)


def test_lm3_maps_labels_to_coordinates():
    points = read_lm3(BOS / "bs000" / "bs000_N_N_0.lm3")
    assert list(points) == ["Nose tip"]
    np.testing.assert_array_equal(points["Nose tip"], [1, 1, 0])


def test_lm3_free_text_block_after_star_is_skipped(tmp_path):
    path = tmp_path / "a.lm3"
    path.write_text("# 3D Landmark File\n*\nfree text 3 landmarks:\n\n1 landmarks:\nChin\n1 2 3\n")
    np.testing.assert_array_equal(read_lm3(path)["Chin"], [1, 2, 3])


def test_lm2_maps_labels_to_pixel_coordinates():
    points = read_lm2(BOS / "bs000" / "bs000_N_N_0.lm2")
    assert list(points) == ["Nose tip", "Chin middle"]
    np.testing.assert_array_equal(points["Chin middle"], [7, 11])


@pytest.mark.parametrize(
    ("reader", "name", "match"),
    [
        (read_lm3, "bad_header.lm3", "missing header '# 3D Landmark File'"),
        (read_lm3, "bad_count_line.lm3", "missing count line"),
        (read_lm3, "bad_count.lm3", "says 2 landmarks but 2 lines follow \\(expected 4"),
        (read_lm3, "bad_coord.lm3", "'Nose tip': coordinate line '1 1' is not 3 numbers"),
        (read_lm3, "bad_duplicate.lm3", "duplicate landmark label 'Nose tip'"),
        (read_lm3, "bad_nan.lm3", "NaN"),
        (read_lm2, "bad_count.lm2", "says 3 landmarks but no '2D Image coordinates:'"),
        (read_lm2, "bad_coord.lm2", "'Chin middle': coordinate line '7 11 2' is not 2 numbers"),
    ],
)
def test_malformed_landmarks_are_rejected_naming_file_and_fault(reader, name, match):
    assert_rejected(reader, BOS / name, match)

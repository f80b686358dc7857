"""``.bnd`` landmarks: doubled tabs, trailing blank line, and the §1.7 row/field/index faults."""

from __future__ import annotations

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import read_bnd

BU3 = FIXTURES / "bu3dfe"


def test_bnd_with_doubled_tabs_and_trailing_blank_line_gives_83_points():
    points, indices = read_bnd(BU3 / "F0001_NE00WH_F3D.bnd", n_vertices=3)
    assert points.shape == (83, 3) and points.dtype == np.float32
    np.testing.assert_array_equal(indices, np.zeros(83))


def test_bnd_values_and_indices_are_read_in_row_order(tmp_path):
    rows = "".join(f"{i}\t\t{i}.5 {-i} 1e-3\n" for i in range(83))
    (tmp_path / "x.bnd").write_text(rows)
    points, indices = read_bnd(tmp_path / "x.bnd")
    np.testing.assert_array_equal(indices, np.arange(83))
    np.testing.assert_allclose(points[5], [5.5, -5, 0.001])


@pytest.mark.parametrize(
    ("name", "match", "n_vertices"),
    [
        ("bad_rows.bnd", "expected 83 landmark rows, found 82", None),
        ("bad_fields.bnd", "row 41 has 3 fields, expected 4", None),
        ("bad_index.bnd", "row 83: vertex index 5 is outside the mesh \\(3 vertices\\)", 3),
    ],
)
def test_malformed_bnd_is_rejected_naming_file_and_fault(name, match, n_vertices):
    assert_rejected(read_bnd, BU3 / name, match, n_vertices=n_vertices)


def test_wrl_reader_rejects_a_sibling_bnd_that_indexes_outside_the_mesh(tmp_path):
    (tmp_path / "m.wrl").write_bytes((BU3 / "variant_quad.wrl").read_bytes())
    (tmp_path / "m.bnd").write_bytes((BU3 / "bad_index.bnd").read_bytes())
    assert_rejected(read_bnd, tmp_path / "m.bnd", "outside the mesh", n_vertices=4)
    from affectvlm.io import ScanFormatError, read_wrl

    with pytest.raises(ScanFormatError, match=r"m\.bnd"):
        read_wrl(tmp_path / "m.wrl")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("0 0 1e39 0", "row 83 has a coordinate that overflows float32"),  # found by the long fuzz
        ("1e39 0 0 0", "row 83: vertex index 1e39 is too large"),
    ],
)
def test_values_beyond_float32_or_int32_are_rejected_not_read_as_inf(tmp_path, row, match):
    path = tmp_path / "x.bnd"
    path.write_text("0 0 0 0\n" * 82 + row + "\n")
    assert_rejected(read_bnd, path, match)

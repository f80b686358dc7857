"""PLY reader: ASCII with mixed polygons and colours, binary round trips, malformed files."""

from __future__ import annotations

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import Scan, read_ply, read_scan, write_ply

PLY = FIXTURES / "ply"


def test_ascii_ply_with_quad_and_triangle_and_uchar_colours():
    scan = read_ply(PLY / "ascii_mixed.ply")
    np.testing.assert_array_equal(scan.vertices[2], [1, 1, 0])
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [0, 2, 3], [0, 2, 3]])
    np.testing.assert_array_equal(scan.colors[:3], np.eye(3))
    assert scan.uv is None


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("bad_index.ply", "face index 9 out of range \\(4 vertices\\)"),
        ("bad_magic.ply", "not a PLY file"),
        ("bad_truncated.ply", "data ends inside element 'face'"),
    ],
)
def test_malformed_ply_is_rejected_naming_file_and_fault(name, match):
    assert_rejected(read_ply, PLY / name, match)


def _scan(rng: np.random.Generator, uv: bool) -> Scan:
    return Scan(
        rng.normal(size=(40, 3)).astype(np.float32),
        rng.integers(0, 40, size=(70, 3)),
        colors=rng.integers(0, 256, size=(40, 3)) / 255.0,
        uv=rng.random((40, 2)).astype(np.float32) if uv else None,
        uv_faces=rng.integers(0, 40, size=(70, 3)) if uv else None,
    )


@pytest.mark.parametrize("uv", [False, True])
def test_written_binary_ply_reads_back_identically(tmp_path, uv):
    scan = _scan(np.random.default_rng(1), uv)
    back = read_scan(write_ply(tmp_path / "m.ply", scan))
    np.testing.assert_array_equal(back.vertices, scan.vertices)
    np.testing.assert_array_equal(back.faces, scan.faces)
    np.testing.assert_allclose(back.colors, scan.colors, atol=1e-6)
    if uv:  # stored per corner: same coordinates at every face corner
        np.testing.assert_array_equal(back.uv[back.uv_faces], scan.uv[scan.uv_faces])


def test_binary_ply_with_mixed_polygon_sizes_is_triangulated(tmp_path):
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 2\n"
        b"property list uchar int vertex_indices\nend_header\n"
    )
    vertices = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "<f4").tobytes()
    faces = bytes([4]) + np.array([0, 1, 2, 3], "<i4").tobytes()
    faces += bytes([3]) + np.array([3, 2, 1], "<i4").tobytes()
    (tmp_path / "q.ply").write_bytes(header + vertices + faces)
    np.testing.assert_array_equal(
        read_ply(tmp_path / "q.ply").faces, [[0, 1, 2], [0, 2, 3], [3, 2, 1]]
    )
    (tmp_path / "t.ply").write_bytes(header + vertices + faces[:-4])
    assert_rejected(read_ply, tmp_path / "t.ply", "truncated")


def test_a_huge_float_face_index_is_out_of_range_not_a_wrapped_integer(tmp_path):
    path = tmp_path / "huge_index.ply"
    path.write_text(
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
        "property float z\nelement face 1\nproperty list uchar float vertex_indices\n"
        "end_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 1e30\n"
    )
    assert_rejected(read_ply, path, "face index 1e\\+30 out of range \\(3 vertices\\)")

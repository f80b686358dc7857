"""OBJ reader (FORMATS §4): the BP4D fixture, all four face forms, indices, materials, faults."""

from __future__ import annotations

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import Scan, read_obj, read_scan, write_obj

OBJ = FIXTURES / "obj"
TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)


def test_bp4d_fixture_reads_triangle_uv_and_sibling_jpg():
    scan = read_obj(FIXTURES / "bp4d/F001/T1/0001.obj")
    np.testing.assert_array_equal(scan.vertices, TRIANGLE)
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2]])
    np.testing.assert_array_equal(scan.uv, [[0, 0], [1, 0], [0, 1]])
    np.testing.assert_array_equal(scan.uv_faces, [[0, 1, 2]])
    assert scan.texture.shape == (12, 12, 3)
    assert any("texture from sibling '0001.jpg'" in n for n in scan.notes)


@pytest.mark.parametrize(
    ("name", "faces", "has_uv"),
    [
        ("form_v.obj", [[0, 1, 2], [0, 2, 3]], False),
        ("form_vn.obj", [[0, 1, 2]], False),
        ("form_vtn.obj", [[0, 1, 2]], True),
        ("negative.obj", [[0, 1, 2]], True),
        ("comments.obj", [[0, 1, 2]], False),
    ],
)
def test_face_forms_and_negative_indices_resolve_to_the_same_faces(name, faces, has_uv):
    scan = read_obj(OBJ / name, load_texture=False)
    np.testing.assert_array_equal(scan.faces, faces)
    assert (scan.uv_faces is not None) == has_uv
    if has_uv:
        np.testing.assert_array_equal(scan.uv_faces, faces)


def test_negative_indices_count_back_from_the_face_line(tmp_path):
    text = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\nv 5 5 5\nf -4 -2 -1\n"
    (tmp_path / "i.obj").write_bytes(text)
    np.testing.assert_array_equal(read_obj(tmp_path / "i.obj").faces, [[0, 1, 2], [0, 2, 3]])


def test_vertex_colours_are_read():
    np.testing.assert_array_equal(read_obj(OBJ / "colors.obj").colors, np.eye(3))


def test_material_texture_comes_from_map_kd():
    scan = read_obj(OBJ / "material.obj")
    assert scan.texture_path == OBJ / "0001.jpg" and scan.texture is not None
    assert any("map_Kd '0001.jpg' in material.mtl" in n for n in scan.notes)


MALFORMED = [
    ("bad_index_zero.obj", "vertex index 0 on line 7 \\(OBJ indices are 1-based\\)"),
    ("bad_index_range.obj", "vertex index 4 on line 7 is out of range \\(3 defined\\)"),
    ("bad_negative_range.obj", "vertex index -4 on line 7 is out of range"),
    ("bad_vt_range.obj", "vt index 9 on line 7 is out of range"),
    ("bad_missing_mtl.obj", "mtllib 'nowhere.mtl' not found"),
    ("bad_missing_texture.obj", "texture 'absent.jpg' named by map_Kd in bad_missing_texture.mtl"),
    ("bad_nan.obj", "v record on line 2 has NaN or inf"),
    ("bad_zero_faces.obj", "no faces"),
    ("bad_short_face.obj", "face on line 7 has 2 vertices"),
    ("bad_mixed_forms.obj", "f records mix the forms"),
]


@pytest.mark.parametrize(("name", "match"), MALFORMED)
def test_malformed_obj_is_rejected_naming_file_and_fault(name, match):
    assert_rejected(read_obj, OBJ / name, match)


def test_written_obj_reads_back_identically(tmp_path):
    rng = np.random.default_rng(0)
    vertices = rng.normal(size=(50, 3)).astype(np.float32)
    faces = rng.integers(0, 50, size=(80, 3))
    uv = rng.random((60, 2)).astype(np.float32)
    colors = rng.random((50, 3)).astype(np.float32)
    scan = Scan(vertices, faces, colors=colors, uv=uv, uv_faces=rng.integers(0, 60, (80, 3)))
    back = read_scan(write_obj(tmp_path / "m.obj", scan), load_texture=False)
    np.testing.assert_array_equal(back.vertices, scan.vertices)
    np.testing.assert_array_equal(back.faces, scan.faces)
    np.testing.assert_array_equal(back.uv, scan.uv)
    np.testing.assert_array_equal(back.uv_faces, scan.uv_faces)
    np.testing.assert_allclose(back.colors, scan.colors, rtol=1e-6)

"""VRML 2.0 reader: the FORMATS §1.8 fixture, its variants and every §1.7 malformed case."""

from __future__ import annotations

import numpy as np
import pytest
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import read_scan, read_wrl

BU3 = FIXTURES / "bu3dfe"
TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)


def test_minimal_fixture_reads_exact_geometry_uv_texture_and_landmarks():
    scan = read_wrl(BU3 / "F0001_NE00WH_F3D.wrl")
    np.testing.assert_array_equal(scan.vertices, TRIANGLE)
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2]])
    np.testing.assert_array_equal(scan.uv, [[0, 0], [1, 0], [0, 1]])
    np.testing.assert_array_equal(scan.uv_faces, [[0, 1, 2]])
    assert scan.texture_path == BU3 / "F0001_NE00WH_F3D.bmp"
    assert scan.texture.shape == (12, 12, 3) and scan.texture.dtype == np.uint8
    assert scan.texture[0, 0, 0] == 255 and scan.texture[-1, 0, 0] == 0  # row 0 is the top
    assert scan.landmarks.shape == (83, 3)
    assert any("ImageTexture url 'F0001_NE00WH_F3D.bmp'" in n for n in scan.notes)
    assert any("F0001_NE00WH_F3D.bnd" in n for n in scan.notes)


def test_options_skip_texture_decoding_and_landmarks():
    scan = read_wrl(BU3 / "F0001_NE00WH_F3D.wrl", load_texture=False, landmarks=False)
    assert scan.texture is None and scan.texture_path is not None and scan.landmarks is None


def test_quad_becomes_two_triangles_with_aligned_uv_faces():
    scan = read_wrl(BU3 / "variant_quad.wrl")
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [0, 2, 3]])
    np.testing.assert_array_equal(scan.uv_faces, scan.faces)


def test_pentagon_is_fan_triangulated():
    scan = read_wrl(BU3 / "variant_pentagon.wrl")
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [0, 2, 3], [0, 3, 4]])


@pytest.mark.parametrize(
    "name",
    ["variant_commas.wrl", "variant_viewpoint.wrl", "variant_group.wrl",
     "variant_no_final_terminator.wrl"],
)  # fmt: skip
def test_layout_variants_read_the_same_triangle(name):
    scan = read_wrl(BU3 / name, load_texture=False)
    np.testing.assert_array_equal(scan.vertices, TRIANGLE)
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2]])
    np.testing.assert_array_equal(scan.uv_faces, [[0, 1, 2]])


def test_several_shapes_are_merged_with_offsets_and_noted():
    scan = read_wrl(BU3 / "variant_shapes.wrl", load_texture=False)
    assert scan.vertices.shape == (6, 3)
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(scan.uv_faces, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(scan.vertices[3], [5, 5, 5])
    assert any("merged 2 Shapes" in n for n in scan.notes)


def test_vertex_colours_are_read_per_vertex():
    scan = read_wrl(BU3 / "variant_colors.wrl")
    np.testing.assert_array_equal(scan.colors, np.eye(3))
    assert scan.uv is None and scan.texture is None


def test_transform_fields_are_applied():
    scan = read_wrl(BU3 / "variant_transform.wrl", load_texture=False)
    np.testing.assert_allclose(scan.vertices, TRIANGLE * 2 + [10, 0, 0])
    assert any("Transform" in n for n in scan.notes)


def test_sibling_jpg_is_used_when_the_url_is_missing(tmp_path):
    text = (BU3 / "F0001_NE00WH_F3D.wrl").read_bytes()
    (tmp_path / "007.wrl").write_bytes(text)
    (tmp_path / "007.jpg").write_bytes((FIXTURES / "bu4dfe/F001/Angry/000.jpg").read_bytes())
    scan = read_wrl(tmp_path / "007.wrl")
    assert scan.texture_path == tmp_path / "007.jpg" and scan.texture.shape == (12, 12, 3)
    assert any("not found; texture from sibling '007.jpg'" in n for n in scan.notes)


def test_read_scan_dispatches_wrl_by_suffix_and_by_header(tmp_path):
    assert read_scan(BU3 / "variant_quad.wrl").faces.shape == (2, 3)
    renamed = tmp_path / "mesh.data"
    renamed.write_bytes((BU3 / "variant_quad.wrl").read_bytes())
    assert read_scan(renamed).faces.shape == (2, 3)


MALFORMED = [
    ("bad_header_vrml1.wrl", "VRML 1.0 is not supported"),
    ("bad_no_header.wrl", "missing VRML 2.0 header"),
    ("bad_no_ifs.wrl", "no IndexedFaceSet"),
    ("bad_no_coord.wrl", "no coord"),
    ("bad_no_coordindex.wrl", "no coordIndex"),
    ("bad_point_count.wrl", "coord point has 8 numbers, not a multiple of 3"),
    ("bad_nonnumeric.wrl", "non-numeric value 'x' in coord point"),
    ("bad_nan.wrl", "coord point has a NaN or infinite value"),
    ("bad_inf.wrl", "coord point has a NaN or infinite value"),
    ("bad_index_below.wrl", "coordIndex has index -2 < -1"),
    ("bad_index_range.wrl", "coordIndex refers to index 3 but coord has 3 entries"),
    ("bad_short_polygon.wrl", "coordIndex polygon 0 has 2 vertices"),
    ("bad_double_terminator.wrl", "coordIndex polygon 1 has 0 vertices"),
    ("bad_texindex_count.wrl", "texCoordIndex has 1 polygons but coordIndex has 2"),
    ("bad_texindex_arity.wrl", "texCoordIndex polygon 0 has 4 vertices but coordIndex polygon"),
    ("bad_texindex_range.wrl", "texCoordIndex refers to index 7 but texCoord has 3 entries"),
    ("bad_zero_vertices.wrl", "zero vertices"),
    ("bad_zero_faces.wrl", "coordIndex is empty"),
    ("bad_unbalanced_brace.wrl", "unbalanced"),
    ("bad_unbalanced_bracket.wrl", "unbalanced brackets inside the \\[ \\] list of coordIndex"),
    ("bad_truncated.wrl", "end of file inside the \\[ \\] list of point"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "match"), MALFORMED)
def test_malformed_wrl_is_rejected_naming_file_and_fault(name, match):
    assert_rejected(read_wrl, BU3 / name, match, load_texture=False)


def test_non_numeric_index_is_rejected(tmp_path):
    path = tmp_path / "x.wrl"
    path.write_bytes(
        (BU3 / "variant_quad.wrl").read_bytes().replace(b"0 1 2 3 -1", b"0 1 2 3.5 -1")
    )
    assert_rejected(read_wrl, path, "non-integer value '3.5' in coordIndex")


def test_comment_with_brackets_and_hash_in_string_are_handled(tmp_path):
    text = (BU3 / "F0001_NE00WH_F3D.wrl").read_bytes()
    text = text.replace(b"coordIndex [", b"coordIndex [ # a ] comment { \n")
    text = text.replace(b'url "F0001_NE00WH_F3D.bmp"', b'url "tex#1.bmp"')
    path = tmp_path / "c.wrl"
    path.write_bytes(text)
    scan = read_wrl(path)
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2]])
    assert any("'tex#1.bmp'" in n for n in scan.notes)


def test_file_ending_inside_a_node_is_reported_as_truncated(tmp_path):
    path = tmp_path / "t.wrl"
    path.write_text("#VRML V2.0 utf8\nGroup { children [ Shape {")
    assert_rejected(read_wrl, path, "end of file while expecting '}' closing Shape")


def test_children_list_of_use_references_keeps_the_shapes(tmp_path):
    text = (BU3 / "F0001_NE00WH_F3D.wrl").read_bytes().replace(b"Shape {", b"DEF S Shape {", 1)
    path = tmp_path / "u.wrl"
    path.write_bytes(text + b"Group { children [ USE S USE S ] }\n")
    scan = read_wrl(path)
    assert len(scan.vertices) == 9 and any("merged 3 Shapes" in n for n in scan.notes)


def test_non_numeric_field_with_non_ascii_bytes_is_rejected(tmp_path):
    text = (BU3 / "variant_transform.wrl").read_bytes().replace(b"scale 2", b"scale 2\x80")
    path = tmp_path / "n.wrl"
    path.write_bytes(text)
    assert_rejected(read_wrl, path, "non-numeric value in field scale")

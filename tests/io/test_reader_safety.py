"""Reader boundary: one error type, geometry checked, BOMs and trailing bytes (issue 12).

Every malformed file is built in tmp_path from the FORMATS fixtures or from a synthetic face,
and every rejection must be a ScanFormatError naming the file and the fault.
"""

from __future__ import annotations

import codecs
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from make_fixtures import HEADER, LM2, LM3, OBJ, PLY_ASCII, bnt_bytes, shape, wrl
from reader_checks import FIXTURES, assert_rejected

from affectvlm.io import (
    GeometryLimits,
    Scan,
    ScanFormatError,
    read_bnd,
    read_lm2,
    read_lm3,
    read_obj,
    read_ply,
    read_scan,
    read_sequence,
    read_wrl,
    register_reader,
    registry,
    write_obj,
    write_ply,
)
from affectvlm.io.vrml_syntax import MAX_DEPTH

BOM = codecs.BOM_UTF8
BMP = (FIXTURES / "bu3dfe" / "F0001_NE00WH_F3D.bmp").read_bytes()


@pytest.fixture(scope="module")
def face() -> Scan:
    """A small synthetic face in millimetres, with UVs."""
    from affectvlm.synth import make_face, make_identity

    return make_face(make_identity(3), "happiness", 4, resolution=24, texture_size=16)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def bmp_header(width: int, height: int) -> bytes:
    """A 24-bit BMP whose header claims ``width × height`` px but holds 16 bytes of pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return struct.pack("<2sIHHI", b"BM", 14 + 40 + 16, 0, 0, 14 + 40) + info + b"\0" * 16


# -- item 3: every fault is a ScanFormatError ------------------------------------------------


def test_fifty_thousand_nested_groups_are_a_format_error_not_a_recursion_error(tmp_path):
    body = "Group { children [ " * 50_000 + shape() + "] }" * 50_000
    path = write(tmp_path / "deep.wrl", (HEADER + body).encode())
    assert_rejected(read_scan, path, f"nested more than {MAX_DEPTH} deep")


def test_nesting_just_under_the_limit_still_reads(tmp_path):
    depth = MAX_DEPTH - 3  # Shape, IndexedFaceSet and Coordinate are nodes too
    body = "Group { children [ " * depth + shape(url=None) + "] }" * depth
    scan = read_scan(write(tmp_path / "deep.wrl", (HEADER + body).encode()))
    assert scan.faces.tolist() == [[0, 1, 2]]


def test_use_repeating_a_shape_exponentially_is_a_format_error(tmp_path):
    text = HEADER + "DEF G0 Group { children [ " + shape(url=None) + "] }\n"
    for i in range(1, 13):  # 4096 triangles, under the node-visit cap
        text += f"DEF G{i} Group {{ children [ USE G{i - 1} USE G{i - 1} ] }}\n"
    path = write(tmp_path / "bomb.wrl", text.encode())
    assert_rejected(read_scan, path, "USE repeats geometry into .* extra vertices")


def test_use_repeating_empty_groups_exponentially_is_a_format_error(tmp_path):
    text = HEADER + "DEF G0 Group { }\n" + shape(url=None)
    for i in range(1, 40):
        text += f"DEF G{i} Group {{ children [ USE G{i - 1} USE G{i - 1} Group {{ }} ] }}\n"
    assert_rejected(read_scan, write(tmp_path / "bomb.wrl", text.encode()), "nodes reached")


def test_a_few_use_instances_of_a_shape_are_still_merged(tmp_path):
    text = HEADER + "DEF S " + shape(url=None) + "Transform { translation 5 0 0 children USE S }\n"
    scan = read_scan(write(tmp_path / "inst.wrl", text.encode()))
    assert len(scan.vertices) == 6 and scan.vertices[3:, 0].min() == 5


@pytest.mark.parametrize(
    ("which", "match"), [("-nan", "whichChoice has a NaN"), ("1.5", "not an integer")]
)
def test_switch_with_a_nan_or_fractional_choice_is_a_format_error(tmp_path, which, match):
    text = HEADER + f"Switch {{ whichChoice {which} choice [ " + shape(url=None) + "] }\n"
    assert_rejected(read_scan, write(tmp_path / "switch.wrl", text.encode()), match)


def test_bmp_claiming_30000_squared_pixels_is_a_format_error_naming_the_texture(tmp_path):
    path = write(tmp_path / "F0001_NE00WH_F3D.wrl", wrl(shape()))
    bmp = write(tmp_path / "F0001_NE00WH_F3D.bmp", bmp_header(30_000, 30_000))
    error = assert_rejected(lambda p: read_scan(path), bmp, "too large")
    assert "900000000 pixels" in error.reason
    assert read_scan(path, load_texture=False).texture is None  # not decoded: no fault


def test_texture_over_the_pixel_limit_is_refused_before_decoding(tmp_path):
    path = write(tmp_path / "F0001_NE00WH_F3D.wrl", wrl(shape()))
    bmp = write(tmp_path / "F0001_NE00WH_F3D.bmp", bmp_header(10_000, 6_000))
    assert_rejected(lambda p: read_scan(path), bmp, "10000×6000 px, over the")


def test_corrupt_texture_is_a_format_error_naming_the_texture(tmp_path):
    path = write(tmp_path / "F0001_NE00WH_F3D.wrl", wrl(shape()))
    bmp = write(tmp_path / "F0001_NE00WH_F3D.bmp", BMP[:60])
    assert_rejected(lambda p: read_scan(path), bmp, "cannot decode texture image")


@pytest.mark.parametrize(
    ("count", "match"),
    [("-5", "element 'vertex' has a negative count"), ("10000000000", "declares 10000000000")],
)
def test_ply_with_a_negative_or_impossible_element_count_is_a_format_error(tmp_path, count, match):
    data = PLY_ASCII.replace(b"element vertex 4", f"element vertex {count}".encode())
    assert_rejected(read_scan, write(tmp_path / "count.ply", data), match)


def test_last_resort_guard_turns_any_reader_fault_into_a_format_error(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))

    @register_reader("faulty", (".faulty",))
    def read_faulty(path, *, load_texture=True, landmarks=True):
        return {}["missing key"]

    path = write(tmp_path / "scan.faulty", b"x")
    error = assert_rejected(read_scan, path, "KeyError")
    assert "missing key" in error.reason
    assert_rejected(read_faulty, path, "KeyError")  # the registered function is guarded too


def test_guard_lets_memory_errors_and_wrong_keywords_through(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))

    @register_reader("hungry", (".hungry",))
    def read_hungry(path, *, load_texture=True, landmarks=True):
        raise MemoryError

    path = write(tmp_path / "scan.hungry", b"x")
    with pytest.raises(MemoryError):
        read_scan(path)
    with pytest.raises(TypeError):
        read_scan(FIXTURES / "bu3dfe" / "F0001_NE00WH_F3D.wrl", no_such_option=True)


# -- item 4: geometry checked after parsing and after every transform -----------------------


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("big.wrl", wrl(shape(points="0 0 0,\n1e39 0 0,\n0 1 0")), "not finite as float32"),
        ("big.obj", OBJ.replace(b"v 1 0 0", b"v 1e39 0 0"), "not finite as float32"),
        ("big.ply", PLY_ASCII.replace(b"1 0 0 0 255 0", b"1e39 0 0 0 255 0"), "infinite"),
    ],
)
def test_coordinates_overflowing_float32_are_rejected(tmp_path, name, data, match):
    assert_rejected(read_scan, write(tmp_path / name, data), match)


def test_uv_overflowing_float32_is_rejected(tmp_path):
    path = write(tmp_path / "uv.obj", OBJ.replace(b"vt 1 0", b"vt 1e39 0"))
    assert_rejected(read_scan, path, "texture coordinates are not finite")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ("translation 1e400 0 0\n", "translation has a NaN or infinite value"),
        ("scale 1 -nan 1\n", "scale has a NaN or infinite value"),
        ("scale 1e300 1e300 1e300\n", "after its Transform"),
    ],
)
def test_transform_that_makes_vertices_non_finite_is_rejected(tmp_path, fields, match):
    data = wrl(shape(points="0 0 0,\n1e10 0 0,\n0 1e10 0"), container="Transform", fields=fields)
    assert_rejected(read_scan, write(tmp_path / "t.wrl", data), match)


def test_nested_transforms_whose_product_overflows_are_rejected(tmp_path):
    inner = "Transform { scale 1e200 1e200 1e200 children [ " + shape(url=None) + "] }\n"
    data = wrl(inner, container="Transform", fields="scale 1e200 1e200 1e200\n")
    assert_rejected(read_scan, write(tmp_path / "t.wrl", data), "non-finite matrix")


@pytest.mark.parametrize(
    ("points", "match"),
    [
        ("1 1 1,\n1 1 1,\n1 1 1", "points \\(nearly\\) coincide"),
        ("0 0 0,\n1 1 1,\n2 2 2", "zero area"),
        ("0 0 0,\n1e30 0 0,\n0 1e30 0", "reaches 1e\\+30 mm.*max_coordinate"),
        ("0 0 0,\n5e4 0 0,\n0 -1 0", "spans 5e\\+04 mm.*max_extent"),
    ],
)
def test_implausible_geometry_is_rejected_with_the_bound_it_breaks(tmp_path, points, match):
    path = write(tmp_path / "g.wrl", wrl(shape(points=points, url=None)))
    assert_rejected(read_scan, path, match)
    assert_rejected(read_wrl, path, match)  # the reader called directly checks too


def test_geometry_limits_are_configurable(tmp_path):
    path = write(tmp_path / "g.wrl", wrl(shape(points="0 0 0,\n1e30 0 0,\n0 1e30 0", url=None)))
    wide = GeometryLimits(max_coordinate=1e31, max_extent=1e31)
    assert read_scan(path, limits=wide).vertices.max() == pytest.approx(1e30)
    tight = GeometryLimits(max_extent=0.5)
    assert_rejected(read_scan, FIXTURES / "bu3dfe" / "F0001_NE00WH_F3D.wrl", "0.5 mm", limits=tight)
    with pytest.raises(ValueError, match="out of order"):
        GeometryLimits(min_extent=10, max_extent=1)


def test_a_garbage_middle_frame_of_a_sequence_is_rejected_naming_that_frame(tmp_path):
    good = wrl(shape(url=None))
    for number, data in (("000", good), ("001", wrl(shape(points="1 1 1,\n1 1 1,\n1 1 1"))),
                         ("002", good)):  # fmt: skip
        write(tmp_path / f"{number}.wrl", data)
    sequence = read_sequence(tmp_path)
    assert len(sequence.frame(0).faces) == 1 and len(sequence.frame(2).faces) == 1
    assert_rejected(lambda p: sequence.frame(1), tmp_path / "001.wrl", "coincide")
    strict = read_sequence(tmp_path, limits=GeometryLimits(max_extent=0.5))
    assert_rejected(lambda p: strict.frame(0), tmp_path / "000.wrl", "max_extent")


def test_every_good_fixture_passes_the_geometry_checks():
    paths = [
        p
        for p in sorted(FIXTURES.rglob("*"))
        if p.suffix in (".wrl", ".obj", ".ply", ".bnt") and not p.name.startswith("bad_")
    ]
    assert len(paths) > 15
    for path in paths:
        assert len(read_scan(path).faces) > 0, path


@pytest.mark.parametrize("dataset", ["bu3dfe", "bu4dfe", "bosphorus", "bp4d"])
def test_every_synthetic_file_passes_the_geometry_checks(tmp_path, dataset):
    from affectvlm.io import scan_suffixes
    from affectvlm.synth import SynthConfig, generate_dataset

    config = SynthConfig(
        dataset=dataset, subjects=1, resolution=20, frames=5, texture_size=16, workers=1
    )
    generate_dataset(tmp_path, config, progress=False)
    paths = [p for p in sorted(tmp_path.rglob("*")) if p.suffix in scan_suffixes()]
    assert paths
    for path in paths:
        scan = read_scan(path)
        assert scan.texture is not None, path


# -- item 5: text formats ------------------------------------------------------------------


def test_obj_with_a_bom_reads_exactly_like_without(tmp_path, face):
    plain = write_obj(tmp_path / "plain.obj", face)
    bom = write(tmp_path / "bom.obj", BOM + plain.read_bytes())
    a, b = read_obj(plain, load_texture=False), read_obj(bom, load_texture=False)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)
    np.testing.assert_array_equal(a.uv_faces, b.uv_faces)
    assert len(b.vertices) == len(face.vertices)


def test_mtl_with_a_bom_still_names_its_texture(tmp_path):
    write(tmp_path / "0001.jpg", (FIXTURES / "obj" / "0001.jpg").read_bytes())
    write(tmp_path / "m.mtl", BOM + b"newmtl skin\nmap_Kd 0001.jpg\n")
    path = write(tmp_path / "m.obj", BOM + b"mtllib m.mtl\nusemtl skin\n" + OBJ)
    scan = read_scan(path)
    assert scan.texture_path == tmp_path / "0001.jpg" and scan.texture is not None


@pytest.mark.parametrize("binary", [False, True])
def test_ply_with_a_bom_reads_exactly_like_without(tmp_path, face, binary):
    if binary:
        plain = write_ply(tmp_path / "plain.ply", face)
    else:
        plain = write(tmp_path / "plain.ply", PLY_ASCII)
    bom = write(tmp_path / "bom.ply", BOM + plain.read_bytes())
    a, b = read_scan(plain), read_scan(bom)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)


def test_wrl_bnd_lm3_and_lm2_with_a_bom_read_like_without(tmp_path):
    bu3 = FIXTURES / "bu3dfe"
    wrl_path = write(tmp_path / "a.wrl", BOM + (bu3 / "F0001_NE00WH_F3D.wrl").read_bytes())
    assert read_wrl(wrl_path, load_texture=False).faces.tolist() == [[0, 1, 2]]
    bnd = write(tmp_path / "a.bnd", BOM + (bu3 / "F0001_NE00WH_F3D.bnd").read_bytes())
    assert read_bnd(bnd).points.shape == (83, 3)
    assert list(read_lm3(write(tmp_path / "a.lm3", BOM + LM3))) == ["Nose tip"]
    assert list(read_lm2(write(tmp_path / "a.lm2", BOM + LM2))) == ["Nose tip", "Chin middle"]
    bnt = write(tmp_path / "bs000_N_N_0.bnt", bnt_bytes())
    write(tmp_path / "bs000_N_N_0.lm3", BOM + LM3)
    assert read_scan(bnt).landmark_names == ["Nose tip"]


@pytest.mark.parametrize("junk", [b"\0", b"\n", b"garbage after the faces"])
def test_binary_ply_with_bytes_after_the_last_element_is_rejected(tmp_path, face, junk):
    good = write_ply(tmp_path / "good.ply", face)
    assert len(read_ply(good).faces) == len(face.faces)
    path = write(tmp_path / "junk.ply", good.read_bytes() + junk)
    assert_rejected(read_ply, path, f"{len(junk)} bytes after the last element")


def test_ascii_ply_with_values_after_the_last_element_is_still_rejected(tmp_path):
    path = write(tmp_path / "junk.ply", PLY_ASCII + b"7 7 7\n")
    assert_rejected(read_scan, path, "3 values after the last element")


SIGNALLING_NAN_F4 = struct.pack("<I", 0x7F800001)
SIGNALLING_NAN_F8 = struct.pack("<Q", 0x7FF0000000000001)


@pytest.mark.parametrize("suffix", [".ply", ".bnt"])
def test_a_signalling_nan_in_binary_floats_is_rejected_without_a_numpy_warning(tmp_path, suffix):
    """Fuzzed bytes can form a signalling NaN, whose cast raises numpy's "invalid value"."""
    path = tmp_path / f"x{suffix}"
    if suffix == ".ply":
        header = (
            b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
            b"property float y\nproperty float z\nelement face 1\n"
            b"property list uchar int vertex_indices\nend_header\n"
        )
        xyz = struct.pack("<8f", 0, 0, 0, 1, 0, 0, 0, 1) + SIGNALLING_NAN_F4
        path.write_bytes(header + xyz + struct.pack("<B3i", 3, 0, 1, 2))
    else:
        data = bnt_bytes()
        at = data.index(struct.pack("<d", 1.0))  # the first x value of the grid
        path.write_bytes(data[:at] + SIGNALLING_NAN_F8 + data[at + 8 :])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ScanFormatError) as info:
            read_scan(path)
    message = str(info.value)
    assert info.value.path == path and ("finite" in message or "NaN" in message)

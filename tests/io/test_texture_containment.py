"""Companion files (textures, materials, landmarks) are read only inside the scan's folder.

Each case is read twice, once with the outside file present and once without: the scan
must load untextured both times with the very same notes, so nothing tells an uploader
whether a server file exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from make_fixtures import LM3, OBJ, bnt_bytes, shape, wrl
from reader_checks import FIXTURES

from affectvlm.io import read_scan
from affectvlm.io.texture import OUTSIDE_NOTE, find_file, outside_folder, resolve_texture

IMAGE = (FIXTURES / "bu3dfe" / "F0001_NE00WH_F3D.bmp").read_bytes()
JPEG = (FIXTURES / "obj" / "0001.jpg").read_bytes()


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """(the scan's folder, a secret image beside it, outside the folder)."""
    folder = tmp_path / "upload"
    folder.mkdir()
    return folder, tmp_path / "secret.bmp"


def read_with_and_without(scan_path: Path, secret: Path, image: bytes = IMAGE):
    """Read ``scan_path`` with ``secret`` present, then absent; return both scans."""
    secret.write_bytes(image)
    present = read_scan(scan_path)
    secret.unlink()
    absent = read_scan(scan_path)
    return present, absent


def assert_refused_alike(present, absent, name: str) -> None:
    for scan in (present, absent):
        assert scan.texture is None and scan.texture_path is None
        assert any(name in n and OUTSIDE_NOTE in n for n in scan.notes), scan.notes
    assert present.notes == absent.notes  # the same text whether or not the file exists
    np.testing.assert_array_equal(present.vertices, absent.vertices)


def test_vrml_absolute_texture_url_is_ignored_alike_for_existing_and_missing_files(layout):
    folder, secret = layout
    path = folder / "F0001_NE00WH_F3D.wrl"
    path.write_bytes(wrl(shape(url=str(secret))))
    present, absent = read_with_and_without(path, secret)
    assert_refused_alike(present, absent, str(secret))


def test_vrml_dotdot_texture_url_is_ignored_alike_for_existing_and_missing_files(layout):
    folder, secret = layout
    path = folder / "F0001_NE00WH_F3D.wrl"
    path.write_bytes(wrl(shape(url="../secret.bmp")))
    present, absent = read_with_and_without(path, secret)
    assert_refused_alike(present, absent, "../secret.bmp")


def test_vrml_file_url_and_windows_drive_url_are_ignored(layout):
    folder, _ = layout
    for url in ("file:///etc/hostname", "C:\\\\faces\\\\x.bmp", "..\\\\secret.bmp"):
        path = folder / "F0001_NE00WH_F3D.wrl"
        path.write_bytes(wrl(shape(url=url)))
        scan = read_scan(path)
        assert scan.texture is None and any(OUTSIDE_NOTE in n for n in scan.notes), url


def test_symlinked_texture_leading_out_is_ignored_alike_for_existing_and_dangling_links(layout):
    folder, secret = layout
    path = folder / "F0001_NE00WH_F3D.wrl"
    path.write_bytes(wrl(shape()))
    os.symlink(secret, folder / "F0001_NE00WH_F3D.bmp")
    present, absent = read_with_and_without(path, secret)
    assert_refused_alike(present, absent, "F0001_NE00WH_F3D.bmp")


def test_symlinked_subfolder_leading_out_is_ignored(layout):
    folder, secret = layout
    secret.write_bytes(IMAGE)
    os.symlink(secret.parent, folder / "textures")
    path = folder / "F0001_NE00WH_F3D.wrl"
    path.write_bytes(wrl(shape(url="textures/secret.bmp")))
    scan = read_scan(path)
    assert scan.texture is None and any(OUTSIDE_NOTE in n for n in scan.notes)


def test_case_insensitive_match_never_follows_a_link_leading_out(layout):
    folder, secret = layout
    secret.write_bytes(IMAGE)
    os.symlink(secret, folder / "TEXTURE.BMP")
    assert find_file(folder, "texture.bmp") == (None, True)
    assert find_file(folder, "TEXTURE.BMP") == (None, True)


def test_textures_inside_the_folder_still_load_directly_via_subfolder_and_via_inner_link(layout):
    folder, _ = layout
    (folder / "tex").mkdir()
    (folder / "tex" / "face.bmp").write_bytes(IMAGE)
    os.symlink(folder / "tex" / "face.bmp", folder / "link.bmp")
    for url in ("tex/face.bmp", "link.bmp", "./tex/face.bmp"):
        path = folder / "F0001_NE00WH_F3D.wrl"
        path.write_bytes(wrl(shape(url=url)))
        scan = read_scan(path)
        assert scan.texture is not None and scan.texture.shape == (12, 12, 3), url
        assert not any(OUTSIDE_NOTE in n for n in scan.notes)


def test_refused_url_falls_back_to_the_sibling_jpg_inside_the_folder(layout):
    folder, secret = layout
    path = folder / "007.wrl"
    path.write_bytes(wrl(shape(url=str(secret))))
    (folder / "007.jpg").write_bytes(JPEG)
    scan = read_scan(path)
    assert scan.texture_path == folder / "007.jpg"
    assert any(OUTSIDE_NOTE in n and "texture from sibling '007.jpg'" in n for n in scan.notes)


def test_obj_absolute_mtllib_is_ignored_alike_for_existing_and_missing_files(layout):
    folder, _ = layout
    outside = folder.parent / "outside.mtl"
    path = folder / "scan.obj"
    path.write_bytes(f"mtllib {outside}\nusemtl skin\n".encode() + OBJ)
    outside.write_bytes(b"newmtl skin\nmap_Kd secret.bmp\n")
    present = read_scan(path)
    outside.unlink()
    absent = read_scan(path)
    assert_refused_alike(present, absent, str(outside))


def test_obj_map_kd_leading_out_is_ignored_alike_for_existing_and_missing_files(layout):
    folder, secret = layout
    path = folder / "scan.obj"
    path.write_bytes(b"mtllib scan.mtl\nusemtl skin\n" + OBJ)
    (folder / "scan.mtl").write_bytes(b"newmtl skin\nmap_Kd ../secret.bmp\n")
    present, absent = read_with_and_without(path, secret)
    assert_refused_alike(present, absent, "../secret.bmp")


def test_bnt_image_name_leading_out_is_ignored_alike_for_existing_and_missing_files(layout):
    folder, _ = layout
    secret = folder.parent / "secret.png"
    path = folder / "bs000_N_N_0.bnt"
    path.write_bytes(bnt_bytes(name=b"../secret.png"))
    png = (FIXTURES / "bosphorus" / "bs000" / "bs000_N_N_0.png").read_bytes()
    present, absent = read_with_and_without(path, secret, png)
    assert_refused_alike(present, absent, "../secret.png")


def test_ply_texture_file_comment_leading_out_is_ignored(layout):
    folder, secret = layout
    header = (
        f"ply\nformat ascii 1.0\ncomment TextureFile {secret}\nelement vertex 3\n"
        "property float x\nproperty float y\nproperty float z\nproperty float s\n"
        "property float t\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
    )
    path = folder / "scan.ply"
    path.write_bytes(header.encode() + b"0 0 0 0 0\n1 0 0 1 0\n0 1 0 0 1\n3 0 1 2\n")
    present, absent = read_with_and_without(path, secret)
    assert present.uv is not None
    assert_refused_alike(present, absent, str(secret))


def test_sibling_landmarks_linked_from_outside_are_not_read(layout):
    folder, _ = layout
    outside = folder.parent / "other.lm3"
    outside.write_bytes(LM3)
    path = folder / "bs000_N_N_0.bnt"
    path.write_bytes(bnt_bytes())
    os.symlink(outside, folder / "bs000_N_N_0.lm3")
    scan = read_scan(path)
    assert scan.landmarks is None
    assert any("bs000_N_N_0.lm3" in n and OUTSIDE_NOTE in n for n in scan.notes), scan.notes


def test_outside_folder_decides_from_the_name_and_links_only(tmp_path):
    assert not outside_folder(tmp_path, "a.bmp")
    assert not outside_folder(tmp_path, "sub/a.bmp")
    for name in ("/etc/passwd", "../a.bmp", "sub/../../a.bmp", "http://x/a.bmp", "C:/a.bmp"):
        assert outside_folder(tmp_path, name), name
    path, note = resolve_texture(tmp_path, ["/etc/passwd"], [], "ImageTexture url")
    assert path is None and note.startswith(f"ImageTexture url '/etc/passwd' {OUTSIDE_NOTE}")


@pytest.mark.parametrize("url", ["x" * 5000 + ".bmp", "a\0b.bmp", "loop.bmp"])
def test_unusable_texture_names_leave_the_scan_untextured_without_an_error(layout, url):
    folder, _ = layout
    os.symlink(folder / "loop.bmp", folder / "loop.bmp")  # a link to itself
    path = folder / "F0001_NE00WH_F3D.wrl"
    path.write_bytes(wrl(shape(url=url)))
    scan = read_scan(path)
    assert scan.texture is None and scan.texture_path is None and len(scan.faces) == 1

import io
import tempfile
import zipfile
from pathlib import Path

import pytest

from affectvlm.app.uploads import (
    UploadError,
    check_upload,
    safe_name,
    upload_error,
    uploaded_input,
    without_server_paths,
)
from affectvlm.infer import InputLimits
from affectvlm.infer.inputs import open_input


def test_upload_of_scan_and_texture_is_written_to_a_temporary_folder_then_removed(face_files):
    with uploaded_input(face_files) as item:
        folder = item.path.parent
        assert item.kind == "scan" and item.path.name == face_files[0][0]
        assert sorted(p.name for p in folder.iterdir()) == sorted(n for n, _ in face_files)
    assert not folder.exists()


@pytest.mark.parametrize(
    "files, fault",
    [
        ([("face.exe", b"MZ")], "not accepted"),
        ([("face.pkl", b"\x80\x04")], "not accepted"),
        ([("a.ply", b"ply"), ("b.obj", b"v")], "2 scan files"),
        ([("tex.png", b"\x89PNG")], "no scan file"),
        ([("s.zip", b"PK"), ("a.ply", b"ply")], "uploaded alone"),
        ([("a.ply", b"")], "empty"),
        ([], "no file"),
    ],
)
def test_bad_uploads_are_refused_before_parsing(files, fault):
    with pytest.raises(UploadError, match=fault):
        check_upload(files, InputLimits())


def test_oversized_upload_is_refused_with_the_limit():
    with pytest.raises(UploadError, match="over the 1 MiB limit") as info:
        check_upload([("big.ply", b"\0" * (2 * 2**20))], InputLimits(max_file_mb=1))
    assert info.value.name == "big.ply"


def test_uploaded_names_cannot_leave_the_temporary_folder(tmp_path):
    assert safe_name("../../etc/passwd.ply") == "passwd.ply"
    assert safe_name("C:\\x\\..\\evil face.obj") == "evil_face.obj"
    archive = tmp_path / "seq.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("000.ply", b"ply")
    with uploaded_input([("../seq.zip", archive.read_bytes())]) as item:
        assert item.kind == "zip" and item.path.parent != tmp_path
        assert Path(item.path).name == "seq.zip"


def _zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _shown(files, limits=None):
    """The UploadError the page would show for predicting on ``files`` (read, not rendered)."""
    with uploaded_input(files, limits) as item:
        try:
            with open_input(item, limits):
                pass
        except Exception as exc:
            return upload_error(exc, item.path.parent, ", ".join(n for n, _ in files))
    raise AssertionError("the upload was read without an error")


def _no_server_path(error):
    text = str(error)
    return (
        "affectvlm-upload" not in text
        and "affectvlm-zip" not in text
        and tempfile.gettempdir() not in text
    )


def test_a_corrupt_upload_is_named_by_its_own_name_only():
    error = _shown([("face.ply", b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n0 0\n")])
    assert error.name == "face.ply" and error.reason and _no_server_path(error)


def test_a_bad_file_inside_an_uploaded_zip_names_the_zip_and_the_member():
    data = _zip_bytes({"S1/face.ply": b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n"})
    error = _shown([("seq.zip", data)])
    assert error.name == "seq.zip" and error.reason.startswith("S1/face.ply: ")
    assert _no_server_path(error)


def test_a_zip_with_a_file_and_a_folder_of_one_name_is_an_upload_error():
    error = _shown([("seq.zip", _zip_bytes({"S1": b"x", "S1/000.ply": b"ply"}))])
    assert isinstance(error, UploadError) and error.name == "seq.zip"
    assert "'S1' is both a file and a folder" in error.reason and _no_server_path(error)


def test_a_zip_bomb_upload_is_refused_from_its_declared_size():
    bomb = _zip_bytes({"S1/000.ply": b"\0" * (3 * 2**20)})
    assert len(bomb) < 64 * 1024
    error = _shown([("bomb.zip", bomb)], InputLimits(max_file_mb=1))
    assert error.name == "bomb.zip" and "expands to 3 MiB (limit 1 MiB per file)" in error.reason


def test_server_paths_are_removed_from_any_text_and_unexpected_faults_keep_their_type(tmp_path):
    folder = Path(tempfile.gettempdir()) / "affectvlm-upload-ab_12"
    text = f"texture {folder}/face.bmp and {tempfile.gettempdir()}/affectvlm-zip-x9/S1/001.obj"
    assert without_server_paths(text) == "texture face.bmp and S1/001.obj"
    error = upload_error(RecursionError("too deep"), folder, "face.wrl")
    assert str(error) == "face.wrl: unexpected RecursionError: too deep"

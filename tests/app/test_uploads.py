import zipfile
from pathlib import Path

import pytest

from affectvlm.app.uploads import UploadError, check_upload, safe_name, uploaded_input
from affectvlm.infer import InputLimits


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

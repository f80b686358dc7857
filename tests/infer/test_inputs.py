import io
import shutil
import stat
import zipfile

import numpy as np
import pytest

from affectvlm.infer import InferenceError, InputItem, InputLimits, Predictor, extract_zip
from affectvlm.infer.inputs import open_input
from affectvlm.io import ScanFormatError


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zipped_sequence_predicts_like_its_folder_and_leaves_no_files(predictor, samples, tmp_path):
    folder = samples / "seq" / "S1"
    members = {f"S1/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}
    archive = _zip(tmp_path / "seq.zip", members)
    with open_input(InputItem(archive, "zip")) as sequence:
        extracted = sequence.path
        assert len(sequence) == 5
    assert not extracted.exists()  # temporary folder removed
    zipped = predictor.predict(archive)
    np.testing.assert_allclose(zipped.probs, predictor.predict(folder).probs, atol=1e-6)


@pytest.mark.parametrize(
    "name, fault",
    [("../evil.ply", "escapes"), ("/abs/evil.ply", "absolute"), ("a/../../x.ply", "escapes")],
)
def test_zip_members_escaping_the_folder_are_refused(tmp_path, name, fault):
    archive = _zip(tmp_path / "bad.zip", {name: b"x"})
    dest = tmp_path / "out"
    with pytest.raises(ScanFormatError, match=fault) as info:
        extract_zip(archive, dest)
    assert str(archive) in str(info.value)
    assert not (tmp_path / "evil.ply").exists() and not (tmp_path / "x.ply").exists()


def test_zip_symlinks_too_many_members_and_oversize_are_refused(tmp_path):
    link = zipfile.ZipInfo("S1/000.ply")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(ScanFormatError, match="symbolic link"):
        extract_zip(tmp_path / "link.zip", tmp_path / "o1")

    many = _zip(tmp_path / "many.zip", {f"{i:03d}.ply": b"x" for i in range(5)})
    with pytest.raises(ScanFormatError, match="5 entries"):
        extract_zip(many, tmp_path / "o2", InputLimits(max_zip_members=4))

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("000.ply", b"\0" * (3 * 2**20))  # compresses to a few KiB
    with pytest.raises(ScanFormatError, match="MiB"):
        extract_zip(big, tmp_path / "o3", InputLimits(max_unzipped_mb=2))


def test_corrupt_zip_and_zip_without_scans_name_the_archive(predictor, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ScanFormatError, match="not a readable zip") as info:
        predictor.predict(junk)
    assert str(junk) in str(info.value)
    empty = _zip(tmp_path / "empty.zip", {"notes.txt": b"hello"})
    with pytest.raises(ScanFormatError, match="no scan files"):
        predictor.predict(empty)


def test_checkpoint_errors_name_the_missing_file(tiny_run, tmp_path):
    with pytest.raises(InferenceError, match="not a trained model"):
        Predictor.from_checkpoint(tmp_path)
    copy = shutil.copytree(tiny_run / "model", tmp_path / "model")
    (copy / "render.toml").unlink()
    with pytest.raises(InferenceError, match="render settings missing") as info:
        Predictor.from_checkpoint(copy, device="cpu")
    assert str(copy / "render.toml") in str(info.value)


def test_device_strings_are_checked():
    from affectvlm.infer import resolve_device

    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")
    if not __import__("torch").cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")


def test_in_memory_zip_helper_roundtrip(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("dir/", b"")
        zf.writestr("dir/001.ply", b"abc")
    (tmp_path / "z.zip").write_bytes(buffer.getvalue())
    out = extract_zip(tmp_path / "z.zip", tmp_path / "out")
    assert (out / "dir" / "001.ply").read_bytes() == b"abc"

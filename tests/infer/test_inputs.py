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


def _bomb(path, name="000.ply", mib=3, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr(name, b"\0" * (mib * 2**20))  # a few KiB compressed
    return path


def test_a_member_over_the_per_file_limit_is_refused_before_anything_is_written(tmp_path):
    archive = _bomb(tmp_path / "bomb.zip", mib=3)
    assert archive.stat().st_size < 64 * 1024
    dest = tmp_path / "out"
    with pytest.raises(ScanFormatError, match=r"'000\.ply' expands to 3 MiB \(limit 1 MiB per"):
        extract_zip(archive, dest, InputLimits(max_file_mb=1))
    assert not dest.exists()  # refused from the declared size: nothing written at all


def test_sizes_the_headers_understate_are_counted_and_no_partial_file_is_left(tmp_path):
    archive = _bomb(tmp_path / "liar.zip", mib=3)
    data = bytearray(archive.read_bytes())
    small = (1000).to_bytes(4, "little")
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = small  # uncompressed size in the local header
    data[central + 24 : central + 28] = small  # and in the central directory
    archive.write_bytes(bytes(data))
    dest = tmp_path / "out"
    with pytest.raises(ScanFormatError, match=r"cannot extract '000\.ply'") as info:
        extract_zip(archive, dest, InputLimits(max_file_mb=1))
    assert info.value.path == archive
    assert not (dest / "000.ply").exists()


def test_extraction_streams_in_chunks_with_a_small_memory_peak(tmp_path):
    import tracemalloc

    archive = _bomb(tmp_path / "big.zip", name="S1/000.ply", mib=48)
    tracemalloc.start()
    try:
        extract_zip(archive, tmp_path / "out", InputLimits(max_file_mb=64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out" / "S1" / "000.ply").stat().st_size == 48 * 2**20
    assert peak < 8 * 2**20  # a few 1 MiB chunks, never the whole member


@pytest.mark.parametrize(
    "members",
    [
        {"S1": b"ply", "S1/000.ply": b"ply"},  # a file, then a file inside it
        {"S1/000.ply": b"ply", "S1": b"ply"},  # the other order
        {"S1/": b"", "S1/000.ply/": b"", "S1/000.ply": b"ply"},  # a folder entry and a file
    ],
)
def test_a_name_that_is_both_a_file_and_a_folder_is_a_format_error(tmp_path, members):
    archive = _zip(tmp_path / "clash.zip", members)
    with pytest.raises(ScanFormatError, match="is both a file and a folder") as info:
        extract_zip(archive, tmp_path / "out")
    assert info.value.path == archive and "out" not in info.value.reason


def test_a_name_given_twice_and_exotic_compression_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as zf:
        zf.writestr("000.ply", b"a")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("000.ply", b"b")
    with pytest.raises(ScanFormatError, match=r"holds '000\.ply' twice"):
        extract_zip(tmp_path / "twice.zip", tmp_path / "o1")
    bz2 = _bomb(tmp_path / "bz2.zip", mib=1, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(ScanFormatError, match="only stored and deflate"):
        extract_zip(bz2, tmp_path / "o2")


def test_a_bad_frame_inside_a_zip_names_the_zip_and_the_member_not_the_temp_folder(
    predictor, samples, tmp_path
):
    folder = samples / "seq" / "S1"
    members = {f"S1/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}
    members["S1/002.ply"] = b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n0 0\n"
    archive = _zip(tmp_path / "seq.zip", members)
    with pytest.raises(ScanFormatError) as info:
        predictor.predict(archive)
    assert info.value.path == archive
    assert info.value.reason.startswith("S1/002.ply: ")
    assert "affectvlm-zip" not in str(info.value)


def test_a_folder_of_full_width_numbered_files_is_not_a_sequence(tmp_path):
    from affectvlm.infer.inputs import is_sequence_folder

    for name in ("000.ply", "001.ply"):
        (tmp_path / "ascii").mkdir(exist_ok=True)
        (tmp_path / "ascii" / name).write_bytes(b"ply\n")
    for name in ("０００.ply", "００１.ply"):
        (tmp_path / "wide").mkdir(exist_ok=True)
        (tmp_path / "wide" / name).write_bytes(b"ply\n")
    assert is_sequence_folder(tmp_path / "ascii")
    assert not is_sequence_folder(tmp_path / "wide")

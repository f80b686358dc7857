"""Bounded resources (issue 12, item 2): a read takes memory within a small multiple of the
file, and a file over the size limit is refused, naming its size and the limit, before it is
read."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from affectvlm.io import Scan, ScanFormatError, read_scan, write_obj
from affectvlm.io.registry import MAX_SCAN_BYTES, MAX_SCAN_ENV

MEMORY_FACTOR = 3
MEMORY_SLACK = 8 * 2**20  # numpy/parser working space, independent of the file size


def _grid(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, uv) of an n × n face-sized height field."""
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float64)
    z = 30 * np.exp(-((xs - n / 2) ** 2 + (ys - n / 2) ** 2) / (n * n / 8))
    vertices = np.stack([xs * 150 / n - 75, ys * 190 / n - 95, z], -1).reshape(-1, 3)
    q = (ys[:-1, :-1] * n + xs[:-1, :-1]).astype(np.int64).ravel()
    faces = np.concatenate([np.stack([q, q + 1, q + n + 1], 1), np.stack([q, q + n + 1, q + n], 1)])
    return vertices, faces, np.stack([xs, ys], -1).reshape(-1, 2) / (n - 1)


def _rows(fmt: str, values: np.ndarray, indent: int) -> str:
    return ",\n".join(" " * indent + fmt % tuple(row) for row in values.tolist())


def _write_wrl(path: Path, n: int) -> None:
    """The BU-3DFE ``_F3D.wrl`` layout: one item per line, 40–48 spaces deep."""
    vertices, faces, uv = _grid(n)
    tri = "%d %d %d -1"
    path.write_text(
        "#VRML V2.0 utf8\nDEF Tricorder_object Transform {\n  children [\n    Shape {\n"
        "      geometry IndexedFaceSet {\n        coord Coordinate {\n          point [\n"
        f"{_rows('%.6g %.6g %.6g', vertices, 48)}\n          ]\n        }}\n"
        f"        coordIndex [\n{_rows(tri, faces, 40)}\n        ]\n"
        "        texCoord TextureCoordinate {\n          point [\n"
        f"{_rows('%.6g %.6g', uv, 48)}\n          ]\n        }}\n"
        f"        texCoordIndex [\n{_rows(tri, faces, 40)}\n        ]\n      }}\n    }}\n  ]\n}}\n"
    )


def _write_obj(path: Path, n: int) -> None:
    vertices, faces, uv = _grid(n)
    write_obj(path, Scan(vertices, faces, uv=uv, uv_faces=faces))


def _write_ply(path: Path, n: int) -> None:
    """ASCII PLY, one vertex or face per line."""
    vertices, faces, _ = _grid(n)
    header = (
        f"ply\nformat ascii 1.0\nelement vertex {len(vertices)}\n"
        "property float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    body = "\n".join(f"{x:.6g} {y:.6g} {z:.6g}" for x, y, z in vertices.tolist())
    body += "\n" + "\n".join(f"3 {a} {b} {c}" for a, b, c in faces.tolist()) + "\n"
    path.write_text(header + body)


WRITERS = {
    "face.wrl": (_write_wrl, 100),
    "face.obj": (_write_obj, 170),
    "face.ply": (_write_ply, 230),
}


def _traced_read(path: Path) -> tuple[Scan, int]:
    read_scan(path, load_texture=False)  # off the trace: lazily imported code, reused buffers
    tracemalloc.start()
    try:
        scan = read_scan(path, load_texture=False)
        return scan, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_read_peak_memory_stays_within_three_times_the_file(tmp_path, name):
    write, n = WRITERS[name]
    path = tmp_path / name
    write(path, n)
    size = path.stat().st_size
    assert size > 2_500_000  # big enough that 3× the file, not the slack, is what is tested
    scan, peak = _traced_read(path)
    assert len(scan.vertices) == n * n and len(scan.faces) == 2 * (n - 1) ** 2
    bound = MEMORY_FACTOR * size + MEMORY_SLACK
    assert peak <= bound, f"{name}: peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "face.wrl"
    _write_wrl(path, 20)
    size = path.stat().st_size

    def no_read(self):
        raise AssertionError("the reader opened a file over the limit")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    fault = rf"file is {size} bytes \([0-9.]+ MiB\), over the limit of 10000 bytes"
    with pytest.raises(ScanFormatError, match=fault) as info:
        read_scan(path, max_bytes=10_000)
    assert info.value.path == path and str(path) in str(info.value)


def test_the_size_limit_defaults_to_512_mib_and_follows_the_environment(tmp_path, monkeypatch):
    assert MAX_SCAN_BYTES == 512 * 2**20
    path = tmp_path / "face.wrl"
    _write_wrl(path, 20)
    assert len(read_scan(path).vertices) == 400
    monkeypatch.setenv(MAX_SCAN_ENV, "0.001")
    with pytest.raises(ScanFormatError, match=f"over the limit of 1048 bytes .*{MAX_SCAN_ENV}"):
        read_scan(path)
    assert len(read_scan(path, max_bytes=path.stat().st_size).vertices) == 400  # keyword wins
    monkeypatch.setenv(MAX_SCAN_ENV, "lots")
    with pytest.raises(ValueError, match=f"{MAX_SCAN_ENV} must be a positive number"):
        read_scan(path)

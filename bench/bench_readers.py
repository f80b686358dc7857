"""Time the scan readers on BU-3DFE/Bosphorus/OBJ-sized synthetic files; print a markdown table.

Run: ``.venv/bin/python bench/bench_readers.py [--repeats 15]``. Files are generated in a
temp folder: a 187×187 height-field grid (~35k vertices, ~69k triangles) written in the
real BU-3DFE ``_F3D.wrl`` layout (8 spaces per nesting level, so list items sit 40–48
spaces deep as in the 2.9 MB / 8k-vertex sample; 6 significant digits; a UV seam so
texCoord has more entries than coord), the same surface as a Bosphorus ``.bnt`` and as an OBJ frame.
"""

from __future__ import annotations

import argparse
import re
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from affectvlm.io import read_bnt, read_obj, read_wrl

GRID = 187


def height_field(n: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, uv, uv_faces) of a face-sized bumpy surface; UVs split along a seam."""
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float64)
    z = 40 * np.exp(-((xs - n / 2) ** 2 + (ys - n / 2) ** 2) / (n * 12)) + np.sin(xs / 7)
    vertices = np.stack([xs * 0.79 - 73.3, ys * 0.99 - 92.1, z - 35.2], -1).reshape(-1, 3)
    q = (ys[:-1, :-1] * n + xs[:-1, :-1]).astype(np.int64).ravel()
    faces = np.concatenate([np.stack([q, q + 1, q + n + 1], 1), np.stack([q, q + n + 1, q + n], 1)])
    uv = np.stack([xs / (n - 1), ys / (n - 1)], -1).reshape(-1, 2)
    seam = np.flatnonzero(xs.ravel() == n // 2)  # duplicate UVs of one column (a texture seam)
    uv = np.concatenate([uv, uv[seam]])
    remap = np.arange(n * n)
    remap[seam] = n * n + np.arange(len(seam))
    uv_faces = faces.copy()
    right = vertices[faces].mean(axis=1)[:, 0] > vertices[seam[0], 0]
    uv_faces[right] = remap[faces[right]]
    return vertices, faces, uv, uv_faces


def _rows(fmt: str, array: np.ndarray, indent: int) -> str:
    """One item per line, comma-terminated except the last, indented like the sample."""
    return ",\n".join(" " * indent + fmt % tuple(row) for row in array)


def write_wrl(path: Path, vertices, faces, uv, uv_faces) -> None:
    tri = "%d %d %d -1"
    text = (
        "#VRML V2.0 utf8\n# Produced by Tricorder Technology (synthetic benchmark)\n"
        "DEF Tricorder_object Transform {\n  children [\n    Shape {\n"
        "      appearance Appearance {\n        texture ImageTexture {\n"
        f'          url "{path.stem}.bmp"\n          repeatS FALSE\n          repeatT FALSE\n'
        "        }\n      }\n      geometry IndexedFaceSet {\n        ccw TRUE\n"
        "        solid FALSE\n        convex TRUE\n        creaseAngle 1.57\n"
        "        coord Coordinate {\n          point [\n"
        f"{_rows('%.6g %.6g %.6g', vertices, 48)}\n          ]\n        }}\n"
        f"        coordIndex [\n{_rows(tri, faces, 40)}\n        ]\n"
        "        texCoord TextureCoordinate {\n          point [\n"
        f"{_rows('%.6g %.6g', uv, 48)}\n          ]\n        }}\n"
        f"        texCoordIndex [\n{_rows(tri, uv_faces, 40)}\n        ]\n"
        "      }\n    }\n  ]\n}\n"
    )
    for side in ("Front", "Back", "Left", "Right", "Top", "Bottom"):
        text += f"DEF Tricorder_Camera_{side} Viewpoint {{\n  position 0 0 400\n}}\n"
    path.write_text(text)


def write_bnt(path: Path, vertices: np.ndarray, n: int = GRID) -> None:
    planes = np.empty((5, n * n))
    planes[:3] = vertices.T
    planes[3], planes[4] = np.tile(np.linspace(0, 1, n), n), np.repeat(np.linspace(1, 0, n), n)
    corner = (np.arange(n * n) % n < 10) & (np.arange(n * n) // n < 10)
    planes[:3, corner] = -1e9  # a background corner
    name = f"{path.stem}.png".encode()
    head = struct.pack("<HHdH", n, n, -1e9, len(name)) + name + struct.pack("<I", planes.size)
    path.write_bytes(head + planes.astype("<f8").tobytes())


def write_obj(path: Path, vertices, faces, uv, uv_faces) -> None:
    corners = np.stack([faces + 1, uv_faces + 1], axis=2).reshape(-1, 6)
    blocks = [
        ("v %.6g %.6g %.6g", vertices),
        ("vt %.6g %.6g", uv),
        ("f %d/%d %d/%d %d/%d", corners),
    ]
    path.write_text("\n".join("\n".join(fmt % tuple(r) for r in rows) for fmt, rows in blocks))


def naive_wrl(path: Path) -> int:
    """The usual research-code baseline: regex lists, one Python float per token."""
    text = path.read_text()
    lists = re.findall(r"\[([^\[\]]*)\]", text)
    total = 0
    for block in lists:
        total += len([float(t) for t in re.findall(r"[-+0-9.eE]+", block)])
    return total


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """Median and min wall ms, and median CPU ms (robust to other jobs on the machine)."""
    fn()  # warm the page cache
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    from PIL import Image

    mesh = height_field()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wrl, bnt, obj = root / "F0001_AN01WH_F3D.wrl", root / "bs000_N_N_0.bnt", root / "0001.obj"
        write_wrl(wrl, *mesh)
        write_bnt(bnt, mesh[0])
        write_obj(obj, *mesh)
        Image.new("RGB", (512, 512), (200, 150, 120)).save(root / "F0001_AN01WH_F3D.bmp")
        cases = [
            ("read_wrl (load_texture=False)", wrl, lambda: read_wrl(wrl, load_texture=False)),
            ("read_wrl + 512² BMP texture", wrl, lambda: read_wrl(wrl)),
            ("naive regex .wrl parse (baseline)", wrl, lambda: naive_wrl(wrl)),
            ("read_bnt (load_texture=False)", bnt, lambda: read_bnt(bnt, load_texture=False)),
            ("read_obj (load_texture=False)", obj, lambda: read_obj(obj, load_texture=False)),
        ]
        print(
            f"| reader | file | MB | vertices | triangles | median ms (n={args.repeats}) | min ms "
            "| median CPU ms |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for label, path, fn in cases:
            result = fn()
            sizes = (
                (len(result.vertices), len(result.faces)) if hasattr(result, "faces") else ("", "")
            )
            median, best, cpu = timed(fn, args.repeats)
            mb = path.stat().st_size / 1e6
            print(
                f"| {label} | {path.name} | {mb:.1f} | {sizes[0]} | {sizes[1]} "
                f"| {median:.1f} | {best:.1f} | {cpu:.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

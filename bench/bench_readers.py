"""Reader speed and peak memory on BU-3DFE/Bosphorus/OBJ-sized synthetic files, side by side
with VTK's importers in one run; prints markdown tables.

Run: ``.venv/bin/python bench/bench_readers.py [--repeats 15] [--big-mb 200] [--big-repeats 3]``.
VTK is a benchmark-only peer (``pip install vtk``; its rows are skipped without it).

Files are generated in a temp folder (never committed): a 187×187 height-field grid (~35k
vertices, ~69k triangles) written in the real BU-3DFE ``_F3D.wrl`` layout (8 spaces per
nesting level, so list items sit 40–48 spaces deep as in the 2.9 MB / 8k-vertex sample; 6
significant digits; a UV seam so texCoord has more entries than coord), the same surface as a
Bosphorus ``.bnt`` and as an OBJ frame, and the grid upscaled until the ``.wrl`` and the
``.obj`` are each about ``--big-mb`` MB. Speed: median and min wall time of ``--repeats``
reads in this process, the readers taking turns so machine load hits all alike. Memory: each
read runs alone in a fresh subprocess (``--big-repeats`` times; medians), which reports its
wall time, the peak resident memory the read added (Linux ``VmHWM`` after resetting it, minus
``VmRSS`` before) and, for our readers, the peak of ``tracemalloc`` (numpy's buffers included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np

from affectvlm.io import read_bnt, read_obj, read_scan, read_wrl

GRID = 187
_ROWS_PER_WRITE = 100_000


def height_field(n: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, uv, uv_faces) of a face-sized bumpy surface; UVs split along a seam."""
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float64)
    scale = (GRID - 1) / (n - 1)  # a finer grid over the same face-sized surface
    xs, ys = xs * scale, ys * scale
    z = 40 * np.exp(-((xs - GRID / 2) ** 2 + (ys - GRID / 2) ** 2) / (GRID * 12)) + np.sin(xs / 7)
    vertices = np.stack([xs * 0.79 - 73.3, ys * 0.99 - 92.1, z - 35.2], -1).reshape(-1, 3)
    i, j = np.mgrid[0 : n - 1, 0 : n - 1]
    q = (i * n + j).astype(np.int64).ravel()
    faces = np.concatenate([np.stack([q, q + 1, q + n + 1], 1), np.stack([q, q + n + 1, q + n], 1)])
    uv = np.stack([xs / (GRID - 1), ys / (GRID - 1)], -1).reshape(-1, 2)
    seam = np.flatnonzero(np.arange(n * n) % n == n // 2)  # duplicate the UVs of one column
    uv = np.concatenate([uv, uv[seam]])
    remap = np.arange(n * n)
    remap[seam] = n * n + np.arange(len(seam))
    uv_faces = faces.copy()
    right = vertices[faces].mean(axis=1)[:, 0] > vertices[seam[0], 0]
    uv_faces[right] = remap[faces[right]]
    return vertices, faces, uv, uv_faces


def _write_rows(out: TextIO, fmt: str, array: np.ndarray, indent: int, sep: str) -> None:
    """One item per line, ``sep``-terminated except the last, indented like the sample."""
    line = " " * indent + fmt
    for at in range(0, len(array), _ROWS_PER_WRITE):
        rows = array[at : at + _ROWS_PER_WRITE]
        out.write(sep.join(line % tuple(row) for row in rows.tolist()))
        out.write(sep if at + _ROWS_PER_WRITE < len(array) else "\n")


def write_wrl(path: Path, vertices, faces, uv, uv_faces) -> None:
    tri = "%d %d %d -1"
    with open(path, "w") as out:
        out.write(
            "#VRML V2.0 utf8\n# Produced by Tricorder Technology (synthetic benchmark)\n"
            "DEF Tricorder_object Transform {\n  children [\n    Shape {\n"
            "      appearance Appearance {\n        texture ImageTexture {\n"
            f'          url "{path.stem}.bmp"\n          repeatS FALSE\n          repeatT FALSE\n'
            "        }\n      }\n      geometry IndexedFaceSet {\n        ccw TRUE\n"
            "        solid FALSE\n        convex TRUE\n        creaseAngle 1.57\n"
            "        coord Coordinate {\n          point [\n"
        )
        _write_rows(out, "%.6g %.6g %.6g", vertices, 48, ",\n")
        out.write("          ]\n        }\n        coordIndex [\n")
        _write_rows(out, tri, faces, 40, ",\n")
        out.write("        ]\n        texCoord TextureCoordinate {\n          point [\n")
        _write_rows(out, "%.6g %.6g", uv, 48, ",\n")
        out.write("          ]\n        }\n        texCoordIndex [\n")
        _write_rows(out, tri, uv_faces, 40, ",\n")
        out.write("        ]\n      }\n    }\n  ]\n}\n")
        for side in ("Front", "Back", "Left", "Right", "Top", "Bottom"):
            out.write(f"DEF Tricorder_Camera_{side} Viewpoint {{\n  position 0 0 400\n}}\n")


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
    with open(path, "w") as out:
        _write_rows(out, "v %.6g %.6g %.6g", vertices, 0, "\n")
        _write_rows(out, "vt %.6g %.6g", uv, 0, "\n")
        _write_rows(out, "f %d/%d %d/%d %d/%d", corners, 0, "\n")


def naive_wrl(path: Path) -> int:
    """The usual research-code baseline: regex lists, one Python float per token."""
    text = path.read_text()
    lists = re.findall(r"\[([^\[\]]*)\]", text)
    total = 0
    for block in lists:
        total += len([float(t) for t in re.findall(r"[-+0-9.eE]+", block)])
    return total


def _quiet_vtk():
    import vtk

    vtk.vtkObject.GlobalWarningDisplayOff()
    vtk.vtkLogger.SetStderrVerbosity(vtk.vtkLogger.VERBOSITY_OFF)
    return vtk


def vtk_wrl(path: Path) -> tuple[int, int]:
    """VTK's VRML importer: every actor's polydata (points, polygons)."""
    vtk = _quiet_vtk()
    importer = vtk.vtkVRMLImporter()
    importer.SetFileName(str(path))
    importer.Update()
    actors = importer.GetRenderer().GetActors()
    actors.InitTraversal()
    points = polys = 0
    for _ in range(actors.GetNumberOfItems()):
        data = actors.GetNextActor().GetMapper().GetInput()
        points, polys = points + data.GetNumberOfPoints(), polys + data.GetNumberOfPolys()
    return points, polys


def vtk_obj(path: Path) -> tuple[int, int]:
    vtk = _quiet_vtk()
    reader = vtk.vtkOBJReader()
    reader.SetFileName(str(path))
    reader.Update()
    data = reader.GetOutput()
    return data.GetNumberOfPoints(), data.GetNumberOfPolys()


def has_vtk() -> bool:
    try:
        _quiet_vtk()
    except ImportError:
        return False
    return True


def vtk_version() -> str:
    return _quiet_vtk().vtkVersion.GetVTKVersion()


READS: dict[str, Callable[[Path], object]] = {
    "ours": lambda p: read_scan(p, load_texture=False),
    "vtk_wrl": vtk_wrl,
    "vtk_obj": vtk_obj,
}


def _status(key: str) -> int:
    """A ``/proc/self/status`` figure in bytes (``VmRSS``, ``VmHWM``)."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def child(kind: str, path: Path) -> dict:
    """One read, alone in this process: wall time, added peak RSS, traced peak (ours)."""
    import tracemalloc

    read = READS[kind]
    with tempfile.TemporaryDirectory() as tmp:  # load lazily imported code off the clock
        tiny = Path(tmp) / f"t{path.suffix}"
        write = write_wrl if path.suffix == ".wrl" else write_obj
        write(tiny, *height_field(4))
        read(tiny)
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    start = time.perf_counter()
    read(path)
    wall = time.perf_counter() - start
    rss = _status("VmHWM") - before
    traced = None
    if kind == "ours":  # a second read, traced (tracemalloc's own bookkeeping kept off the RSS)
        tracemalloc.start()
        read(path)
        traced = tracemalloc.get_traced_memory()[1]
    return {"wall_s": wall, "rss": rss, "traced": traced}


def measure(kind: str, path: Path, repeats: int) -> dict:
    """Medians of ``repeats`` fresh-subprocess reads."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        k: (statistics.median(r[k] for r in runs) if runs[0][k] is not None else None)
        for k in runs[0]
    }


def timed(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """(median, min) wall ms of each function, the functions taking turns."""
    for fn in fns.values():
        fn()  # warm the page cache and lazy imports
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append((time.perf_counter() - start) * 1000)
    return {k: (statistics.median(v), min(v)) for k, v in times.items()}


def _upscaled(root: Path, suffix: str, target_mb: float) -> Path:
    """A height field written as ``suffix`` and refined until the file is ~``target_mb`` MB."""
    write = write_wrl if suffix == ".wrl" else write_obj
    n, path = GRID, root / f"probe{suffix}"
    for _ in range(3):  # file size ∝ n² (index digits grow a little): a few refinements
        write(path, *height_field(n))
        size = path.stat().st_size
        if abs(size / (target_mb * 1e6) - 1) < 0.05:
            break
        n = max(GRID, round(n * (target_mb * 1e6 / size) ** 0.5))
        path.unlink()
        path = root / f"big_{n}{suffix}"
    return path


def speed_table(root: Path, repeats: int, peers: bool) -> None:
    from PIL import Image

    mesh = height_field()
    wrl, bnt, obj = root / "F0001_AN01WH_F3D.wrl", root / "bs000_N_N_0.bnt", root / "0001.obj"
    write_wrl(wrl, *mesh)
    write_bnt(bnt, mesh[0])
    write_obj(obj, *mesh)
    Image.new("RGB", (512, 512), (200, 150, 120)).save(root / "F0001_AN01WH_F3D.bmp")
    cases = {
        "`read_wrl` (load_texture=False)": (wrl, lambda: read_wrl(wrl, load_texture=False)),
        "`read_wrl` + 512² BMP texture": (wrl, lambda: read_wrl(wrl)),
        "naive regex `.wrl` parse (baseline)": (wrl, lambda: naive_wrl(wrl)),
        "`read_bnt` (load_texture=False)": (bnt, lambda: read_bnt(bnt, load_texture=False)),
        "`read_obj` (load_texture=False)": (obj, lambda: read_obj(obj, load_texture=False)),
    }
    if peers:
        cases["VTK `vtkVRMLImporter` (geometry only)"] = (wrl, lambda: vtk_wrl(wrl))
        cases["VTK `vtkOBJReader`"] = (obj, lambda: vtk_obj(obj))
    results = timed({k: fn for k, (_, fn) in cases.items()}, repeats)
    print(f"| reader | file | MB | median ms (n={repeats}) | min ms |")
    print("|---|---|---|---|---|")
    for label, (path, _) in cases.items():
        median, best = results[label]
        mb = path.stat().st_size / 1e6
        print(f"| {label} | {path.name} | {mb:.1f} | {median:.1f} | {best:.1f} |")


def memory_table(root: Path, big_mb: float, repeats: int, peers: bool) -> None:
    wrl = root / "F0001_AN01WH_F3D.wrl"
    big_wrl, big_obj = _upscaled(root, ".wrl", big_mb), _upscaled(root, ".obj", big_mb)
    cases = [("ours", wrl), ("vtk_wrl", wrl), ("ours", big_wrl), ("vtk_wrl", big_wrl)]
    cases += [("ours", big_obj), ("vtk_obj", big_obj)]
    names = {
        "ours": "`read_scan`",
        "vtk_wrl": "VTK `vtkVRMLImporter`",
        "vtk_obj": "VTK `vtkOBJReader`",
    }
    print(
        f"| file | MB | reader | wall s (median of {repeats}) | peak RSS added, MB | × file "
        "| traced peak, MB | × file |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind, path in cases:
        if kind != "ours" and not peers:
            continue
        size = path.stat().st_size
        m = measure(kind, path, repeats)
        traced = m["traced"]
        traced_cells = f"{traced / 1e6:.0f} | {traced / size:.2f}" if traced else "— | —"
        print(
            f"| {path.name} | {size / 1e6:.0f} | {names[kind]} | {m['wall_s']:.2f} "
            f"| {m['rss'] / 1e6:.0f} | {m['rss'] / size:.2f} | {traced_cells} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed reads per reader")
    parser.add_argument("--big-mb", type=float, default=200.0, help="size of the big files")
    parser.add_argument("--big-repeats", type=int, default=3, help="subprocess reads per case")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0
    peers = has_vtk()
    print(
        f"VTK {vtk_version() if peers else 'not installed: peer rows skipped'}; "
        f"load average at start {os.getloadavg()[0]:.1f}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        speed_table(Path(tmp), args.repeats, peers)
        print()
        memory_table(Path(tmp), args.big_mb, args.big_repeats, peers)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

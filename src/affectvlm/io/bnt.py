"""Bosphorus ``.bnt`` range scans (FORMATS §3.2, §3.4): a grid of x, y, z, u, v planes.

The file stores grid rows bottom→top; :class:`BntGrid` flips them so row 0 is the top of
the face, like the ``.png``. Triangles: every grid quad with 4 valid corners is split into
2 triangles along its top-left/bottom-right diagonal; a quad with exactly 3 valid corners
keeps the one triangle they form (the grid holds no other surface there, and dropping it
would punch holes along every silhouette). All triangles face +z (counter-clockwise seen
from the front).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectvlm.io.bosphorus_landmarks import read_lm3
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.registry import register_reader
from affectvlm.io.scan import Scan
from affectvlm.io.texture import (
    OUTSIDE_NOTE,
    find_file,
    load_texture_image,
    outside_folder,
    resolve_texture,
)

_HEADER = struct.Struct("<HHdH")  # nrows, ncols, zmin, name length


@dataclass
class BntGrid:
    """A ``.bnt`` scan as a grid, row 0 at the top (the file's last row)."""

    xyz: np.ndarray  # (nrows, ncols, 3) float64, NaN where the cell is missing
    mask: np.ndarray  # (nrows, ncols) bool, True where x, y and z are all valid
    uv: np.ndarray  # (nrows, ncols, 2) float64, Scan convention (v = 1 at the image top)
    image_name: str
    zmin: float


def _sniff(head: bytes) -> bool:
    if len(head) < _HEADER.size + 4:
        return False
    nrows, ncols, zmin, length = _HEADER.unpack_from(head)
    if nrows == 0 or ncols == 0 or not np.isfinite(zmin) or len(head) < 18 + length:
        return False
    name = head[14 : 14 + length]
    (count,) = struct.unpack_from("<I", head, 14 + length)
    return name.isascii() and name.decode().isprintable() and count == 5 * nrows * ncols


def read_bnt_grid(path: str | Path) -> BntGrid:
    """Read and validate a ``.bnt`` file (all FORMATS §3.4 faults raise ScanFormatError)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) < 18:
        raise ScanFormatError(path, f"file is {len(data)} bytes, shorter than the 18-byte header")
    nrows, ncols, zmin, length = _HEADER.unpack_from(data)
    if len(data) < 18 + length:
        raise ScanFormatError(
            path, f"image-name length {length} runs past the end of the file ({len(data)} bytes)"
        )
    raw_name = data[14 : 14 + length]
    if not raw_name.isascii() or not raw_name.decode().isprintable():
        raise ScanFormatError(path, f"image name is not printable ASCII: {raw_name[:40]!r}")
    (count,) = struct.unpack_from("<I", data, 14 + length)
    payload = len(data) - 18 - length
    if nrows == 0 or ncols == 0:
        raise ScanFormatError(path, f"empty grid: nrows={nrows}, ncols={ncols}")
    if count % 5:
        raise ScanFormatError(path, f"value count {count} is not a multiple of 5 (x y z u v)")
    if payload != 8 * count:
        fault = "truncated" if payload < 8 * count else "trailing bytes"
        raise ScanFormatError(
            path, f"payload is {payload} bytes but count {count} needs {8 * count} ({fault})"
        )
    if count // 5 != nrows * ncols:
        raise ScanFormatError(
            path, f"value count {count} is not 5 × nrows × ncols = 5 × {nrows} × {ncols}"
        )
    if not np.isfinite(zmin):
        raise ScanFormatError(path, f"background marker zmin is {zmin}")
    planes = np.frombuffer(data, dtype="<f8", offset=18 + length).reshape(5, nrows, ncols)
    if not np.isfinite(planes).all():
        raise ScanFormatError(path, "coordinates or u, v contain NaN or infinite values")
    planes = planes[:, ::-1]  # file rows run bottom→top
    mask = (planes[:3] != zmin).all(axis=0)
    if not mask.any():
        raise ScanFormatError(path, "every cell is background (empty scan)")
    xyz = np.where(mask[..., None], np.moveaxis(planes[:3], 0, -1), np.nan)
    uv = np.stack([planes[3], 1.0 - planes[4]], axis=-1)
    return BntGrid(xyz, mask, uv, raw_name.decode(), float(zmin))


def grid_triangles(mask: np.ndarray) -> np.ndarray:
    """Triangles over a validity grid, as flat cell indices (row-major), counter-clockwise."""
    cell = np.arange(mask.size).reshape(mask.shape)
    a, b = cell[:-1, :-1].ravel(), cell[:-1, 1:].ravel()  # top-left, top-right
    c, d = cell[1:, :-1].ravel(), cell[1:, 1:].ravel()  # bottom-left, bottom-right
    flat = mask.ravel()
    va, vb, vc, vd = flat[a], flat[b], flat[c], flat[d]
    n_valid = va.astype(int) + vb + vc + vd
    full = n_valid == 4
    tris = [
        np.stack([a, c, d], axis=1)[full],
        np.stack([a, d, b], axis=1)[full],
    ]
    three = n_valid == 3
    for missing, corners in ((va, (b, c, d)), (vb, (a, c, d)), (vc, (a, d, b)), (vd, (a, c, b))):
        pick = three & ~missing
        tris.append(np.stack(corners, axis=1)[pick])
    return np.concatenate(tris)


@register_reader("bnt", (".bnt",), sniff=_sniff)
def read_bnt(path: str | Path, *, load_texture: bool = True, landmarks: bool = True) -> Scan:
    """Read a Bosphorus scan as a mesh of its valid cells, textured by its ``.png``.

    With ``landmarks`` a sibling ``<stem>.lm3`` becomes ``scan.landmarks`` and
    ``scan.landmark_names``.
    """
    path = Path(path)
    grid = read_bnt_grid(path)
    notes: list[str] = []
    if grid.image_name != f"{path.stem}.png":
        notes.append(f"image name {grid.image_name!r} does not match the file stem")
    tris = grid_triangles(grid.mask)
    if len(tris) == 0:
        raise ScanFormatError(path, "valid cells form no triangle (isolated points only)")
    flat_mask = grid.mask.ravel()
    new_index = np.cumsum(flat_mask) - 1
    faces = new_index[tris]
    vertices = grid.xyz.reshape(-1, 3)[flat_mask]
    uv = grid.uv.reshape(-1, 2)[flat_mask]
    named = [grid.image_name] if grid.image_name else []
    texture_path, note = resolve_texture(path.parent, named, [f"{path.stem}.png"], "image name")
    notes.append(note)
    texture = load_texture_image(texture_path) if load_texture and texture_path else None
    scan = Scan(
        vertices,
        faces,
        uv=uv,
        uv_faces=faces,
        texture=texture,
        texture_path=texture_path,
        path=path,
        notes=notes,
    )
    if landmarks:
        lm3, _ = find_file(path.parent, f"{path.stem}.lm3")
        if lm3 is None and outside_folder(path.parent, f"{path.stem}.lm3"):
            notes.append(f"landmarks {path.stem}.lm3 {OUTSIDE_NOTE}")
        if lm3 is not None:
            points = read_lm3(lm3)
            if points:
                with np.errstate(over="ignore"):  # an overflow is inf: check_geometry rejects it
                    scan.landmarks = np.stack(list(points.values())).astype(np.float32)
                scan.landmark_names = list(points)
            notes.append(f"landmarks from {lm3.name} ({len(points)} points)")
    return scan

"""BU-3DFE / BU-4DFE ``.bnd`` landmark files: 83 rows of ``index x y z`` (FORMATS §1.5, §2.2)."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import NamedTuple

import numpy as np

from affectvlm.io.errors import ScanFormatError

BND_POINTS = 83


class BndLandmarks(NamedTuple):
    """The 83 landmarks in the mesh frame and the 0-based mesh vertex index of each."""

    points: np.ndarray  # (83, 3) float32
    indices: np.ndarray  # (83,) int64


def read_bnd(path: str | Path, n_vertices: int | None = None) -> BndLandmarks:
    """Read a ``.bnd`` file; fields may be split by any whitespace (the files use doubled tabs).

    Trailing blank lines are tolerated. With ``n_vertices`` every index must lie in the mesh.
    """
    path = Path(path)
    try:
        text = path.read_bytes().removeprefix(codecs.BOM_UTF8).decode("ascii")
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read landmarks: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ScanFormatError(path, f"not an ASCII .bnd file (byte {exc.start})") from exc
    rows = text.rstrip().splitlines() if text.strip() else []
    if len(rows) != BND_POINTS:
        raise ScanFormatError(path, f"expected {BND_POINTS} landmark rows, found {len(rows)}")
    values = np.empty((BND_POINTS, 4), dtype=np.float64)
    for i, row in enumerate(rows):
        fields = row.split()
        if len(fields) != 4:
            raise ScanFormatError(
                path, f"row {i + 1} has {len(fields)} fields, expected 4 (index x y z)"
            )
        try:
            values[i] = [float(f) for f in fields]
        except ValueError:
            raise ScanFormatError(path, f"row {i + 1} has a non-numeric field: {row!r}") from None
    if not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise ScanFormatError(path, f"row {bad + 1} has a NaN or infinite value")
    too_big = np.abs(values[:, 1:]) > np.finfo(np.float32).max
    if too_big.any():
        bad = int(np.flatnonzero(too_big.any(axis=1))[0])
        raise ScanFormatError(path, f"row {bad + 1} has a coordinate that overflows float32")
    indices = values[:, 0]
    if (indices > np.iinfo(np.int32).max).any():
        bad = int(np.flatnonzero(indices > np.iinfo(np.int32).max)[0])
        raise ScanFormatError(
            path, f"row {bad + 1}: vertex index {rows[bad].split()[0]} is too large"
        )
    if (indices != np.round(indices)).any() or (indices < 0).any():
        bad = int(np.flatnonzero((indices != np.round(indices)) | (indices < 0))[0])
        raise ScanFormatError(
            path, f"row {bad + 1}: vertex index {rows[bad].split()[0]} is not an integer ≥ 0"
        )
    indices = indices.astype(np.int64)
    if n_vertices is not None and (indices >= n_vertices).any():
        bad = int(np.flatnonzero(indices >= n_vertices)[0])
        raise ScanFormatError(
            path,
            f"row {bad + 1}: vertex index {indices[bad]} is outside the mesh "
            f"({n_vertices} vertices)",
        )
    return BndLandmarks(values[:, 1:].astype(np.float32), indices)

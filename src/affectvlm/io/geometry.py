"""Is a read mesh a face at all? Checks every reader's output before anyone renders it.

A file can be well-formed and still hold garbage: coordinates that overflow float32,
NaN left by a transform, a mesh whose triangles all have zero area, or coordinates of 1e30.
Such a scan renders to an empty view that a model then classifies with confidence, so the
reader boundary (:mod:`affectvlm.io.registry`) rejects it with a :class:`ScanFormatError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.scan import Scan


@dataclass(frozen=True)
class GeometryLimits:
    """Bounds a face scan in millimetres must meet (pass ``limits=`` to ``read_scan``).

    The defaults are wide, so scans of a whole head or a scan written in metres still pass;
    they exist to stop values no scanner writes.
    """

    max_coordinate: float = 1e5  # |x|, |y|, |z| in mm (100 m)
    max_extent: float = 1e4  # largest side of the bounding box, mm (10 m)
    min_extent: float = 1e-3  # mm (1 µm); smaller is a point, not a surface

    def __post_init__(self) -> None:
        if not 0 <= self.min_extent < self.max_extent <= 2 * self.max_coordinate:
            raise ValueError(f"GeometryLimits out of order: {self}")


DEFAULT_LIMITS = GeometryLimits()
_FIRST_FACES = 256  # a non-degenerate triangle is nearly always among the first


def check_geometry(scan: Scan, path: str | Path, limits: GeometryLimits | None = None) -> None:
    """Raise ScanFormatError naming ``path`` unless ``scan`` is a plausible face mesh.

    Checks: finite float32 vertices, faces indexing existing vertices, at least one triangle
    of non-zero area, coordinates and extent within ``limits``; finite UVs, colours and
    landmarks, and ``uv_faces`` aligned with ``faces``.
    """
    limits = limits or DEFAULT_LIMITS
    vertices, faces = scan.vertices, scan.faces
    if len(vertices) == 0:
        raise ScanFormatError(path, "zero vertices")
    if len(faces) == 0:
        raise ScanFormatError(path, "zero faces")
    if not _finite(vertices):
        k = int(np.flatnonzero(~np.isfinite(vertices).all(axis=1))[0])
        raise ScanFormatError(
            path, f"vertex {k} is not finite as float32 (NaN or overflow): {vertices[k].tolist()}"
        )
    if faces.min() < 0 or faces.max() >= len(vertices):
        bad = int(faces[(faces < 0) | (faces >= len(vertices))][0])
        raise ScanFormatError(path, f"face index {bad} out of range ({len(vertices)} vertices)")
    # column by column: a strided 1-D reduction is ~20x faster than ``min(axis=0)`` here
    low = np.array([vertices[:, i].min() for i in range(3)], dtype=np.float64)
    high = np.array([vertices[:, i].max() for i in range(3)], dtype=np.float64)
    reach = float(max(-low.min(), high.max()))
    if reach > limits.max_coordinate:
        raise ScanFormatError(
            path,
            f"a coordinate reaches {reach:.3g} mm, beyond the ±{limits.max_coordinate:g} mm "
            "of a face scan (GeometryLimits.max_coordinate)",
        )
    extent = float((high - low).max())
    if extent > limits.max_extent:
        raise ScanFormatError(
            path,
            f"the mesh spans {extent:.3g} mm, more than the {limits.max_extent:g} mm of a face "
            "scan (GeometryLimits.max_extent)",
        )
    if extent < limits.min_extent:
        raise ScanFormatError(
            path,
            f"the mesh spans {extent:.3g} mm, less than {limits.min_extent:g} mm "
            "(GeometryLimits.min_extent): all its points (nearly) coincide",
        )
    tolerance = (1e-6 * extent) ** 2  # on twice the area: far above rounding of collinear points
    if not _has_area(vertices, faces[:_FIRST_FACES], tolerance) and not _has_area(
        vertices, faces[_FIRST_FACES:], tolerance
    ):
        raise ScanFormatError(path, f"all {len(faces)} triangles have zero area (degenerate mesh)")
    _check_attributes(scan, path)


def _check_attributes(scan: Scan, path: str | Path) -> None:
    """UVs, colours and landmarks: finite float32, of the shapes the mesh implies."""
    if (scan.uv is None) != (scan.uv_faces is None):
        raise ScanFormatError(path, "texture coordinates without uv_faces (or the reverse)")
    if scan.uv is not None:
        if scan.uv.ndim != 2 or scan.uv.shape[1] != 2 or scan.uv_faces.shape != scan.faces.shape:
            raise ScanFormatError(path, "texture coordinates do not line up with the faces")
        if not _finite(scan.uv):
            raise ScanFormatError(path, "texture coordinates are not finite as float32")
        if len(scan.uv_faces) and (scan.uv_faces.min() < 0 or scan.uv_faces.max() >= len(scan.uv)):
            raise ScanFormatError(path, "uv_faces index outside the texture coordinates")
    for name in ("colors", "landmarks"):
        values = getattr(scan, name)
        if values is not None and not _finite(values):
            raise ScanFormatError(path, f"{name} are not finite as float32")
    if scan.colors is not None and scan.colors.shape != scan.vertices.shape:
        raise ScanFormatError(path, f"{len(scan.colors)} colours for {len(scan.vertices)} vertices")


def _finite(values: np.ndarray) -> bool:
    """All values finite (NaN and inf propagate through min/max, the fastest reductions)."""
    return values.size == 0 or bool(np.isfinite(values.min()) and np.isfinite(values.max()))


def _has_area(vertices: np.ndarray, faces: np.ndarray, tolerance: float) -> bool:
    if len(faces) == 0:
        return False
    corners = vertices[faces].astype(np.float64)  # (M, 3 corners, 3 axes)
    u, w = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    cross = u[:, [1, 2, 0]] * w[:, [2, 0, 1]] - u[:, [2, 0, 1]] * w[:, [1, 2, 0]]
    return bool((np.einsum("ij,ij->i", cross, cross) > tolerance**2).any())

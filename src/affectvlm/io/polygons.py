"""Polygon index lists → triangles, shared by the mesh readers (VRML, OBJ, PLY)."""

from __future__ import annotations

import numpy as np


def split_terminated(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a ``-1``-terminated index list into (corners, polygon lengths).

    A missing final ``-1`` is accepted (legal VRML). Values other than the terminators are
    returned unchanged; range checks are the caller's job.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size % 4 == 0 and indices.size:  # all triangles, the usual case: no search
        rows = indices.reshape(-1, 4)
        if (rows[:, 3] == -1).all() and rows[:, :3].min() >= 0:
            return rows[:, :3].reshape(-1), np.full(len(rows), 3, dtype=np.int64)
    if indices.size and indices[-1] != -1:
        indices = np.append(indices, -1)
    ends = np.flatnonzero(indices == -1)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    return indices[indices != -1], lengths


def fan_triangulate(corners: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Fan-triangulate polygons given flat corner indices and per-polygon lengths (all ≥ 3).

    Polygon ``(v0, v1, ..., vk)`` becomes ``(v0, vi, vi+1)`` for ``i = 1..k-1``, so applying
    the same call to aligned texture-index polygons keeps ``uv_faces`` aligned with faces.
    """
    corners = np.asarray(corners, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0:
        return np.zeros((0, 3), dtype=np.int64)
    if lengths.min() < 3:
        raise ValueError("polygons need at least 3 corners")
    if lengths.max() == 3:
        return corners.reshape(-1, 3)
    n_tri = lengths - 2
    first = np.cumsum(lengths) - lengths
    tri_first = np.repeat(first, n_tri)
    tri_start = np.cumsum(n_tri) - n_tri
    step = np.arange(int(n_tri.sum()), dtype=np.int64) - np.repeat(tri_start, n_tri) + 1
    return np.stack(
        [corners[tri_first], corners[tri_first + step], corners[tri_first + step + 1]], axis=1
    )

"""The neutral face mesh of a person (:class:`FaceModel`, shared by every face family) and the
``base`` family's mesh: a regular grid masked to the face outline.

Grid rows run bottom→top (chin first) and columns left→right, which is also the order of a
Bosphorus range grid. Texture coordinates map the template ``(x, y)`` box onto ``[0, 1]²``,
so the UV layout, and therefore the texture, is shared by every expression of a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from affectvlm.synth.identity import FaceIdentity, Identity
from affectvlm.synth.landmarks import lip_side, template_landmarks
from affectvlm.synth.shape import neutral_height, outline_half_width


def uv_extent(idt: Identity) -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` of the template box that UV ``[0, 1]²`` covers."""
    w = idt.half_width + 1.0
    return -w, w, idt.chin_y - 1.0, idt.top_y + 1.0


@dataclass(frozen=True, eq=False)
class FaceModel:
    """Neutral mesh of one identity at one resolution (shared by all of its expressions)."""

    identity: FaceIdentity
    rows: int
    cols: int
    spacing: float  # grid step along y (mm)
    template: np.ndarray  # (N, 3) float64 neutral vertex positions
    faces: np.ndarray  # (M, 3) int64, counter-clockwise seen from +z
    uv: np.ndarray  # (N, 2) float64 in [0, 1], v = 1 at the top
    grid_index: np.ndarray  # (rows, cols) int64 vertex id per grid cell, -1 outside the face
    # (rows run chin → top; a family may jitter or stagger its vertices off the cell centres)
    landmark_index: np.ndarray  # (83,) int64 vertex ids of the landmarks

    @property
    def n_vertices(self) -> int:
        return len(self.template)


def _grid_shape(idt: Identity, rows: int) -> tuple[int, int]:
    xmin, xmax, ymin, ymax = uv_extent(idt)
    return rows, max(3, round(rows * (xmax - xmin) / (ymax - ymin)))


def snap_landmarks(points: np.ndarray, template: np.ndarray, lip_y: float) -> np.ndarray:
    """Vertex ids nearest (in ``x, y``) to the 83 landmark ``points``; inner-lip landmarks
    snap only to vertices on their side of the lip line ``y = lip_y``."""
    side = lip_side()
    xy = template[:, :2]
    d2 = ((points[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    above = xy[:, 1] > lip_y
    d2[side == 1] = np.where(above, d2[side == 1], np.inf)
    d2[side == -1] = np.where(~above, d2[side == -1], np.inf)
    return d2.argmin(axis=1).astype(np.int64)


@lru_cache(maxsize=16)
def build_face_model(identity: Identity, resolution: int) -> FaceModel:
    """Mesh the neutral face of ``identity`` on a grid of ``resolution`` rows."""
    if resolution < 12:
        raise ValueError(f"resolution must be >= 12 grid rows, got {resolution}")
    rows, cols = _grid_shape(identity, resolution)
    xmin, xmax, ymin, ymax = uv_extent(identity)
    xs = np.linspace(xmin, xmax, cols)
    ys = np.linspace(ymin, ymax, rows)
    gx, gy = np.meshgrid(xs, ys)  # (rows, cols), row 0 = chin side
    inside = (np.abs(gx) <= outline_half_width(identity, gy)) & (gy >= identity.chin_y)
    inside &= gy <= identity.top_y
    quad = inside[:-1, :-1] & inside[:-1, 1:] & inside[1:, :-1] & inside[1:, 1:]
    used = np.zeros_like(inside)
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        used[dr : dr + rows - 1, dc : dc + cols - 1] |= quad
    grid_index = np.full((rows, cols), -1, dtype=np.int64)
    grid_index[used] = np.arange(int(used.sum()))
    r, c = np.nonzero(quad)
    v00, v01 = grid_index[r, c], grid_index[r, c + 1]
    v10, v11 = grid_index[r + 1, c], grid_index[r + 1, c + 1]
    faces = np.stack(
        [np.stack([v00, v01, v11], axis=1), np.stack([v00, v11, v10], axis=1)], axis=1
    ).reshape(-1, 3)
    x, y = gx[used], gy[used]
    template = np.stack([x, y, neutral_height(identity, x, y)], axis=1)
    uv = np.stack([(x - xmin) / (xmax - xmin), (y - ymin) / (ymax - ymin)], axis=1)
    for array in (template, faces, uv, grid_index):
        array.setflags(write=False)
    landmark_index = snap_landmarks(template_landmarks(identity), template, identity.mouth_y)
    landmark_index.setflags(write=False)
    return FaceModel(
        identity=identity,
        rows=rows,
        cols=cols,
        spacing=float(ys[1] - ys[0]),
        template=template,
        faces=faces,
        uv=uv,
        grid_index=grid_index,
        landmark_index=landmark_index,
    )


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """``(N, 3)`` per-vertex sums of the adjacent triangles' area-weighted normals (not unit)."""
    f = faces
    normal = np.cross(vertices[f[:, 1]] - vertices[f[:, 0]], vertices[f[:, 2]] - vertices[f[:, 0]])
    per_vertex = np.zeros_like(vertices)
    for corner in range(3):
        np.add.at(per_vertex, f[:, corner], normal)
    return per_vertex

"""The ``rbf`` family's neutral mesh: a staggered (hexagonal) lattice of near-equilateral
triangles with per-person jittered vertices, cut by the spherical crop.

``resolution`` lattice rows span the crop box (chin → top), so the same setting gives about
15 % fewer vertices per row than the ``base`` family's square grid and a different outline.
Rows still index a ``(rows, cols)`` grid (odd rows shifted by half a column), which is what
the Bosphorus range-grid writer needs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from affectvlm.synth.face import FaceModel, snap_landmarks
from affectvlm.synth.rbf.identity import RbfIdentity
from affectvlm.synth.rbf.landmarks import rbf_landmarks
from affectvlm.synth.rbf.shape import inside_crop, neutral_height

JITTER = 0.18
"""Largest vertex offset from its lattice site, as a fraction of the row step."""


def rbf_uv_extent(idt: RbfIdentity) -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` of the template box that UV ``[0, 1]²`` covers."""
    r = idt.crop_radius + 1.0
    return -r, r, idt.chin_y - 1.0, r


def _triangles(index: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Counter-clockwise triangles of a staggered lattice (odd rows shifted right by ½)."""
    rows, cols = index.shape
    tris = []
    for r in range(rows - 1):
        c = np.arange(cols - 1)
        a, b = index[r, c], index[r, c + 1]
        up_a, up_b = index[r + 1, c], index[r + 1, c + 1]
        ka, kb, kua, kub = keep[r, c], keep[r, c + 1], keep[r + 1, c], keep[r + 1, c + 1]
        if r % 2 == 0:  # the row above is shifted right
            first, first_ok = np.stack([a, b, up_a], 1), ka & kb & kua
            second, second_ok = np.stack([b, up_b, up_a], 1), kb & kub & kua
        else:
            first, first_ok = np.stack([a, b, up_b], 1), ka & kb & kub
            second, second_ok = np.stack([a, up_b, up_a], 1), ka & kub & kua
        tris += [first[first_ok], second[second_ok]]
    return np.concatenate(tris) if tris else np.zeros((0, 3), dtype=np.int64)


@lru_cache(maxsize=16)
def build_rbf_model(identity: RbfIdentity, resolution: int) -> FaceModel:
    """Mesh the neutral ``rbf`` face of ``identity`` with ``resolution`` lattice rows."""
    if resolution < 12:
        raise ValueError(f"resolution must be >= 12 lattice rows, got {resolution}")
    xmin, xmax, ymin, ymax = rbf_uv_extent(identity)
    rows = resolution
    step = (ymax - ymin) / (rows - 1)
    col_step = step * 2.0 / np.sqrt(3.0)
    cols = int((xmax - xmin - col_step / 2.0) / col_step) + 1
    shift = (np.arange(rows) % 2)[:, None] * col_step / 2.0
    gx = xmin + np.arange(cols)[None, :] * col_step + shift
    gy = np.broadcast_to(ymin + np.arange(rows)[:, None] * step, (rows, cols))
    rng = np.random.default_rng([identity.mesh_seed, resolution])
    jitter = rng.uniform(-JITTER, JITTER, (2, rows, cols)) * step
    gx = np.clip(gx + jitter[0], xmin, xmax)
    gy = np.clip(gy + jitter[1], ymin, ymax)
    gz = neutral_height(identity, gx, gy)
    inside = inside_crop(identity, gx, gy, gz)
    all_index = np.arange(rows * cols).reshape(rows, cols)
    tris = _triangles(all_index, inside)
    used = np.zeros(rows * cols, dtype=bool)
    used[tris.ravel()] = True
    grid_index = np.full(rows * cols, -1, dtype=np.int64)
    grid_index[used] = np.arange(int(used.sum()))
    faces = grid_index[tris].astype(np.int64)
    grid_index = grid_index.reshape(rows, cols)
    flat = used.reshape(rows, cols)
    template = np.stack([gx[flat], gy[flat], gz[flat]], axis=1)
    uv = np.stack([(gx[flat] - xmin) / (xmax - xmin), (gy[flat] - ymin) / (ymax - ymin)], axis=1)
    landmark_index = snap_landmarks(rbf_landmarks(identity), template, identity.mouth_y)
    for array in (template, faces, uv, grid_index, landmark_index):
        array.setflags(write=False)
    return FaceModel(
        identity=identity,
        rows=rows,
        cols=cols,
        spacing=float(step),
        template=template,
        faces=faces,
        uv=uv,
        grid_index=grid_index,
        landmark_index=landmark_index,
    )

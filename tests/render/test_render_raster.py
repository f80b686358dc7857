"""The rasterizer against a brute-force per-pixel reference on tiny dense meshes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from affectvlm.render.rasterizer import SUBPIXEL, rasterize


def _reference(xy: np.ndarray, near: np.ndarray, faces: np.ndarray, size: int) -> np.ndarray:
    """Face per pixel by testing every centre against every triangle (top-left rule)."""
    fixed = np.round(xy * SUBPIXEL).astype(np.int64)
    out = np.full((size, size), -1)
    best = np.full((size, size), -np.inf)
    for f, tri in enumerate(faces):
        p = fixed[tri]
        area = (p[1, 0] - p[0, 0]) * (p[2, 1] - p[0, 1]) - (p[2, 0] - p[0, 0]) * (p[1, 1] - p[0, 1])
        if area == 0:
            continue
        sign = np.sign(area)
        for row in range(size):
            for col in range(size):
                c = np.array([col, row]) * SUBPIXEL + SUBPIXEL // 2
                lam, inside = [], True
                for a, b in ((1, 2), (2, 0), (0, 1)):
                    e = sign * (
                        (p[a, 0] - c[0]) * (p[b, 1] - c[1]) - (p[b, 0] - c[0]) * (p[a, 1] - c[1])
                    )
                    coef_a, coef_b = sign * (p[a, 1] - p[b, 1]), sign * (p[b, 0] - p[a, 0])
                    top_left = coef_a > 0 or (coef_a == 0 and coef_b > 0)
                    inside &= e > 0 or (e == 0 and top_left)
                    lam.append(e)
                if not inside:
                    continue
                depth = float(np.dot(lam, near[tri]) / sum(lam))
                if depth > best[row, col]:  # strictly nearer: ties keep the lower face id
                    best[row, col], out[row, col] = depth, f
    return out


@pytest.mark.parametrize("spread", [0.6, 1.4, 3.0])  # one-centre, 2×2 and larger boxes
def test_small_triangles_cover_the_same_pixels_as_a_brute_force_reference(spread):
    rng = np.random.default_rng(7)
    size, n_tri = 12, 60
    centres = rng.uniform(0, size, size=(n_tri, 1, 2))
    xy = (centres + rng.uniform(-spread, spread, size=(n_tri, 3, 2))).reshape(-1, 2)
    xy[: len(xy) // 3] = np.round(xy[: len(xy) // 3] * 2) / 2  # corners on centre grid lines
    near = rng.uniform(0, 1, size=len(xy))
    faces = np.arange(len(xy)).reshape(-1, 3)
    frags = rasterize(
        torch.tensor(xy[None], dtype=torch.float32),
        torch.tensor(near[None], dtype=torch.float32),
        None,
        torch.as_tensor(faces),
        size,
    )
    expected = _reference(np.asarray(xy, dtype=np.float32), near, faces, size)
    assert (expected >= 0).sum() > 10
    assert np.array_equal(frags.face[0].numpy(), expected)

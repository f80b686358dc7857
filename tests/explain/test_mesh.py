"""Saliency projected onto mesh vertices goes to the faces the views see, and only those."""

from __future__ import annotations

import numpy as np
import pytest

from affectvlm.explain import render_vertex_heatmap, vertex_saliency
from affectvlm.io.scan import Scan
from affectvlm.render.config import RenderConfig, ViewSpec


def _grid(n: int, half: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    ticks = np.linspace(-half, half, n + 1)
    xs, ys = np.meshgrid(ticks, ticks)
    vertices = np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, z)], axis=1)
    faces = []
    for r in range(n):
        for c in range(n):
            a = r * (n + 1) + c
            faces += [(a, a + 1, a + n + 2), (a, a + n + 2, a + n + 1)]
    return vertices.astype(np.float32), np.asarray(faces, dtype=np.int64)


def two_planes() -> tuple[Scan, int]:
    """A 50 mm plane facing the camera and a smaller one hidden right behind it."""
    front_v, front_f = _grid(10, 50.0, 0.0)
    back_v, back_f = _grid(4, 30.0, -20.0)
    vertices = np.concatenate([front_v, back_v])
    faces = np.concatenate([front_f, back_f + len(front_v)])
    return Scan(vertices=vertices, faces=faces), len(front_v)


CONFIG = RenderConfig(
    views=[ViewSpec("frontal", 0.0, 0.0)], image_size=32, normalisation="bbox", bbox_percentile=0
)


def test_vertices_take_the_saliency_of_the_pixels_that_see_them():
    scan, n_front = two_planes()
    maps = np.zeros((1, 32, 32), dtype=np.float32)
    maps[0, :, :16] = 1.0  # evidence on the left half of the image (x < 0)
    result = vertex_saliency(scan, maps, CONFIG)
    x = scan.vertices[:, 0]
    front = np.arange(len(scan.vertices)) < n_front
    assert result.visible[front].all()
    assert (result.values[front & (x < -10)] > 0.9).all()
    assert (result.values[front & (x > 10)] < 0.1).all()
    assert not result.visible[~front].any() and (result.values[~front] == 0).all()


def test_maps_at_another_resolution_and_supersampled_renders_project_alike():
    scan, n_front = two_planes()
    maps = np.zeros((1, 64, 64), dtype=np.float32)
    maps[0, 32:, :] = 2.0  # bottom half of the image (y < 0)
    config = RenderConfig(
        views=CONFIG.views, image_size=32, normalisation="bbox", bbox_percentile=0, supersample=2
    )
    result = vertex_saliency(scan, maps, config)
    y = scan.vertices[:n_front, 1]
    assert result.values[:n_front][y < -10] == pytest.approx(2.0, abs=1e-4)
    assert (result.values[:n_front][y > 10] < 1e-4).all()


def test_wrong_number_of_maps_is_an_error():
    scan, _ = two_planes()
    with pytest.raises(ValueError, match="V = 1 views"):
        vertex_saliency(scan, np.zeros((3, 32, 32)), CONFIG)


def test_heat_map_view_is_hot_where_the_vertices_are_salient():
    scan, _ = two_planes()
    maps = np.zeros((1, 32, 32), dtype=np.float32)
    maps[0, :, :16] = 1.0
    image = render_vertex_heatmap(scan, vertex_saliency(scan, maps, CONFIG), CONFIG)
    assert image.shape == (1, 32, 32, 3) and image.dtype == np.uint8
    left = image[0, 8:24, 4:12].astype(float).mean()
    right = image[0, 8:24, 20:28].astype(float).mean()
    assert left > right + 60  # inferno: bright yellow for high values, near black for low

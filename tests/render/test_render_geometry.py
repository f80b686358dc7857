"""Geometric truths of the renderer: depth, mirroring, coverage rule, framing, texture lookup."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from render_meshes import bumped_face, mirrored, plane, two_colour_quad, with_landmarks

from affectvlm.io.scan import Scan
from affectvlm.render import RenderConfig, ViewSpec, normalise, render_views
from affectvlm.render.camera import BBOX_FRONT_OFFSET
from affectvlm.render.rasterizer import rasterize

ALL = ["texture", "shading", "depth", "normal"]


def _raster(tri_xy: list[tuple[float, float]], faces, size: int):
    xy = torch.tensor([tri_xy], dtype=torch.float32)
    ones = torch.ones(xy.shape[:2])
    return rasterize(xy, ones, ones, torch.as_tensor(np.asarray(faces)), size)


def test_plane_at_known_depth_gives_constant_depth_image():
    cfg = RenderConfig(image_size=40, channels=["depth"], bbox_percentile=0.0)
    out = render_views(plane(z=12.0), cfg)
    depth, mask = out.channels["depth"], out.mask
    assert mask[0].sum() > 0.7 * 40 * 40
    expected = 1 + 254 * (BBOX_FRONT_OFFSET + cfg.depth_range) / (2 * cfg.depth_range)
    assert np.all(np.abs(depth[0][mask[0]].astype(float) - expected) <= 0.5)
    assert np.all(depth[0][~mask[0]] == 0)


def test_perspective_plane_still_has_constant_depth():
    cfg = RenderConfig(image_size=32, channels=["depth"], projection="perspective")
    out = render_views(plane(z=-5.0), cfg)
    values = out.channels["depth"][0][out.mask[0]]
    assert values.size > 0 and values.max() - values.min() <= 1


def test_yawed_views_of_a_mirrored_mesh_are_mirror_images():
    face = bumped_face(n=24)
    common = dict(image_size=48, channels=["shading", "depth"], light=(0.0, 0.4, 1.0))
    cfg = RenderConfig(views=[ViewSpec("right", 20.0)], **common)  # light symmetric in x
    cfg_mirror = RenderConfig(views=[ViewSpec("left", -20.0)], **common)
    right = render_views(face, cfg)
    left_of_mirror = render_views(mirrored(face), cfg_mirror)
    for name in ("shading", "depth"):
        a = right.channels[name][0].astype(int)
        b = left_of_mirror.channels[name][0][:, ::-1].astype(int)
        assert np.mean(np.abs(a - b) > 2) < 0.01, name


def test_positive_yaw_moves_the_nose_tip_to_the_image_left():
    face = bumped_face(n=40, bump_x=0.0)  # a "nose" in the middle, pointing at the camera
    views = [ViewSpec("frontal", 0, 0), ViewSpec("left", -20, 0), ViewSpec("right", 20, 0)]
    out = render_views(face, RenderConfig(image_size=64, channels=["depth"], views=views))
    tip_column = [np.unravel_index(np.argmax(d), d.shape)[1] for d in out.channels["depth"]]
    assert abs(tip_column[0] - 31.5) <= 1
    assert tip_column[2] < tip_column[0] < tip_column[1]


def test_triangle_covers_pixels_whose_centres_are_inside_top_left_rule():
    frags = _raster([(0, 0), (4, 0), (0, 4)], [[0, 1, 2]], size=8)
    covered = frags.mask[0].numpy()
    rows, cols = np.nonzero(covered)
    # centres (c + .5, r + .5) strictly inside x + y < 4; the hypotenuse is a right edge
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == sorted(
        (r, c) for r in range(8) for c in range(8) if r + c <= 2
    )
    # centres exactly on a left edge (x = 0.5) and a top edge (y = 0.5) are covered
    left = _raster([(0.5, 0), (3, 2), (0.5, 4)], [[0, 1, 2]], size=8).mask[0].numpy()
    assert left[1, 0] and left[2, 0]
    right = _raster([(3.5, 0), (3.5, 4), (1, 2)], [[0, 1, 2]], size=8).mask[0].numpy()
    assert not right[:, 3].any()


@pytest.mark.parametrize("n", [1, 6])  # 20-pixel triangles (expanded boxes) or ~3-pixel ones
def test_shared_edges_are_neither_doubled_nor_cracked(n):
    rng = np.random.default_rng(3)
    size = 24
    ticks = np.linspace(2.0, 22.0, n + 1)
    xs, ys = np.meshgrid(ticks, ticks)
    pts = np.stack([xs.ravel(), ys.ravel()], 1)
    inner = (pts > 2.5).all(1) & (pts < 21.5).all(1)
    pts[inner] += rng.uniform(-1.2, 1.2, size=(inner.sum(), 2))
    pts = np.round(pts * 2) / 2  # many vertices and edges through pixel centres' grid lines
    i = np.arange(n)[:, None] * (n + 1) + np.arange(n)[None, :]
    faces = np.concatenate(
        [np.stack([i, i + 1, i + n + 2], -1), np.stack([i, i + n + 2, i + n + 1], -1)]
    )
    faces = faces.reshape(-1, 3)
    coverage = np.zeros((size, size), dtype=int)
    for face in faces:
        coverage += _raster([tuple(p) for p in pts], [face], size).mask[0].numpy()
    centres = np.arange(size) + 0.5
    inside_square = (centres[:, None] > 2) & (centres[:, None] < 22)
    inside_square = inside_square & inside_square.T
    assert coverage.max() == 1
    assert np.all(coverage[inside_square] == 1)


def test_nearest_face_wins_and_ties_go_to_the_lower_face_id():
    xy = torch.tensor([[(0, 0), (8, 0), (0, 8), (0, 0), (8, 0), (0, 8)]], dtype=torch.float32)
    near = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
    faces = torch.tensor([[0, 1, 2], [3, 4, 5]])
    frags = rasterize(xy, near, torch.ones_like(near), faces, 8)
    assert set(frags.face[0][frags.mask[0]].tolist()) == {1}
    frags = rasterize(xy, torch.zeros_like(near), torch.ones_like(near), faces, 8)
    assert set(frags.face[0][frags.mask[0]].tolist()) == {0}


@pytest.mark.parametrize("use_landmarks", [False, True])
def test_framing_ignores_translation_and_scale(use_landmarks):
    face = bumped_face(n=30)
    if use_landmarks:
        face = with_landmarks(face)
    moved = Scan(
        vertices=face.vertices * 2.5 + np.array([40.0, -25.0, 600.0]),
        faces=face.faces,
        colors=face.colors,
        landmarks=None if face.landmarks is None else face.landmarks * 2.5 + [40.0, -25.0, 600.0],
        landmark_names=face.landmark_names,
    )
    assert normalise(face).method == ("landmarks" if use_landmarks else "bbox")
    cfg = RenderConfig(image_size=40, channels=ALL)
    a, b = render_views(face, cfg), render_views(moved, cfg)
    for name in ALL:
        diff = np.abs(a.channels[name].astype(int) - b.channels[name].astype(int))
        assert np.mean(diff > 2) < 0.005, name


def test_outlier_points_do_not_move_the_bounding_box_framing():
    face = bumped_face(n=30)
    noisy = Scan(
        vertices=np.concatenate([face.vertices, [[900.0, 900.0, 0.0], [-700.0, 50.0, 300.0]]]),
        faces=face.faces,
    )
    a, b = normalise(face), normalise(noisy)
    assert np.allclose(a.centre, b.centre, atol=1.0) and abs(a.half_size - b.half_size) < 1.0


def test_texture_is_sampled_from_the_right_place():
    out = render_views(two_colour_quad(), RenderConfig(image_size=32, channels=["texture"]))
    tex = out.channels["texture"][0].astype(int)
    assert np.all(np.abs(tex[16, 8] - [255, 0, 0]) <= 2)  # left half of the image: red
    assert np.all(np.abs(tex[16, 24] - [0, 0, 255]) <= 2)  # right half: blue
    assert tex[3, 16, 1] > 200 and tex[28, 16, 1] < 10  # top row of the texture (v = 1)


def test_scans_without_texture_or_colours_render_grey():
    face = bumped_face(n=10)
    face.colors = None
    out = render_views(face, RenderConfig(image_size=24, channels=["texture"], grey=0.5))
    values = out.channels["texture"][out.mask]
    assert np.all(np.abs(values.astype(int) - 128) <= 1)


def test_background_and_model_inputs():
    cfg = RenderConfig(image_size=24, channels=ALL, background=77, model_input="stack")
    out = render_views(bumped_face(n=12, half=120.0), cfg)
    assert out.channels["texture"].shape == (3, 24, 24, 3)
    assert np.all(out.channels["texture"][~out.mask] == 77)
    assert np.all(out.channels["depth"][~out.mask] == 0)
    stack = out.model_input("stack")
    assert stack.shape == (3, 3, 24, 24) and stack.dtype == np.uint8
    assert np.array_equal(stack[:, 1], out.channels["depth"])
    depth3 = out.model_input("depth")
    assert np.array_equal(depth3[:, 0], depth3[:, 2])


def test_shading_ignores_skin_colour_and_rendering_is_deterministic():
    face = bumped_face(n=20)
    pale = bumped_face(n=20)
    pale.colors = np.full_like(pale.colors, 0.9)
    cfg = RenderConfig(image_size=32, channels=["texture", "shading"])
    a, b, c = render_views(face, cfg), render_views(pale, cfg), render_views(face, cfg)
    assert np.array_equal(a.channels["shading"], b.channels["shading"])
    assert not np.array_equal(a.channels["texture"], b.channels["texture"])
    assert all(np.array_equal(a.channels[k], c.channels[k]) for k in a.channels)


def test_supersampling_keeps_shapes_and_smooths_edges():
    cfg = RenderConfig(image_size=24, channels=["shading"], supersample=3)
    out = render_views(bumped_face(n=12), cfg)
    assert out.channels["shading"].shape == (3, 24, 24) and out.mask.shape == (3, 24, 24)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_renders_the_same_images_as_cpu():
    cfg = RenderConfig(image_size=48, channels=ALL)
    face = bumped_face(n=30)
    a, b = render_views(face, cfg), render_views(face, cfg, device="cuda")
    for name in ALL:
        diff = np.abs(a.channels[name].astype(int) - b.channels[name].astype(int))
        assert diff.max() <= 1, name

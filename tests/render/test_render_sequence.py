"""4D: frame sampling around the expressive segment, and dynamic images."""

from __future__ import annotations

import numpy as np
from render_meshes import bumped_face

from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.render import RenderConfig, dynamic_image, render_sequence, sample_frames


def _sequence(n: int = 40, moving: tuple[int, int] = (15, 30), vertex_counts=None) -> ScanSequence:
    """A bump that rises only during frames ``moving``; still before and after."""
    base = bumped_face(n=10)
    frames = []
    for t in range(n):
        level = np.clip((t - moving[0]) / (moving[1] - moving[0]), 0, 1)
        vertices = base.vertices.copy()
        vertices[:, 2] += 30.0 * level * np.exp(-(vertices[:, 0] ** 2) / 800.0)
        count = vertex_counts[t] if vertex_counts else len(vertices)
        frames.append(Scan(vertices=vertices[:count], faces=base.faces[base.faces.max(1) < count]))
    return ScanSequence(frames=frames)


def _rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = np.radians(yaw_deg), np.radians(pitch_deg)
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return ry @ rx


def test_expressive_sampling_picks_frames_where_the_expression_is_held():
    indices = sample_frames(_sequence(), 5, "expressive")
    assert len(indices) == 5 and indices == sorted(indices)
    assert all(i >= 23 for i in indices)  # at least half the bump's full height
    assert indices[-1] - indices[0] >= 8  # spread over the segment, not one frame


def test_expressive_sampling_ignores_head_motion_in_the_neutral_frames():
    # neutral, turning head (frames 0-9 and 20-29), expression held still at apex (10-19)
    base = bumped_face(n=10)
    frames = []
    for t in range(30):
        vertices = base.vertices.astype(np.float64).copy()
        if 10 <= t < 20:
            vertices[:, 2] += 12.0 * np.exp(-(vertices[:, 0] ** 2) / 800.0)
        else:
            vertices = vertices @ _rotation(2.0 * (t % 10), 1.0 * (t % 7)).T + [0.5 * t, 0, 0]
        frames.append(Scan(vertices=vertices.astype(np.float32), faces=base.faces))
    indices = sample_frames(ScanSequence(frames=frames), 4, "expressive")
    assert all(10 <= i < 20 for i in indices), indices


def test_uniform_sampling_spans_the_whole_sequence():
    assert sample_frames(_sequence(), 5, "uniform") == [0, 10, 20, 29, 39]


def test_differing_vertex_counts_fall_back_to_uniform_sampling():
    counts = [121] * 20 + [100] * 20
    seq = _sequence(vertex_counts=counts)
    assert sample_frames(seq, 4, "expressive") == sample_frames(seq, 4, "uniform")


def test_still_sequence_falls_back_to_uniform_sampling():
    seq = _sequence(moving=(100, 200))
    assert sample_frames(seq, 3, "expressive") == [0, 20, 39]


def test_dynamic_image_of_a_static_sequence_is_mid_grey():
    frames = np.repeat(np.random.default_rng(0).integers(0, 256, (1, 8, 8)), 6, axis=0)
    out = dynamic_image(frames.astype(np.uint8))
    assert out.dtype == np.uint8 and np.all(out == 128)
    assert np.all(dynamic_image(frames[:1].astype(np.uint8)) == 128)


def test_dynamic_image_is_bright_where_the_sequence_brightens():
    ramp = np.linspace(0, 200, 5)[:, None, None] * np.array([[1.0, 0.0]])[None]  # left brightens
    ramp = ramp + np.array([[0.0, 1.0]])[None] * np.linspace(200, 0, 5)[:, None, None]
    out = dynamic_image(ramp.astype(np.uint8))
    assert out[0, 0] == 255 and out[0, 1] == 0


def test_render_sequence_gives_k_frames_or_one_dynamic_image():
    seq = _sequence(n=12, moving=(3, 9))
    cfg = RenderConfig(image_size=24, channels=["depth"], frames=3)
    frames = render_sequence(seq, cfg)
    assert len(frames) == 3 and frames[0].channels["depth"].shape == (3, 24, 24)
    assert frames[0].normalisation == frames[-1].normalisation  # one framing for all frames
    cfg.temporal = "dynamic"
    (dyn,) = render_sequence(seq, cfg)
    depth = dyn.channels["depth"]
    assert depth.shape == (3, 24, 24)
    assert depth[0].max() > 140  # the rising bump comes nearer: brighter than mid grey

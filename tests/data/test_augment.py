import pytest
import torch

from affectvlm.data.augment import AugmentConfig, MixedViewAugment, mirror_permutation

YAWS = [0.0, -20.0, 20.0]


def _views(t: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    shape = (3, 3, 32, 32) if t is None else (t, 3, 3, 32, 32)
    return torch.rand(shape, generator=g)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_same_seed_gives_identical_augmentation_and_another_seed_differs():
    aug = MixedViewAugment(AugmentConfig(), YAWS, texture=True)
    x = _views()
    a, b, c = aug(x, _gen(1)), aug(x, _gen(1)), aug(x, _gen(2))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1


def test_each_view_gets_its_own_transform():
    aug = MixedViewAugment(AugmentConfig(flip="none"), YAWS, texture=False)
    same = _views()[0:1].expand(3, 3, 32, 32).clone()  # three identical views
    out = aug(same, _gen(3))
    assert not torch.allclose(out[0], out[1])
    assert not torch.allclose(out[1], out[2])


def test_frames_of_one_view_share_the_transform():
    aug = MixedViewAugment(AugmentConfig(), YAWS, texture=True)
    frame = _views()
    seq = torch.stack([frame, frame])
    out = aug(seq, _gen(4))
    assert out.shape == seq.shape
    assert torch.allclose(out[0], out[1])


def test_frontal_policy_never_flips_side_views():
    cfg = AugmentConfig(
        flip="frontal", flip_prob=1.0, max_rotation=0, zoom_min=1, zoom_max=1, max_shift=0
    )
    aug = MixedViewAugment(cfg, YAWS, texture=False)
    x = _views()
    out = aug(x, _gen(0))
    assert torch.allclose(out[0], x[0].flip(-1), atol=1e-5)
    assert torch.allclose(out[1:], x[1:], atol=1e-5)


def test_mirror_policy_flips_all_views_and_swaps_left_and_right():
    cfg = AugmentConfig(
        flip="mirror", flip_prob=1.0, max_rotation=0, zoom_min=1, zoom_max=1, max_shift=0
    )
    aug = MixedViewAugment(cfg, YAWS, texture=False)
    x = _views()
    out = aug(x, _gen(0))
    assert torch.allclose(out[0], x[0].flip(-1), atol=1e-5)
    assert torch.allclose(out[1], x[2].flip(-1), atol=1e-5)
    assert torch.allclose(out[2], x[1].flip(-1), atol=1e-5)


def test_mirror_policy_needs_symmetric_views():
    assert mirror_permutation(YAWS) == [0, 2, 1]
    with pytest.raises(ValueError, match="mirror"):
        MixedViewAugment(AugmentConfig(flip="mirror"), [0.0, 30.0], texture=False)


def test_geometry_views_are_not_colour_jittered():
    cfg = AugmentConfig(flip="none", max_rotation=0, zoom_min=1, zoom_max=1, max_shift=0)
    x = _views()
    plain = MixedViewAugment(cfg, YAWS, texture=False)(x, _gen(5))
    jittered = MixedViewAugment(cfg, YAWS, texture=True)(x, _gen(5))
    assert torch.allclose(plain, x, atol=1e-5)
    assert not torch.allclose(jittered, x, atol=1e-3)


def test_disabled_augmentation_is_identity():
    x = _views()
    assert torch.equal(MixedViewAugment(AugmentConfig(enabled=False), YAWS, True)(x, _gen(0)), x)


def _shape_only(**kw) -> AugmentConfig:
    still = dict(flip="none", max_rotation=0.0, zoom_min=1.0, zoom_max=1.0, max_shift=0.0)
    return AugmentConfig(enabled=True, brightness=0, contrast=0, saturation=0, **still, **kw)


def test_depth_jitter_moves_every_view_of_a_sample_alike_and_leaves_the_background():
    x = torch.zeros(3, 3, 16, 16)
    x[:, :, 4:12, 4:12] = torch.linspace(0.3, 0.7, 8)  # a face: depth > 0 inside, 0 outside
    aug = MixedViewAugment(_shape_only(depth_shift=0.1), YAWS, False, depth_channels=[1])
    out = aug(x, _gen(3))
    delta = out[:, 1, 4:12, 4:12] - x[:, 1, 4:12, 4:12]
    assert delta.abs().max() > 1e-3 and torch.allclose(delta, delta[0, 0, 0].expand_as(delta))
    assert out[:, 1, :4].abs().max() < 1e-5  # background depth stays empty
    torch.testing.assert_close(out[:, [0, 2]], x[:, [0, 2]])  # shading and normals untouched


def test_aspect_jitter_stretches_all_views_of_a_sample_by_one_factor():
    x = torch.zeros(3, 3, 32, 32)
    x[:, :, 8:24, 8:24] = 1.0
    aug = MixedViewAugment(_shape_only(max_aspect=1.5), YAWS, False)
    stretched = 0
    for seed in range(5):
        out = aug(x, _gen(seed))
        widths = (out[:, 0, 16] > 0.5).sum(-1)
        heights = (out[:, 0, :, 16] > 0.5).sum(-1)
        assert (widths == widths[0]).all() and (heights == heights[0]).all()
        stretched += int(widths[0] != heights[0])
    assert stretched >= 3  # the square becomes a rectangle, wider or taller
    with pytest.raises(ValueError, match="max_aspect"):
        AugmentConfig(max_aspect=0.9)

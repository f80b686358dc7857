"""Saliency maps point at the evidence: a model that can only use the mouth patch gets its
saliency there; an untrained one does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from toy import MOUTH, class_embeddings, mouth_batch, tiny_model

from affectvlm.explain import SaliencyConfig, attention_rollout, saliency_maps
from affectvlm.explain.saliency import gaussian_blur


def _mouth_share(maps: torch.Tensor) -> float:
    """Share of a (H, W) map's mass inside the mouth patch (12.5 % of the image)."""
    return float(maps[MOUTH].sum() / maps.sum())


def _samples(n: int = 6):
    return mouth_batch(n, torch.Generator().manual_seed(7))


@pytest.mark.parametrize("method", ["gradient", "smoothgrad", "rollout"])
def test_saliency_of_trained_model_lies_mostly_in_the_mouth_patch(mouth_model, method):
    model, text = mouth_model
    x, y = _samples()
    config = SaliencyConfig(method=method, samples=4, blur=0.0)
    for views, label in zip(x, y, strict=True):
        maps = saliency_maps(model, views, text, int(label), config)
        assert maps.shape == (1, 32, 32)
        assert _mouth_share(maps[0]) > 0.5, method
        row, col = np.unravel_index(int(maps[0].argmax()), (32, 32))
        assert 24 <= row < 32 and 8 <= col < 24


def test_saliency_of_untrained_model_does_not_single_out_the_mouth():
    model, text = tiny_model(seed=3), class_embeddings()
    x, y = _samples()
    shares = [
        _mouth_share(saliency_maps(model, v, text, int(t), SaliencyConfig("gradient"))[0])
        for v, t in zip(x, y, strict=True)
    ]
    assert np.mean(shares) < 0.3


def test_free_text_prompt_saliency_has_one_map_per_view_and_frame():
    model = tiny_model(num_views=2)
    prompt = model.encode_text(["a person smiling nervously"]).detach()
    views = torch.rand(3, 2, 3, 32, 32)  # 4D: (T, V, 3, H, W)
    maps = saliency_maps(model, views, prompt, 0, SaliencyConfig("gradient"))
    assert maps.shape == (3, 2, 32, 32) and torch.isfinite(maps).all() and maps.sum() > 0
    assert attention_rollout(model, views).shape == (3, 2, 32, 32)


def test_smoothgrad_is_seeded():
    model, text = tiny_model(), class_embeddings()
    views = torch.rand(1, 3, 32, 32)
    a = saliency_maps(model, views, text, 0, SaliencyConfig(samples=3, seed=5))
    b = saliency_maps(model, views, text, 0, SaliencyConfig(samples=3, seed=5))
    c = saliency_maps(model, views, text, 0, SaliencyConfig(samples=3, seed=6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_rollout_rows_sum_to_one_before_upsampling_so_maps_are_a_distribution():
    model = tiny_model()
    maps = attention_rollout(model, torch.rand(2, 3, 32, 32))
    # bilinear upsampling of a 4x4 grid to 32x32 keeps the mean: 16 patches share < 1 mass
    per_image = maps.mean(dim=(-2, -1)) * 16
    assert ((per_image > 0) & (per_image < 1)).all()


def test_gaussian_blur_keeps_mass_and_spreads_a_point():
    image = torch.zeros(1, 15, 15)
    image[0, 7, 7] = 1.0
    blurred = gaussian_blur(image, 1.5)
    assert float(blurred.sum()) == pytest.approx(1.0, abs=1e-5)
    assert blurred[0, 7, 7] < 0.2 and blurred[0, 7, 8] > 0
    assert torch.equal(gaussian_blur(image, 0.0), image)

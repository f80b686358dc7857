"""explain(): the numbers and files of one explanation; overlays keep the view readable."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from toy import class_embeddings, tiny_model

from affectvlm.explain import SaliencyConfig, explain, overlay, save_explanation
from affectvlm.explain.overlay import normalise_maps, resize_map, side_by_side, to_rgb

LABELS = ["anger", "happiness", "surprise"]


def test_explain_reports_probabilities_contributions_and_maps_for_the_target():
    model = tiny_model(num_views=3)
    views = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    e = explain(model, views, class_embeddings(), LABELS, config=SaliencyConfig("gradient"))
    assert e.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert e.target == int(np.argmax(e.probabilities)) and e.target_label == LABELS[e.target]
    assert e.saliency.shape == (3, 32, 32)
    assert sum(e.contributions.share) == pytest.approx(e.contributions.fused_score, abs=1e-5)
    by_name = explain(model, views, class_embeddings(), LABELS, target="surprise")
    assert by_name.target == 2 and by_name.contributions.target == 2
    with pytest.raises(ValueError, match="not one of"):
        explain(model, views, class_embeddings(), LABELS, target="contempt")


def test_explain_a_free_text_prompt():
    model = tiny_model(num_views=3)
    prompts = ["a person smiling nervously", "a furious face"]
    text = model.encode_text(prompts).detach()
    e = explain(model, torch.rand(3, 3, 32, 32), text, prompts, target=prompts[1])
    assert e.to_dict()["target"] == "a furious face"
    with pytest.raises(ValueError, match="1 labels for 2 text rows"):
        explain(model, torch.rand(3, 3, 32, 32), text, prompts[:1])


def test_save_explanation_writes_one_overlay_per_view_and_the_numbers(tmp_path):
    model = tiny_model(num_views=3)
    views = torch.rand(3, 3, 32, 32)
    e = explain(
        model,
        views,
        class_embeddings(),
        LABELS,
        config=SaliencyConfig("gradient"),
        view_names=["frontal", "left", "right"],
    )
    images = [(v.permute(1, 2, 0).numpy() * 255).astype(np.uint8) for v in views]
    written = save_explanation(tmp_path, e, images, stem="scan1")
    names = sorted(p.name for p in written)
    assert names == [
        "scan1.json",
        "scan1_frontal.png",
        "scan1_left.png",
        "scan1_right.png",
        "scan1_views.png",
    ]
    data = json.loads((tmp_path / "scan1.json").read_text())
    assert data["target"] == e.target_label and set(data["probabilities"]) == set(LABELS)
    assert data["contributions"]["view_names"] == ["frontal", "left", "right"]
    assert Image.open(tmp_path / "scan1_left.png").size == (32, 32)
    assert Image.open(tmp_path / "scan1_views.png").size == (3 * 32 + 2 * 4, 32)


def test_overlay_leaves_cold_pixels_alone_and_colours_hot_ones():
    image = np.full((8, 8), 100, dtype=np.uint8)
    heat = np.zeros((4, 4))
    heat[0, 0] = 1.0
    out = overlay(image, heat, alpha=0.6)
    assert out.shape == (8, 8, 3)
    assert (out[4:, 4:] == 100).all()  # heat 0 far from the hot pixel: the view as it was
    assert not (out[:2, :2] == 100).all()  # the hot map pixel, upsampled to the top left
    assert to_rgb(np.zeros((3, 5, 6))).shape == (5, 6, 3)


def test_a_small_map_over_a_large_view_is_upsampled_smoothly_not_in_blocks():
    heat = np.array([[0.0, 1.0], [0.0, 1.0]])
    row = resize_map(heat, (64, 64))[32]
    assert np.all(np.diff(row) >= 0) and len(np.unique(row.round(4))) > 16
    assert row[0] == pytest.approx(0.0) and row[-1] == pytest.approx(1.0)


def test_shared_normalisation_keeps_views_comparable():
    maps = np.stack([np.full((4, 4), 1.0), np.full((4, 4), 0.25)])
    shared = normalise_maps(maps)
    assert shared[0].max() == pytest.approx(1.0) and shared[1].max() == pytest.approx(0.25)
    separate = normalise_maps(maps, shared=False)
    assert separate[1].max() == pytest.approx(1.0)
    assert side_by_side([np.zeros((4, 4)), np.zeros((2, 3))], gap=1).shape == (4, 8, 3)

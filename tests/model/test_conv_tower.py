"""The convolutional CLIP tower (modified ResNet): shapes, save/reload, training, saliency."""

from __future__ import annotations

import pytest
import torch

from affectvlm import EMOTIONS
from affectvlm.model import AffectVLM, model_preset
from affectvlm.model.resnet import ConvEncoder, ConvEncoderConfig


def _images(size=64):
    return torch.rand(2, 3, 3, size, size, generator=torch.Generator().manual_seed(0))


def test_rn50_preset_has_clip_rn50_shape():
    cfg = model_preset("rn50-random")
    assert (cfg.vision.kind, cfg.vision.width, cfg.vision.layers) == ("resnet", 64, [3, 4, 6, 3])
    conv = ConvEncoderConfig(image_size=224, width=64, layers=[3, 4, 6, 3], heads=32)
    assert conv.feature_dim == 2048 and conv.grid == 7
    encoder = ConvEncoder(conv)
    params = sum(p.numel() for p in encoder.parameters())
    assert 35e6 < params < 45e6  # CLIP's RN50 image tower has ~38M parameters


def test_encoder_pools_any_batch_into_its_output_size_and_checks_the_input_size():
    encoder = ConvEncoder(ConvEncoderConfig(image_size=64, width=8, layers=[1, 1, 1, 1], heads=2))
    out = encoder(pixel_values=torch.rand(5, 3, 64, 64))
    assert out.pooler_output.shape == (5, 1024) and out.last_hidden_state.shape == (5, 256, 2, 2)
    with pytest.raises(ValueError, match="expected 64x64"):
        encoder(pixel_values=torch.rand(1, 3, 96, 96))
    with pytest.raises(ValueError, match="multiple of 32"):
        ConvEncoderConfig(image_size=60)


def test_conv_tower_saves_and_reloads_with_identical_outputs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("rn-tiny"))
    model.train()
    model.encode_images(_images())  # move the BatchNorm running statistics off their init
    model.eval()
    model.save_pretrained(tmp_path)
    again = AffectVLM.from_pretrained(tmp_path).eval()
    assert again.config == model.config
    with torch.no_grad():
        text = model.class_text_embeddings(None, EMOTIONS)
        a, b = model(_images(), text), again(_images(), text)
    assert torch.equal(a.logits, b.logits) and torch.equal(a.view_logits, b.view_logits)


def test_input_gradient_saliency_works_on_the_conv_tower():
    from affectvlm.explain.saliency import SaliencyConfig, saliency_maps

    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("rn-tiny")).eval()
    text = model.class_text_embeddings(None, EMOTIONS).detach()
    maps = saliency_maps(model, _images()[0], text, 0, SaliencyConfig("gradient"))
    assert maps.shape == (3, 64, 64) and float(maps.abs().sum()) > 0
    with pytest.raises(ValueError, match="needs a ViT"):
        saliency_maps(model, _images()[0], text, 0, SaliencyConfig("rollout"))

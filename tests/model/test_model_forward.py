import dataclasses

import pytest
import torch

from affectvlm import EMOTIONS
from affectvlm.losses import AffectVLMLoss
from affectvlm.model import AffectVLM, model_preset, param_groups
from affectvlm.model.fusion import mean_probability_logits
from affectvlm.model.towers import Towers


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return AffectVLM.from_config(model_preset("tiny")).eval()


def _variant(model, **changes):
    """A model with other fusion/pooling settings sharing ``model``'s towers."""
    cfg = dataclasses.replace(model.config, **changes)
    towers = Towers(model.vision_tower, model.text_tower, None)
    return AffectVLM(cfg, towers, model.prompt_bank).eval()


def _images(b=2, v=3, size=64, seed=0):
    return torch.rand(b, v, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_encode_images_gives_normalised_view_and_fused_embeddings(tiny):
    enc = tiny.encode_images(_images())
    assert enc.view_embeds.shape == (2, 3, 64) and enc.fused_embed.shape == (2, 64)
    assert torch.allclose(enc.view_embeds.norm(dim=-1), torch.ones(2, 3), atol=1e-5)
    assert torch.allclose(enc.fused_embed.norm(dim=-1), torch.ones(2), atol=1e-5)
    assert enc.frame_embeds is None


def test_views_share_one_tower(tiny):
    images = _images()
    enc = tiny.encode_images(images)
    alone = tiny.encode_images(images[:, 1:2])
    assert torch.allclose(enc.view_embeds[:, 1], alone.view_embeds[:, 0], atol=1e-5)


def test_images_are_resized_and_uint8_is_accepted(tiny):
    small = _images(size=64)
    big = torch.nn.functional.interpolate(small.flatten(0, 1), size=(128, 128), mode="nearest")
    enc_big = tiny.encode_images(big.unflatten(0, (2, 3)))
    assert enc_big.view_embeds.shape == (2, 3, 64)
    as_uint8 = (small * 255).round().to(torch.uint8)
    a = tiny.encode_images(as_uint8).view_embeds
    b = tiny.encode_images(as_uint8.float() / 255).view_embeds
    assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("fusion", ["probs", "mean", "logits", "learned"])
def test_fusion_variants_have_consistent_per_view_and_fused_scores(tiny, fusion):
    model = _variant(tiny, fusion=fusion)
    text = model.class_text_embeddings(None, EMOTIONS)
    out = model(_images(), text)
    assert out.logits.shape == (2, 7) and out.view_logits.shape == (2, 3, 7)
    assert out.text_embeds.shape == (7, 64)
    scale = model.scale()
    assert torch.allclose(out.view_logits, scale * out.view_embeds @ text.t(), atol=1e-5)
    if fusion == "probs":
        want = out.view_logits.softmax(dim=-1).mean(dim=1)
        assert torch.allclose(out.logits.softmax(dim=-1), want, atol=1e-5)
        assert torch.allclose(out.logits.exp().sum(dim=-1), torch.ones(2), atol=1e-5)
    elif fusion == "logits":
        assert torch.allclose(out.logits, out.view_logits.mean(dim=1), atol=1e-5)
    else:
        assert torch.allclose(out.logits, scale * out.fused_embed @ text.t(), atol=1e-5)
    # identical views: every view scores like the fused prediction
    same = _images(v=1).expand(2, 3, 3, 64, 64)
    out = model(same, text)
    assert torch.allclose(out.logits.softmax(-1), out.view_logits[:, 0].softmax(-1), atol=1e-5)


def test_learned_fusion_starts_uniform_and_can_select_a_view(tiny):
    text = tiny.class_text_embeddings(None, EMOTIONS)
    learned, mean = _variant(tiny, fusion="learned"), _variant(tiny, fusion="mean")
    images = _images()
    assert torch.allclose(learned(images, text).logits, mean(images, text).logits, atol=1e-5)
    with torch.no_grad():
        learned.fusion.view_logits.copy_(torch.tensor([30.0, -30.0, -30.0]))
    out = learned(images, text)
    assert torch.allclose(out.logits, out.view_logits[:, 0], atol=1e-4)


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_4d_input_pools_frames_and_ignores_masked_padding(tiny, pooling):
    model = _variant(tiny, temporal_pooling=pooling)
    g = torch.Generator().manual_seed(1)
    seq = torch.rand(2, 4, 3, 3, 64, 64, generator=g)
    enc = model.encode_images(seq)
    assert enc.frame_embeds.shape == (2, 4, 3, 64) and enc.view_embeds.shape == (2, 3, 64)
    if pooling == "attention":
        with torch.no_grad():
            model.temporal.query.normal_(generator=g)
    short = model.encode_images(seq[:, :2]).view_embeds
    padded = torch.cat([seq[:, :2], torch.rand(2, 2, 3, 3, 64, 64, generator=g)], dim=1)
    mask = torch.tensor([[True, True, False, False]] * 2)
    pooled = model.encode_images(padded, frame_mask=mask).view_embeds
    assert torch.allclose(short, pooled, atol=1e-5)


def test_probability_fusion_never_gives_a_class_more_than_its_best_view():
    # Views that disagree strongly: the mean embedding can land on a third class; the
    # fused probabilities stay within each class's per-view range.
    view_logits = torch.tensor([[[9.0, 8.5, 0.0], [0.0, 8.5, 9.0], [9.0, 0.0, 8.5]]])
    fused = mean_probability_logits(view_logits, dim=1).softmax(dim=-1)[0]
    per_view = view_logits[0].softmax(dim=-1)
    assert torch.all(fused <= per_view.max(dim=0).values + 1e-6)
    assert torch.all(fused >= per_view.min(dim=0).values - 1e-6)
    assert int(fused.argmax()) in per_view.argmax(dim=-1).tolist()


def test_4d_probability_fusion_pools_frame_probabilities_and_ignores_padding(tiny):
    model = _variant(tiny, fusion="probs")
    text = model.class_text_embeddings(None, EMOTIONS)
    g = torch.Generator().manual_seed(3)
    seq = torch.rand(1, 3, 3, 3, 64, 64, generator=g)
    out = model(seq, text)
    frames = torch.stack([model(seq[:, t], text).view_logits for t in range(3)], dim=1)
    want = frames.softmax(dim=-1).mean(dim=(1, 2))
    assert torch.allclose(out.logits.softmax(dim=-1), want, atol=1e-5)
    padded = torch.cat([seq, torch.rand(1, 2, 3, 3, 64, 64, generator=g)], dim=1)
    mask = torch.tensor([[True, True, True, False, False]])
    assert torch.allclose(model(padded, text, frame_mask=mask).logits, out.logits, atol=1e-5)


def test_class_text_embeddings_are_the_renormalised_prompt_mean(tiny):
    bank = tiny.prompt_bank
    got = tiny.class_text_embeddings(bank, ["anger", "fear"], {"sex": "F", "age": 30})
    prompts = bank.all("fear", {"sex": "F", "age": 30})
    want = torch.nn.functional.normalize(tiny.encode_text(prompts).mean(dim=0), dim=0)
    assert torch.allclose(got[1], want, atol=1e-5)
    assert not torch.allclose(got[0], got[1])


def test_score_prompts_gives_one_column_per_free_text_prompt(tiny):
    out = tiny.score_prompts(_images(), ["a smiling face", "a frowning face", "a face"])
    assert out.logits.shape == (2, 3)
    assert not torch.allclose(out.text_embeds[0], out.text_embeds[1])


def test_logit_scale_is_clamped_at_its_maximum(tiny):
    model = _variant(tiny)
    with torch.no_grad():
        model.logit_scale.fill_(10.0)
    assert model.scale().item() == pytest.approx(model.config.max_logit_scale)


def test_frozen_towers_get_no_gradients_and_stay_in_eval_mode(tiny):
    model = _variant(tiny)
    model.freeze_towers(vision=True, text=True)
    model.train()
    assert not model.vision_tower.encoder.training and model.vision_tower.proj.training
    out = model(_images(), model.class_text_embeddings(None, ["anger", "fear"]))
    out.logits.sum().backward()
    assert all(p.grad is None for p in model.vision_tower.encoder.parameters())
    assert all(p.grad is None for p in model.text_tower.encoder.parameters())
    assert model.vision_tower.proj.weight.grad is not None
    model.freeze_towers(vision=False, text=False)
    assert all(p.requires_grad for p in model.parameters())


def test_param_groups_split_towers_heads_and_exempt_scalars_from_decay(tiny):
    model = _variant(tiny, fusion="learned")
    loss = AffectVLMLoss()
    groups = {g["name"]: g for g in param_groups(model, 1e-5, 1e-3, 0.1, extra=[loss])}
    assert set(groups) == {"towers/decay", "towers/no_decay", "heads/decay", "heads/no_decay"}
    ids = {k: {id(p) for p in g["params"]} for k, g in groups.items()}
    assert id(model.logit_scale) in ids["heads/no_decay"]
    assert id(loss.mc.alpha_raw) in ids["heads/no_decay"]
    assert id(model.fusion.view_logits) in ids["heads/no_decay"]
    assert id(model.vision_tower.proj.weight) in ids["heads/decay"]
    assert groups["towers/decay"]["lr"] == 1e-5 and groups["heads/no_decay"]["weight_decay"] == 0.0
    for name, p in model.named_parameters():
        if name.endswith(".bias") or "layer_norm" in name or "layernorm" in name:
            assert id(p) not in ids["towers/decay"] | ids["heads/decay"], name
    total = sum(len(g["params"]) for g in groups.values())
    assert total == len(list(model.parameters())) + 1

"""A frozen text encoder is memoised; an unfrozen one is always recomputed."""

from __future__ import annotations

import torch

from affectvlm.model import AffectVLM, model_preset


def test_frozen_text_tower_returns_the_same_embeddings_from_its_cache():
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("tiny", freeze_text=True)).eval()
    texts = ["a happy face", "an angry face", "a happy face"]
    first = model.encode_text(texts)
    assert len(model.text_tower._frozen_cache) == 2
    again = model.encode_text(texts)
    assert torch.equal(first, again)
    assert torch.allclose(first[0], first[2])


def test_cache_is_dropped_when_the_encoder_is_unfrozen_or_reloaded():
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("tiny", freeze_text=True)).eval()
    model.encode_text(["a sad face"])
    model.load_state_dict(model.state_dict())
    assert model.text_tower._frozen_cache == {}
    model.encode_text(["a sad face"])
    model.freeze_towers(vision=False, text=False)
    out = model.encode_text(["a sad face"])
    assert out.requires_grad and model.text_tower._frozen_cache == {}

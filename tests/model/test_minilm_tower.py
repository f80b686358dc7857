import pytest
import torch
import torch.nn.functional as F

from affectvlm.model import AffectVLM, model_preset


@pytest.fixture(scope="module")
def minilm_model():
    torch.manual_seed(0)
    return AffectVLM.from_config(model_preset("tiny-minilm")).eval()


def test_minilm_loads_offline_with_pretrained_language_knowledge(minilm_model):
    texts = ["a photo of a happy face", "a photo of a joyful face", "a photo of an angry face"]
    with torch.no_grad():
        pooled = F.normalize(minilm_model.text_tower.pooled(texts), dim=-1)
    cos_synonym = (pooled[0] @ pooled[1]).item()
    cos_opposite = (pooled[0] @ pooled[2]).item()
    assert cos_synonym > cos_opposite  # only pretrained weights know happy ≈ joyful


def test_minilm_projected_embeddings_differ_for_happy_and_angry(minilm_model):
    with torch.no_grad():
        emb = minilm_model.encode_text(["a happy face", "an angry face"])
    assert emb.shape == (2, 64)
    assert (emb[0] @ emb[1]).item() < 0.999

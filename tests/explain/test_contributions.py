"""View contributions: exact additive shares of the fused score, leave-one-view-out drops."""

from __future__ import annotations

import pytest
import torch
from toy import class_embeddings, tiny_model

from affectvlm.explain import view_contributions


@pytest.mark.parametrize("fusion", ["probs", "mean", "logits", "learned"])
@pytest.mark.parametrize("shape", [(3, 3, 32, 32), (2, 3, 3, 32, 32)])
def test_shares_sum_to_the_fused_score(fusion, shape):
    model = tiny_model(num_views=3, fusion=fusion)
    if fusion == "learned":
        with torch.no_grad():
            model.fusion.view_logits.copy_(torch.tensor([1.0, -0.5, 0.2]))
    views = torch.rand(*shape, generator=torch.Generator().manual_seed(0))
    text = class_embeddings()
    c = view_contributions(model, views, text, view_names=["frontal", "left", "right"])
    with torch.no_grad():
        out = model(views[None], text)
    assert c.target == int(out.logits[0].argmax())
    fused = out.logits[0].softmax(-1) if fusion == "probs" else out.logits[0]
    assert c.score_kind == ("probability" if fusion == "probs" else "logit")
    assert c.fused_score == pytest.approx(float(fused[c.target]), abs=1e-5)
    assert sum(c.share) == pytest.approx(c.fused_score, abs=1e-5)
    assert sum(abs(r) for r in c.relative) == pytest.approx(1.0)
    assert c.view_names == ["frontal", "left", "right"] and len(c.leave_one_out) == 3
    if fusion == "logits":
        expected = out.view_logits[0, :, c.target] / 3
        assert c.share == pytest.approx(expected.tolist(), abs=1e-5)
    if fusion == "probs":
        expected = out.view_logits[0].softmax(-1)[:, c.target] / 3
        assert c.share == pytest.approx(expected.tolist(), abs=1e-5)


def test_identical_views_share_equally_and_none_is_missed_when_left_out():
    model = tiny_model(num_views=3)
    one = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    c = view_contributions(model, one.expand(3, -1, -1, -1), class_embeddings(), target=2)
    assert c.target == 2
    assert c.share == pytest.approx([c.fused_score / 3] * 3, abs=1e-5)
    assert c.leave_one_out == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)


def test_leave_one_out_is_the_probability_drop_without_the_view():
    model = tiny_model(num_views=3, fusion="logits")
    views = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    text = class_embeddings()
    c = view_contributions(model, views, text, target=1)
    with torch.no_grad():
        z = model(views[None], text).view_logits[0]  # (V, C)
    full = torch.softmax(z.mean(0), -1)[1]
    for v in range(3):
        rest = torch.softmax(z[[k for k in range(3) if k != v]].mean(0), -1)[1]
        assert c.leave_one_out[v] == pytest.approx(float(full - rest), abs=1e-6)


def test_single_view_has_no_leave_one_out():
    model = tiny_model(num_views=1)
    c = view_contributions(model, torch.rand(1, 3, 32, 32), class_embeddings())
    assert c.leave_one_out is None and c.share == pytest.approx([c.fused_score], abs=1e-5)

"""How much each rendered view contributes to a fused AffectVLM score.

Two measures, both for one text row (a class, or a free-text prompt):

``share`` — an exact additive split of the fused score ``s`` into per-view terms that sum
to ``s``. With ``probs`` fusion ``s`` is the fused probability ``mean_v p_v`` and view ``v``
contributes ``p_v / V`` (``score_kind`` "probability"); otherwise ``s`` is the fused logit
(``score_kind`` "logit"). With ``logits`` fusion ``s = mean_v z_v`` (``z_v`` the view's own
logit), so view ``v`` contributes ``z_v / V``. With ``mean``/``learned`` fusion the fused
embedding is ``u / |u|`` with ``u = sum_v w_v e_v`` (``w`` the fusion weights, uniform for
``mean``), so ``s = scale * sum_v w_v (e_v . t) / |u|`` and view ``v`` contributes
``scale * w_v (e_v . t) / |u|``. For 4D input ``e_v`` is the view's temporally pooled
embedding. ``relative`` is each share over the sum of absolute shares.

``leave_one_out`` — the drop in the row's softmax probability (over all text rows) when the
view is removed and the others are fused alone (weights renormalised): how much the
decision depends on that view. Needs at least two views.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from affectvlm.model.fusion import mean_probability_logits


@dataclass
class ViewContributions:
    """Per-view contributions to the fused score of text row ``target``."""

    view_names: list[str]
    target: int
    fused_score: float  # the fused probability (probs fusion) or logit (other modes)
    score_kind: str  # "probability" or "logit"
    share: list[float]  # sums to fused_score
    relative: list[float]  # share / sum(|share|)
    leave_one_out: list[float] | None  # probability drop when the view is left out
    fusion: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fused_from(
    view_embeds: torch.Tensor,
    view_logits: torch.Tensor,
    weights: torch.Tensor,
    text_embeds: torch.Tensor,
    scale: torch.Tensor,
    mode: str,
) -> torch.Tensor:
    """Fused logits ``(C,)`` of one sample from its views ``(V, D)``/``(V, C)``, as
    :class:`affectvlm.model.fusion.ViewFusion` computes them."""
    if mode == "probs":
        return mean_probability_logits(view_logits, dim=0)
    if mode == "logits":
        return view_logits.mean(dim=0)
    w = weights / weights.sum()
    fused = F.normalize((view_embeds * w[:, None]).sum(dim=0), dim=-1)
    return scale * fused @ text_embeds.t()


def contributions_from_output(
    output: Any, fusion: Any, target: int, view_names: list[str] | None = None
) -> ViewContributions:
    """Contributions of sample 0 of a model ``output`` (:class:`AffectVLMOutput`) under the
    model's ``fusion`` module, for text row ``target``."""
    view_embeds = output.view_embeds[0].detach().float()
    view_logits = output.view_logits[0].detach().float()
    text = output.text_embeds.detach().float()
    scale = output.logit_scale.detach().float()
    n_views = view_embeds.shape[0]
    weights = fusion.weights(n_views, view_embeds.device).float()
    fused = float(output.logits[0, target].detach().float())
    kind = "logit"
    if fusion.mode == "probs":
        share = torch.softmax(view_logits, dim=-1)[:, target] / n_views
        fused, kind = (
            float(torch.softmax(output.logits[0].detach().float(), -1)[target]),
            "probability",
        )
    elif fusion.mode == "logits":
        share = view_logits[:, target] / n_views
    else:
        u = (view_embeds * weights[:, None]).sum(dim=0)
        share = scale * weights * (view_embeds @ text[target]) / u.norm().clamp_min(1e-12)
    total = float(share.abs().sum())
    loo = None
    if n_views > 1:
        full = torch.softmax(
            _fused_from(view_embeds, view_logits, weights, text, scale, fusion.mode), dim=-1
        )[target]
        loo = []
        for v in range(n_views):
            keep = [k for k in range(n_views) if k != v]
            logits = _fused_from(
                view_embeds[keep], view_logits[keep], weights[keep], text, scale, fusion.mode
            )
            loo.append(float(full - torch.softmax(logits, dim=-1)[target]))
    names = view_names or [f"view{v}" for v in range(n_views)]
    return ViewContributions(
        view_names=list(names),
        target=int(target),
        fused_score=fused,
        score_kind=kind,
        share=[float(s) for s in share],
        relative=[float(s) / total if total > 0 else 0.0 for s in share],
        leave_one_out=loo,
        fusion=fusion.mode,
    )


@torch.no_grad()
def view_contributions(
    model: Any,
    views: torch.Tensor,
    text_embeds: torch.Tensor,
    target: int | None = None,
    view_names: list[str] | None = None,
) -> ViewContributions:
    """Contributions of each view of one sample ``views`` (``(V, 3, H, W)`` or
    ``(T, V, 3, H, W)``, values in [0, 1]) to its fused score against ``text_embeds (C, D)``;
    ``target`` None takes the predicted row."""
    model.eval()
    output = model(views.unsqueeze(0).to(model.device), text_embeds.to(model.device))
    if target is None:
        target = int(output.logits[0].argmax())
    return contributions_from_output(output, model.fusion, target, view_names)

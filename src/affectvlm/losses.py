"""AffectVLM training losses: label-aware image–text contrastive, multiview contrastive and
multiview triplet, combined by :class:`AffectVLMLoss`.

Every term normalises its embeddings, reduces by means (its scale does not depend on the
batch size) and, when ``torch.distributed`` is initialised, first all-gathers embeddings and
labels of all ranks *with gradient*, so that a run on ``W`` processes computes the same
value as one process on the concatenated batch; after DDP averages the parameter gradients
over ranks they equal the single-process gradients too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


@dataclass
class LossConfig:
    """Which terms make the total ``L_itc + λ_mc·L_mc + λ_mt·L_mt``, and their settings."""

    use_itc: bool = True
    use_mc: bool = True
    use_mt: bool = True
    lambda_mc: float = 0.5
    lambda_mt: float = 0.5
    alpha_max: float = 0.5
    alpha_init: float = 0.2
    triplet_margin: float = 0.2
    mining: Literal["batch_hard", "all"] = "batch_hard"

    def __post_init__(self) -> None:
        if not (self.use_itc or self.use_mc or self.use_mt):
            raise ValueError("at least one of use_itc, use_mc, use_mt must be true")
        if not 0.0 < self.alpha_init < self.alpha_max <= 1.0:
            raise ValueError("need 0 < alpha_init < alpha_max ≤ 1")
        if self.triplet_margin < 0 or self.lambda_mc < 0 or self.lambda_mt < 0:
            raise ValueError("triplet_margin, lambda_mc and lambda_mt must be ≥ 0")


# ---------------------------------------------------------------- distributed gather


def distributed_world() -> int:
    """World size if torch.distributed is initialised, else 1."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def _all_gather_padded(x: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """Concatenate ``x`` of every rank along dim 0 (ranks may hold different sizes)."""
    world = dist.get_world_size()
    size = torch.tensor([x.shape[0]], device=x.device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    counts = [int(s.item()) for s in sizes]
    padded = x.new_zeros((max(counts), *x.shape[1:]))
    padded[: x.shape[0]] = x
    parts = [torch.zeros_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([p[:n] for p, n in zip(parts, counts, strict=True)]), counts


class _GatherWithGrad(torch.autograd.Function):
    """All-gather whose backward sums each rank's gradient for this rank's slice."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        gathered, counts = _all_gather_padded(x)
        rank = dist.get_rank()
        ctx.start, ctx.count = sum(counts[:rank]), counts[rank]
        return gathered

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.start : ctx.start + ctx.count]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """All ranks' rows of ``x`` (rank order), differentiable; ``x`` itself when not distributed."""
    if distributed_world() == 1:
        return x
    return _GatherWithGrad.apply(x)


def gather_labels(labels: torch.Tensor) -> torch.Tensor:
    """All ranks' labels (rank order), no gradient; ``labels`` itself when not distributed."""
    if distributed_world() == 1:
        return labels
    return _all_gather_padded(labels)[0]


# ---------------------------------------------------------------- terms


def label_aware_targets(image_labels: torch.Tensor, text_labels: torch.Tensor) -> torch.Tensor:
    """``(N, M)`` row-stochastic targets: uniform over the texts of the image's label."""
    same = (image_labels[:, None] == text_labels[None, :]).to(torch.float32)
    return same / same.sum(dim=1, keepdim=True).clamp(min=1.0)


def _soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over rows having a positive of ``-Σ_j t_ij log softmax(logits)_ij``."""
    valid = targets.sum(dim=1) > 0
    if not bool(valid.any()):
        return logits.sum() * 0.0
    loss = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)
    return loss[valid].mean()


class LabelAwareITCLoss(nn.Module):
    """Label-aware image–text contrastive loss, both directions.

    ``logits = s · normalize(img) @ normalize(txt)ᵀ`` ``(N, M)``. An image's targets are
    uniform over all texts with its label; a text's targets are uniform over all images with
    its label. ``L = ½ (CE_soft(image→text) + CE_soft(text→image))``, each the mean over the
    rows that have at least one positive. So a same-emotion pair is always a positive, never
    a negative. Two uses: per-sample prompts (``text_labels=None``, texts aligned with the
    images and gathered with them) or class prompts (``text_labels`` e.g. ``arange(C)``,
    identical on every rank and not gathered; a class absent from the batch only acts as a
    negative for the images).
    """

    def __init__(self, gather: bool = True) -> None:
        super().__init__()
        self.gather = gather

    def forward(
        self,
        image_embeds: torch.Tensor,
        text_embeds: torch.Tensor,
        labels: torch.Tensor,
        logit_scale: torch.Tensor,
        text_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if text_labels is None and text_embeds.shape[0] != image_embeds.shape[0]:
            raise ValueError("per-sample prompts need one text per image (or pass text_labels)")
        if self.gather:
            image_embeds = gather_with_grad(image_embeds)
            if text_labels is None:
                text_embeds = gather_with_grad(text_embeds)
            labels = gather_labels(labels)
        text_labels = labels if text_labels is None else text_labels.to(labels.device)
        img = F.normalize(image_embeds, dim=-1)
        txt = F.normalize(text_embeds, dim=-1).to(img.dtype)
        logits = logit_scale * img @ txt.t()
        targets = label_aware_targets(labels, text_labels).to(logits.dtype)
        targets_t = label_aware_targets(text_labels, labels).to(logits.dtype)
        return 0.5 * (
            _soft_cross_entropy(logits, targets) + _soft_cross_entropy(logits.t(), targets_t)
        )


def _flatten_views(view_embeds: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``(N, V, D)``, ``(N,)`` → normalised ``(N·V, D)`` and repeated labels ``(N·V,)``."""
    if view_embeds.ndim != 3:
        raise ValueError(f"view_embeds must be (N, V, D), got {tuple(view_embeds.shape)}")
    n, v, d = view_embeds.shape
    z = F.normalize(view_embeds.reshape(n * v, d), dim=-1)
    return z, labels.repeat_interleave(v)


class MultiviewContrastiveLoss(nn.Module):
    """``L_mc = mean_{same emotion, i≠j} (1 − cos(z_i, z_j)) + mean_{different} max(0, cos − α)``.

    Pairs run over all view embeddings of all samples (views of one sample included). The
    margin ``α = α_max · sigmoid(a)`` is learnable but bounded: ``∂L/∂α`` is minus the
    fraction of active negative pairs, never positive, so an unbounded α would only grow
    until every hinge is inactive and the negative term vanished. ``α_max`` keeps it a
    margin. ``a`` is a 0-d parameter, so :func:`affectvlm.model.param_groups` exempts it
    from weight decay; :attr:`alpha` exposes the value for logging.
    """

    A_LIMIT = 9.0  # |a| clamp: keeps α strictly inside (0, α_max) even as a drifts

    def __init__(self, alpha_max: float = 0.5, alpha_init: float = 0.2, gather: bool = True):
        super().__init__()
        if not 0.0 < alpha_init < alpha_max:
            raise ValueError("need 0 < alpha_init < alpha_max")
        self.alpha_max = alpha_max
        self.gather = gather
        p = alpha_init / alpha_max
        self.alpha_raw = nn.Parameter(torch.tensor(math.log(p / (1.0 - p))))

    @property
    def alpha(self) -> torch.Tensor:
        return self.alpha_max * torch.sigmoid(self.alpha_raw.clamp(-self.A_LIMIT, self.A_LIMIT))

    def forward(self, view_embeds: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.gather:
            view_embeds, labels = gather_with_grad(view_embeds), gather_labels(labels)
        z, y = _flatten_views(view_embeds, labels)
        cos = z @ z.t()
        eye = torch.eye(len(y), dtype=torch.bool, device=z.device)
        same = (y[:, None] == y[None, :]) & ~eye
        diff = y[:, None] != y[None, :]
        zero = cos.sum() * 0.0
        pos = (1.0 - cos[same]).mean() if bool(same.any()) else zero
        neg = F.relu(cos[diff] - self.alpha).mean() if bool(diff.any()) else zero
        return pos + neg


class MultiviewTripletLoss(nn.Module):
    """``L_mt = max(0, ‖a − p‖² − ‖a − n‖² + margin)`` over normalised view embeddings.

    Anchors, positives (same emotion, another embedding) and negatives run over all views
    of all samples. ``batch_hard``: per anchor the farthest positive and nearest negative,
    mean over anchors that have both. ``all``: every valid triplet, mean over the *active*
    ones (loss > 0; batch-all of Hermans et al. 2017), zero if none is active.
    """

    def __init__(
        self, margin: float = 0.2, mining: str = "batch_hard", gather: bool = True
    ) -> None:
        super().__init__()
        if mining not in ("batch_hard", "all"):
            raise ValueError(f"unknown mining {mining!r} (batch_hard, all)")
        self.margin = margin
        self.mining = mining
        self.gather = gather

    def forward(self, view_embeds: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.gather:
            view_embeds, labels = gather_with_grad(view_embeds), gather_labels(labels)
        z, y = _flatten_views(view_embeds, labels)
        d2 = (2.0 - 2.0 * z @ z.t()).clamp(min=0.0)
        eye = torch.eye(len(y), dtype=torch.bool, device=z.device)
        pos = (y[:, None] == y[None, :]) & ~eye
        neg = y[:, None] != y[None, :]
        zero = d2.sum() * 0.0
        if self.mining == "batch_hard":
            valid = pos.any(dim=1) & neg.any(dim=1)
            if not bool(valid.any()):
                return zero
            hardest_pos = d2.masked_fill(~pos, float("-inf")).amax(dim=1)
            hardest_neg = d2.masked_fill(~neg, float("inf")).amin(dim=1)
            return F.relu(hardest_pos - hardest_neg + self.margin)[valid].mean()
        total, active = zero, 0
        for start in range(0, len(y), 64):  # anchor chunks keep memory at O(64·K²)
            rows = slice(start, start + 64)
            t = d2[rows, :, None] - d2[rows, None, :] + self.margin
            mask = pos[rows, :, None] & neg[rows, None, :]
            t = F.relu(t)[mask]
            total = total + t.sum()
            active += int((t > 0).sum())
        return total / active if active else zero


# ---------------------------------------------------------------- total


@dataclass
class LossOutput:
    """The differentiable total and each term as a detached float for logging."""

    total: torch.Tensor
    itc: float
    mc: float
    mt: float
    alpha: float | None  # current multiview margin α, None when L_mc is off


class AffectVLMLoss(nn.Module):
    """``L = L_itc + λ_mc·L_mc + λ_mt·L_mt`` with switchable terms (:class:`LossConfig`).

    Gathers once across ranks, then evaluates the terms on the global batch. Its only
    parameter (α of ``L_mc``) must be added to the optimiser (e.g. via
    ``param_groups(..., extra=[loss])``); its gradient is the same on every rank.
    """

    def __init__(self, config: LossConfig | None = None) -> None:
        super().__init__()
        self.config = config or LossConfig()
        c = self.config
        self.itc = LabelAwareITCLoss(gather=False) if c.use_itc else None
        self.mc = (
            MultiviewContrastiveLoss(c.alpha_max, c.alpha_init, gather=False) if c.use_mc else None
        )
        self.mt = (
            MultiviewTripletLoss(c.triplet_margin, c.mining, gather=False) if c.use_mt else None
        )

    def forward(
        self,
        image_embeds: torch.Tensor,
        view_embeds: torch.Tensor,
        text_embeds: torch.Tensor,
        labels: torch.Tensor,
        logit_scale: torch.Tensor,
        text_labels: torch.Tensor | None = None,
    ) -> LossOutput:
        """``image_embeds (N, D)`` fused, ``view_embeds (N, V, D)``, ``text_embeds`` per
        sample ``(N, D)`` or per class ``(C, D)`` with ``text_labels (C,)``; ``logit_scale``
        is the model's exp'd scale (``AffectVLM.scale()``)."""
        labels = labels.to(image_embeds.device)
        image_embeds, view_embeds = gather_with_grad(image_embeds), gather_with_grad(view_embeds)
        if text_labels is None:
            text_embeds = gather_with_grad(text_embeds)
        labels = gather_labels(labels)
        c = self.config
        total = image_embeds.sum() * 0.0
        values = {"itc": 0.0, "mc": 0.0, "mt": 0.0}
        if self.itc is not None:
            term = self.itc(image_embeds, text_embeds, labels, logit_scale, text_labels)
            total, values["itc"] = total + term, float(term.detach())
        if self.mc is not None:
            term = self.mc(view_embeds, labels)
            total, values["mc"] = total + c.lambda_mc * term, float(term.detach())
        if self.mt is not None:
            term = self.mt(view_embeds, labels)
            total, values["mt"] = total + c.lambda_mt * term, float(term.detach())
        alpha = float(self.mc.alpha.detach()) if self.mc is not None else None
        return LossOutput(total=total, alpha=alpha, **values)

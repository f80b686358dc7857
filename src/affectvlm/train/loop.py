"""One training epoch and one evaluation pass (used by :mod:`affectvlm.train.engine`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from affectvlm.train.distributed import DistInfo, all_reduce_mean, gather_objects
from affectvlm.train.run import progress


@dataclass
class ClassHeadLoss:
    """Cross-entropy of a linear-head model's fused scores (``total`` and its float)."""

    total: torch.Tensor
    ce: float


class TrainStep(nn.Module):
    """Model + loss as one module, so DDP sees (and syncs) every trainable parameter.

    ``forward(views, prompts, labels)`` embeds the views and one prompt per sample and
    returns the :class:`affectvlm.losses.LossOutput` (``total`` + per-term floats). A model
    with a linear class head (``loss`` None) is trained by cross-entropy of its fused
    class scores, the scores it is evaluated by; prompts are not used.
    """

    def __init__(self, model: nn.Module, loss: nn.Module | None) -> None:
        super().__init__()
        self.model = model
        self.loss = loss

    def forward(self, views: torch.Tensor, prompts: list[str], labels: torch.Tensor) -> Any:
        enc = self.model.encode_images(views)
        if self.loss is None:
            classes = self.model.config.classes
            logits = self.model.score(enc, self.model.class_embeddings(None, classes)).logits
            ce = F.cross_entropy(logits, labels)
            return ClassHeadLoss(ce, float(ce.detach()))
        text = self.model.encode_text(prompts)
        return self.loss(enc.fused_embed, enc.view_embeds, text, labels, self.model.scale())


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Mixed precision on CUDA only (bf16 or fp16); CPU always runs fp32."""
    if device.type != "cuda" or precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@dataclass
class EpochStats:
    """Means over an epoch's micro-batches (averaged over ranks) and timing."""

    logs: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    seconds: float = 0.0
    data_seconds: float = 0.0

    @property
    def data_wait_share(self) -> float:
        return self.data_seconds / self.seconds if self.seconds > 0 else 0.0


def _loss_logs(result: Any, terms: Sequence[str]) -> dict[str, float]:
    logs = {"loss": float(result.total.detach())}
    for name in terms:
        logs[f"loss_{name}"] = float(getattr(result, name))
    return logs


def train_one_epoch(
    step: nn.Module,
    loader: Iterable[dict[str, Any]],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    *,
    device: torch.device,
    precision: str,
    accumulate: int,
    grad_clip: float,
    info: DistInfo,
    terms: Sequence[str] = ("itc", "mc", "mt"),
    show_progress: bool = False,
    description: str = "train",
) -> EpochStats:
    """Run one epoch with gradient accumulation; the optimiser steps every ``accumulate``
    micro-batches and once more for a trailing partial group."""
    step.train()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    sums: dict[str, float] = {}
    count = 0
    stats = EpochStats()
    total_batches = len(loader)  # type: ignore[arg-type]
    start = time.perf_counter()
    fetch_start = start
    optimizer.zero_grad(set_to_none=True)
    for i, batch in enumerate(
        progress(loader, show_progress, desc=description, total=total_batches)
    ):
        stats.data_seconds += time.perf_counter() - fetch_start
        views = batch["views"].to(device, non_blocking=True)
        labels = batch["labels"].to(device, non_blocking=True)
        last_of_group = (i + 1) % accumulate == 0 or i + 1 == total_batches
        sync = (
            contextlib.nullcontext()
            if last_of_group or not hasattr(step, "no_sync")
            else step.no_sync()
        )
        with sync:
            with autocast(device, precision):
                result = step(views, batch["prompts"], labels)
            scaler.scale(result.total / accumulate).backward()
        if last_of_group:
            if grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, grad_clip)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
        for key, value in _loss_logs(result, terms).items():
            sums[key] = sums.get(key, 0.0) + value
        count += 1
        stats.samples += len(labels)
        fetch_start = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    stats.seconds = time.perf_counter() - start
    stats.logs = all_reduce_mean({k: v / max(count, 1) for k, v in sums.items()}, device)
    return stats


@torch.no_grad()
def predict(
    model: nn.Module,
    loader: Iterable[dict[str, Any]],
    class_embeds: torch.Tensor,
    *,
    device: torch.device,
    precision: str,
    info: DistInfo,
    show_progress: bool = False,
    description: str = "eval",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fused-logit predictions over a rank-sharded loader, gathered from all ranks.

    Returns ``(indices, labels, predictions)`` sorted by sample index, on every rank.
    """
    model.eval()
    idx, lab, pred = [], [], []
    for batch in progress(loader, show_progress, desc=description):
        views = batch["views"].to(device, non_blocking=True)
        with autocast(device, precision):
            logits = model(views, class_embeds).logits
        idx.append(batch["indices"].numpy())
        lab.append(batch["labels"].numpy())
        pred.append(logits.float().argmax(dim=-1).cpu().numpy())
    local = tuple(np.concatenate(a) if a else np.zeros(0, np.int64) for a in (idx, lab, pred))
    parts = gather_objects(local)
    indices, labels, preds = (np.concatenate([p[k] for p in parts]) for k in range(3))
    order = np.argsort(indices, kind="stable")
    return indices[order], labels[order], preds[order]


def find_unused_parameters(
    step: nn.Module, batch: dict[str, Any], device: torch.device, precision: str
) -> list[str]:
    """Names of trainable parameters that get no gradient from one micro-batch.

    Run before DDP wrapping to decide ``find_unused_parameters`` (frozen towers have
    ``requires_grad`` off and are not listed). RNG states are left untouched.
    """
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        step.train()
        with autocast(device, precision):
            result = step(batch["views"].to(device), batch["prompts"], batch["labels"].to(device))
        result.total.backward()
    unused = [n for n, p in step.named_parameters() if p.requires_grad and p.grad is None]
    step.zero_grad(set_to_none=True)
    return unused


def label_names(labels: Sequence[int], class_names: Sequence[str]) -> list[str]:
    return [class_names[i] for i in labels]


Callback = Callable[[int, dict[str, Any]], None]

"""The cross-entropy reference: AffectVLM's vision tower + fusion with a linear class head.

Everything but the objective is the trainer's: records and render cache
(:func:`~affectvlm.train.components.load_fold_data`), model construction, datasets with the
same mixed view augmentation, loaders, AdamW groups and warm-up + cosine schedule, and the
epoch loop (:func:`~affectvlm.train.loop.train_one_epoch`, :func:`~affectvlm.train.loop.predict`).
The head maps the fused image embedding to class logits, multiplied by the model's learnable
logit scale so both arms score on the same scale; only text never enters. The epoch is
selected on validation subjects as in the trainer; the test part is evaluated once.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from affectvlm.eval.metrics import classification_metrics
from affectvlm.fileio import atomic_write_json
from affectvlm.train.config import TrainConfig
from affectvlm.train.engine import seed_everything


@dataclass
class _Loss:
    total: torch.Tensor
    ce: float


@dataclass
class _Scores:
    logits: torch.Tensor


class CEClassifier(nn.Module):
    """``model.encode_images`` → fused embedding → ``scale · Linear`` class logits."""

    def __init__(self, model: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.model = model
        self.head = nn.Linear(model.config.embed_dim, num_classes)

    def forward(self, images: torch.Tensor, _text_embeds: Any = None) -> _Scores:
        fused = self.model.encode_images(images).fused_embed
        return _Scores(self.model.scale() * self.head(fused))


class CEStep(nn.Module):
    """The training step :func:`train_one_epoch` drives: prompts are ignored."""

    def __init__(self, classifier: CEClassifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, views: torch.Tensor, _prompts: Any, labels: torch.Tensor) -> _Loss:
        loss = F.cross_entropy(self.classifier(views).logits, labels)
        return _Loss(loss, float(loss.detach()))


def train_ce_fold(
    config: TrainConfig,
    records: list[Any],
    foldset: Any,
    fold: int,
    out_dir: str | Path,
    device: str = "auto",
    cache: Any = None,
    extra_tests: dict[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """Train/select/test one fold; write ``fold_result.json`` and ``history.jsonl`` to
    ``out_dir`` and return the result dict (the trainer's :class:`FoldResult` fields).
    ``extra_tests`` name other records (same cache) whose fold test subjects are also
    scored with the selected weights, under ``extra_test_metrics``."""
    from affectvlm.model.optim import param_groups
    from affectvlm.train.components import (
        build_loader,
        build_model_and_loss,
        load_fold_data,
        make_dataset,
    )
    from affectvlm.train.distributed import detect, resolve_device
    from affectvlm.train.loop import predict, train_one_epoch
    from affectvlm.train.optim import build_optimizer, build_scheduler
    from affectvlm.train.run import write_history

    out = Path(out_dir)
    info = detect()
    dev = resolve_device(device, info.local_rank)
    data = load_fold_data(config, records, foldset, fold, cache)
    seed_everything(config.seed)
    model, _, bank = build_model_and_loss(config, dev)
    classifier = CEClassifier(model, len(data.class_names)).to(dev)
    step = CEStep(classifier).to(dev)
    loaders, train_sampler = _loaders(config, data, model, bank, info)
    groups = param_groups(
        model,
        config.optim.lr_towers,
        config.optim.lr_heads,
        config.optim.weight_decay,
        [classifier.head],
    )
    optimizer = build_optimizer(groups, config.optim)
    per_epoch = math.ceil(len(loaders["train"]) / config.optim.accumulate)
    scheduler = build_scheduler(optimizer, config.optim, per_epoch, config.epochs)
    scaler = torch.amp.GradScaler(
        dev.type, enabled=dev.type == "cuda" and config.precision == "fp16"
    )

    def evaluate(part: str) -> Any:
        _, y, p = predict(
            classifier, loaders[part], None, device=dev, precision=config.precision, info=info
        )
        return classification_metrics(y, p, data.class_names)

    history: list[dict[str, Any]] = []
    best = (-math.inf, 0, copy.deepcopy(classifier.state_dict()))
    has_val = len(loaders["val"].dataset) > 0
    for epoch in range(1, config.epochs + 1):
        train_sampler.set_epoch(epoch)
        stats = train_one_epoch(
            step,
            loaders["train"],
            optimizer,
            scheduler,
            scaler,
            device=dev,
            precision=config.precision,
            accumulate=config.optim.accumulate,
            grad_clip=config.optim.grad_clip,
            info=info,
            terms=("ce",),
        )
        log: dict[str, Any] = {"epoch": epoch, **stats.logs}
        log["samples_per_s"] = stats.samples / max(stats.seconds, 1e-9)
        score = float(epoch)
        if has_val:
            val = evaluate("val")
            log["val_accuracy"], log["val_macro_f1"] = val.accuracy, val.macro_f1
            score = log[f"val_{config.select_metric}"]
        history.append(log)
        if score > best[0]:
            best = (score, epoch, copy.deepcopy(classifier.state_dict()))
        if config.patience and epoch - best[1] >= config.patience:
            break
    classifier.load_state_dict(best[2])
    result = _fold_result(config, fold, best[1], history, evaluate("test"), data.class_names)
    result["extra_test_metrics"] = {}
    for name, extra in (extra_tests or {}).items():
        other = load_fold_data(config, records, foldset, fold, data.cache, extra)
        test = make_dataset(config, other, "test", model, bank, training=False)
        loader, _ = build_loader(config, test, info, training=False)
        _, y, p = predict(
            classifier, loader, None, device=dev, precision=config.precision, info=info
        )
        metrics = classification_metrics(y, p, data.class_names).to_dict()
        result["extra_test_metrics"][name] = metrics
    write_history(out / "history.jsonl", history)
    atomic_write_json(out / "fold_result.json", result)
    return result


def _loaders(config: TrainConfig, data: Any, model: nn.Module, bank: Any, info: Any):
    """The trainer's datasets and loaders for the three parts, and the training sampler."""
    from affectvlm.train.components import build_loader, make_dataset

    loaders, train_sampler = {}, None
    for part in ("train", "val", "test"):
        ds = make_dataset(config, data, part, model, bank, training=part == "train")
        loaders[part], sampler = build_loader(config, ds, info, training=part == "train")
        train_sampler = sampler if part == "train" else train_sampler
    return loaders, train_sampler


def _fold_result(
    config: TrainConfig, fold: int, best_epoch: int, history: list, test: Any, classes: list
) -> dict[str, Any]:
    """The fields of the trainer's :class:`~affectvlm.train.engine.FoldResult`."""
    best_log = history[best_epoch - 1]
    return {
        "fold": fold,
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "select_metric": config.select_metric,
        "val_metrics": {k[4:]: v for k, v in best_log.items() if k.startswith("val_")},
        "test_metrics": test.to_dict(),
        "class_names": list(classes),
        "model_dir": "",
        "history": history,
    }

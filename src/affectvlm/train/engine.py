"""Train and test one fold: ``train_fold(config, manifest, folds, fold, out_dir, device)``.

The model is selected on the fold's VALIDATION subjects only (best epoch, early stopping), or
is the one at the end of the schedule (``keep = "last"``); the test subjects' data is not
even opened until training has finished, and the test set is then evaluated once with the
kept weights (reloaded from ``<out_dir>/model``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from affectvlm.config import to_dict
from affectvlm.device import resolve_device
from affectvlm.errors import PathError
from affectvlm.eval.metrics import ClassificationMetrics, classification_metrics
from affectvlm.fileio import atomic_write_json
from affectvlm.model.optim import param_groups
from affectvlm.train import checkpoint as ckpt
from affectvlm.train.components import (
    FoldData,
    FoldSource,
    build_loader,
    build_model_and_loss,
    load_fold_data,
    make_dataset,
    save_best_model,
)
from affectvlm.train.config import TrainConfig
from affectvlm.train.distributed import (
    DistInfo,
    barrier,
    detect,
    init_distributed,
    settle,
    wrap_ddp,
)
from affectvlm.train.loop import (
    Callback,
    TrainStep,
    find_unused_parameters,
    predict,
    train_one_epoch,
)
from affectvlm.train.optim import build_optimizer, build_scheduler
from affectvlm.train.result import FoldResult, save_fold_result
from affectvlm.train.run import (
    RunPaths,
    close_logger,
    progress_enabled,
    setup_logger,
    write_history,
)


class TrainError(PathError, RuntimeError):
    """A training run that cannot start or continue; names the run folder and the fault."""


def _terms(config: TrainConfig) -> list[str]:
    if config.model.head == "linear":
        return ["ce"]
    c = config.loss
    return [name for name, on in (("itc", c.use_itc), ("mc", c.use_mc), ("mt", c.use_mt)) if on]


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (every run, and every baseline arm, starts from here)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _scalars(model: torch.nn.Module, loss: torch.nn.Module) -> dict[str, float]:
    """α and temperature for the epoch log (when the modules expose them)."""
    out = {"temperature": 1.0 / float(model.scale().detach())}
    if getattr(loss, "mc", None) is not None:
        out["alpha"] = float(loss.mc.alpha.detach())
    return out


def train_fold(
    config: TrainConfig,
    manifest: str | Path | Sequence[Any],
    folds: str | Path | Any,
    fold: int,
    out_dir: str | Path,
    device: str = "auto",
    *,
    resume: bool = False,
    cache: Any = None,
    on_epoch_end: Callback | None = None,
    extra_tests: Mapping[str, Sequence[Any]] | None = None,
) -> FoldResult:
    """Train fold ``fold`` of ``folds`` on the records of ``manifest`` into ``out_dir``.

    ``manifest`` is a manifest CSV or a list of records; ``folds`` a fold file or a
    :class:`FoldSet`. With ``resume`` a run folder holding ``checkpoint.pt`` continues where
    it stopped (same config required); without it such a folder is an error. ``cache``
    overrides the render cache (any object with ``load(sample_id)``); ``on_epoch_end(epoch,
    log)`` is called on every rank after each epoch's checkpoint is written.
    ``extra_tests`` name other records (e.g. another face family, in the same cache): the
    selected model is also tested on the fold's test subjects picked from each of them
    (:attr:`FoldResult.extra_test_metrics`).
    """
    paths = RunPaths(Path(out_dir))
    dev = resolve_device(device, detect().local_rank)
    info = init_distributed(dev)
    logger = setup_logger(paths.log if info.is_main else None, info.is_main)
    try:
        source = FoldSource(manifest, folds, fold, cache, dict(extra_tests or {}))
        return _train_fold(config, source, paths, dev, info, resume, on_epoch_end, logger)
    finally:
        close_logger()


def _train_fold(config, source, paths, device, info, resume, callback, logger):
    if paths.checkpoint.exists() and not resume:
        raise TrainError(
            paths.root, "holds a checkpoint of an earlier run; pass --resume to continue it"
        )
    fold = source.fold
    data: FoldData = load_fold_data(config, source.manifest, source.folds, fold, source.cache)
    show = progress_enabled(config.progress, info.is_main)
    seed_everything(config.seed)
    model, loss, bank = build_model_and_loss(config, device, data.class_names)
    step = TrainStep(model, loss).to(device)
    train_set = make_dataset(config, data, "train", model, bank, training=True)
    val_set = make_dataset(config, data, "val", model, bank, training=False)
    train_loader, sampler = build_loader(config, train_set, info, training=True)
    val_loader, _ = build_loader(config, val_set, info, training=False)
    if info.is_main:
        logger.info(
            "fold %d on %s: %d train / %d val samples, classes %s",
            fold,
            device,
            len(train_set),
            len(val_set),
            data.class_names,
        )
    if info.distributed:
        sampler.set_epoch(0)
        unused = find_unused_parameters(step, next(iter(train_loader)), device, config.precision)
        ddp_step = wrap_ddp(step, device, find_unused=bool(unused))
    else:
        ddp_step = step
    groups = param_groups(
        model,
        config.optim.lr_towers,
        config.optim.lr_heads,
        config.optim.weight_decay,
        [loss] if loss is not None else [],
    )
    optimizer = build_optimizer(groups, config.optim)
    steps_per_epoch = math.ceil(len(train_loader) / config.optim.accumulate)
    scheduler = build_scheduler(optimizer, config.optim, steps_per_epoch, config.epochs)
    use_scaler = device.type == "cuda" and config.precision == "fp16"
    scaler = torch.amp.GradScaler(device.type, enabled=use_scaler)
    config_dict = to_dict(config)
    frozen = ckpt.frozen_digest(step) if info.is_main else ""

    state = {"epoch": 0, "best_metric": -math.inf, "best_epoch": 0, "history": [], "stop": False}
    if resume and paths.checkpoint.exists():
        saved = ckpt.load_checkpoint(
            paths.checkpoint, map_location=device, required=ckpt.TRAINING_STATE_KEYS
        )
        ckpt.check_config(paths.checkpoint, saved["config"], config_dict)
        if saved["fold"] != fold or saved["folds_hash"] != data.folds_hash:
            raise ckpt.CheckpointError(paths.checkpoint, "made for another fold or fold file")
        parts = {"step": step, "optimizer": optimizer, "scheduler": scheduler, "scaler": scaler}
        ckpt.restore_states(paths.checkpoint, saved, parts)
        state = {k: saved[k] for k in state}
        if info.is_main:
            logger.info("resumed from %s after epoch %d", paths.checkpoint, state["epoch"])
            _warn_if_threads_differ(saved.get("torch_threads"), device, logger)

    select = f"val_{config.select_metric}"
    epoch = state["epoch"]
    while epoch < config.epochs and not state["stop"]:
        epoch += 1
        sampler.set_epoch(epoch)
        stats = train_one_epoch(
            ddp_step,
            train_loader,
            optimizer,
            scheduler,
            scaler,
            device=device,
            precision=config.precision,
            accumulate=config.optim.accumulate,
            grad_clip=config.optim.grad_clip,
            info=info,
            terms=_terms(config),
            show_progress=show,
            description=f"epoch {epoch}/{config.epochs}",
        )
        log: dict[str, Any] = {"epoch": epoch, **stats.logs, **_scalars(model, loss)}
        log["lr_heads"] = max(g["lr"] for g in optimizer.param_groups)
        log["samples_per_s"] = stats.samples * info.world_size / max(stats.seconds, 1e-9)
        log["data_wait_share"] = stats.data_wait_share
        if len(val_set):
            val = evaluate(model, val_loader, data.class_names, config, device, info, show, "val")
            log["val_accuracy"] = val.metrics.accuracy
            log["val_macro_f1"] = val.metrics.macro_f1
            score = log[select]
        else:
            score = float(epoch)  # no validation subjects: keep the last epoch
        state["history"].append(log)
        kept = epoch == config.epochs if config.keep == "last" else score > state["best_metric"]
        if kept:
            state["best_metric"], state["best_epoch"] = score, epoch
            if info.is_main:
                save_best_model(model, config, data.class_names, paths.model)
        if config.patience and epoch - state["best_epoch"] >= config.patience:
            state["stop"] = True
        state["epoch"] = epoch
        if info.is_main:
            _save_state(
                paths, state, step, frozen, optimizer, scheduler, scaler, config_dict, fold, data
            )
            write_history(paths.history, state["history"])
            logger.info(_format_log(log))
        barrier()
        if callback is not None:
            callback(epoch, log)

    del ddp_step  # the DDP reducer must go before the process group does
    settle()
    return _test_selected(config, source, data, paths, device, info, state, show, logger)


def _save_state(paths, state, step, frozen, optimizer, scheduler, scaler, config_dict, fold, data):
    ckpt.save_checkpoint(
        paths.checkpoint,
        {
            **state,
            "step": ckpt.module_state(step),
            "frozen_digest": frozen,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "rng": ckpt.rng_state(),
            "config": config_dict,
            "fold": fold,
            "folds_hash": data.folds_hash,
            "torch_threads": torch.get_num_threads(),
        },
    )


def _warn_if_threads_differ(saved: int | None, device: torch.device, logger: Any) -> None:
    """CPU kernels reduce in an order that depends on the thread count: a run resumed with
    other threads agrees with an uninterrupted one to rounding, not bit for bit."""
    now = torch.get_num_threads()
    if device.type == "cpu" and saved is not None and saved != now:
        logger.warning(
            "the run trained with %d torch threads and resumes with %d: its results will "
            "differ from an uninterrupted run's in the last digits (use --threads %d to match)",
            saved,
            now,
            saved,
        )


def _format_log(log: dict[str, Any]) -> str:
    return f"epoch {log['epoch']}: " + ", ".join(
        f"{k}={v:.4g}" for k, v in log.items() if k != "epoch" and isinstance(v, float)
    )


@dataclass
class Evaluation:
    """Predictions of one evaluation pass, in record order, and their metrics."""

    records: list[Any]
    labels: np.ndarray
    predictions: np.ndarray
    metrics: ClassificationMetrics

    def rows(self) -> list[dict[str, Any]]:
        """Per-sample rows (subject, attributes, true and predicted class)."""
        from affectvlm.eval.groups import prediction_rows

        return prediction_rows(
            self.records, self.labels, self.predictions, self.metrics.class_names
        )


def evaluate(
    model: torch.nn.Module,
    loader: Any,
    class_names: Sequence[str],
    config: TrainConfig,
    device: torch.device,
    info: DistInfo | None = None,
    show: bool = False,
    description: str = "eval",
) -> Evaluation:
    """Score every sample of ``loader`` against ``model.class_embeddings`` of
    ``class_names`` (prompt ensembles, or a linear head's class vectors), fused over views
    as the model's fusion says. The one evaluation of the package: validation, test,
    extra test sets, zero-shot classes and the fairness recovery all go through it."""
    info = info or detect()
    model.eval()
    with torch.no_grad():
        embeds = model.class_embeddings(None, list(class_names))
    indices, y, p = predict(
        model,
        loader,
        embeds,
        device=device,
        precision=config.precision,
        info=info,
        show_progress=show,
        description=description,
    )
    records = [loader.dataset.records[int(i)] for i in indices]
    return Evaluation(records, y, p, classification_metrics(y, p, list(class_names)))


def evaluate_part(
    model: torch.nn.Module,
    config: TrainConfig,
    data: FoldData,
    part: str,
    device: torch.device,
    info: DistInfo | None = None,
) -> Evaluation:
    """:func:`evaluate` on one part (``train``/``val``/``test``) of a fold's data."""
    info = info or detect()
    dataset = make_dataset(config, data, part, model, model.prompt_bank, training=False)
    loader, _ = build_loader(config, dataset, info, training=False)
    return evaluate(model, loader, data.class_names, config, device, info, False, part)


def _test_selected(config, source, data, paths, device, info, state, show, logger):
    """Evaluate the test subjects once (and each extra test set), with the weights
    selected on validation."""
    from affectvlm.model import AffectVLM

    started = time.perf_counter()
    best_log = next(h for h in state["history"] if h["epoch"] == state["best_epoch"])
    val = {k[4:]: v for k, v in best_log.items() if k.startswith("val_")}
    result = FoldResult(
        fold=source.fold,
        best_epoch=state["best_epoch"],
        epochs_run=state["epoch"],
        select_metric=config.select_metric,
        val_metrics=val,
        test_metrics={},
        class_names=list(data.class_names),
        model_dir=str(paths.model),
        history=state["history"],
    )
    test = None
    if data.parts["test"] or source.extra_tests:
        best = AffectVLM.from_pretrained(paths.model).to(device)
    if data.parts["test"]:  # a final fit on every subject has no test part
        test = evaluate_part(best, config, data, "test", device, info)
        result.test_metrics = test.metrics.to_dict()
        result.predictions = test.rows()
    for name, records in source.extra_tests.items():
        other = load_fold_data(
            config, source.manifest, source.folds, source.fold, data.cache, records
        )
        metrics = evaluate_part(best, config, other, "test", device, info).metrics
        result.extra_test_metrics[name] = metrics.to_dict()
    if info.is_main:
        from affectvlm.eval.plots import plot_confusion, plot_learning_curves

        plot_learning_curves(state["history"], paths.curves)
        if test is not None:
            m = test.metrics
            atomic_write_json(paths.metrics, result.test_metrics)
            plot_confusion(
                m.confusion, data.class_names, paths.confusion, f"fold {source.fold} (test)"
            )
            logger.info(
                "fold %d: kept epoch %d, test accuracy %.4f, macro-F1 %.4f (%d samples, %.1fs)",
                source.fold,
                result.best_epoch,
                m.accuracy,
                m.macro_f1,
                m.num_samples,
                time.perf_counter() - started,
            )
        else:
            logger.info("fold %d: kept epoch %d (no test subjects)", source.fold, result.best_epoch)
        for name, metrics in result.extra_test_metrics.items():
            logger.info("fold %d: %s test accuracy %.4f", source.fold, name, metrics["accuracy"])
        save_fold_result(paths.root, result)
    barrier()
    return result

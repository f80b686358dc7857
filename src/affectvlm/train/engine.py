"""Train and test one fold: ``train_fold(config, manifest, folds, fold, out_dir, device)``.

The model is selected on the fold's VALIDATION subjects only (best epoch, early stopping);
the test subjects' data is not even opened until training has finished, and the test set
is then evaluated once with the selected weights (reloaded from ``<out_dir>/model``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from affectvlm.config import to_dict
from affectvlm.device import resolve_device
from affectvlm.errors import PathError
from affectvlm.eval.metrics import classification_metrics
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
from affectvlm.train.run import (
    RunPaths,
    close_logger,
    progress_enabled,
    setup_logger,
    write_history,
)


class TrainError(PathError, RuntimeError):
    """A training run that cannot start or continue; names the run folder and the fault."""


@dataclass
class FoldResult:
    """Outcome of one fold: the selected epoch, its validation metrics and the test metrics."""

    fold: int
    best_epoch: int
    epochs_run: int
    select_metric: str
    val_metrics: dict[str, Any]
    test_metrics: dict[str, Any]
    class_names: list[str]
    model_dir: str
    history: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)  # per test sample

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FoldResult:
        return cls(**data)


def _terms(config: TrainConfig) -> list[str]:
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
    test_records: Sequence[Any] | None = None,
) -> FoldResult:
    """Train fold ``fold`` of ``folds`` on the records of ``manifest`` into ``out_dir``.

    ``manifest`` is a manifest CSV or a list of records; ``folds`` a fold file or a
    :class:`FoldSet`. With ``resume`` a run folder holding ``checkpoint.pt`` continues where
    it stopped (same config required); without it such a folder is an error. ``cache``
    overrides the render cache (any object with ``load(sample_id)``); ``on_epoch_end(epoch,
    log)`` is called on every rank after each epoch's checkpoint is written.
    ``test_records`` (e.g. another face family or dataset, in the same cache) replace the
    manifest's records for the test part; the fold's test subjects pick from them.
    """
    paths = RunPaths(Path(out_dir))
    dev = resolve_device(device, detect().local_rank)
    info = init_distributed(dev)
    logger = setup_logger(paths.log if info.is_main else None, info.is_main)
    try:
        source = FoldSource(manifest, folds, fold, cache, test_records)
        return _train_fold(config, source, paths, dev, info, resume, on_epoch_end, logger)
    finally:
        close_logger()


def _train_fold(config, source, paths, device, info, resume, callback, logger):
    if paths.checkpoint.exists() and not resume:
        raise TrainError(
            paths.root, "holds a checkpoint of an earlier run; pass --resume to continue it"
        )
    fold = source.fold
    data: FoldData = load_fold_data(
        config, source.manifest, source.folds, fold, source.cache, source.test_records
    )
    show = progress_enabled(config.progress, info.is_main)
    seed_everything(config.seed)
    model, loss, bank = build_model_and_loss(config, device)
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
        model, config.optim.lr_towers, config.optim.lr_heads, config.optim.weight_decay, [loss]
    )
    optimizer = build_optimizer(groups, config.optim)
    steps_per_epoch = math.ceil(len(train_loader) / config.optim.accumulate)
    scheduler = build_scheduler(optimizer, config.optim, steps_per_epoch, config.epochs)
    use_scaler = device.type == "cuda" and config.precision == "fp16"
    scaler = torch.amp.GradScaler(device.type, enabled=use_scaler)
    config_dict = to_dict(config)

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
            _, _, _, val = _evaluate(
                model, bank, val_loader, data, config, device, info, show, "val"
            )
            log["val_accuracy"], log["val_macro_f1"] = val.accuracy, val.macro_f1
            score = log[select]
        else:
            score = float(epoch)  # no validation subjects: keep the last epoch
        state["history"].append(log)
        if score > state["best_metric"]:
            state["best_metric"], state["best_epoch"] = score, epoch
            if info.is_main:
                save_best_model(model, config, data.class_names, paths.model)
        if config.patience and epoch - state["best_epoch"] >= config.patience:
            state["stop"] = True
        state["epoch"] = epoch
        if info.is_main:
            _save_state(paths, state, step, optimizer, scheduler, scaler, config_dict, fold, data)
            write_history(paths.history, state["history"])
            logger.info(_format_log(log))
        barrier()
        if callback is not None:
            callback(epoch, log)

    del ddp_step  # the DDP reducer must go before the process group does
    settle()
    return _test_selected(config, data, fold, paths, device, info, state, show, logger)


@torch.no_grad()
def class_embeddings(model: torch.nn.Module, bank: Any, class_names: list[str]) -> torch.Tensor:
    """Prompt-ensembled class text embeddings (C, D) for evaluation."""
    model.eval()
    return model.class_text_embeddings(bank, class_names)


def _save_state(paths, state, step, optimizer, scheduler, scaler, config_dict, fold, data):
    ckpt.save_checkpoint(
        paths.checkpoint,
        {
            **state,
            "step": step.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "rng": ckpt.rng_state(),
            "config": config_dict,
            "fold": fold,
            "folds_hash": data.folds_hash,
        },
    )


def _format_log(log: dict[str, Any]) -> str:
    return f"epoch {log['epoch']}: " + ", ".join(
        f"{k}={v:.4g}" for k, v in log.items() if k != "epoch" and isinstance(v, float)
    )


def _evaluate(model, bank, loader, data, config, device, info, show, description):
    """Fused-logit predictions of one evaluation part against the ensembled class prompts:
    ``(indices, labels, predictions, metrics)``."""
    embeds = class_embeddings(model, bank, data.class_names)
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
    return indices, y, p, classification_metrics(y, p, data.class_names)


def evaluate_part(
    model: torch.nn.Module,
    config: TrainConfig,
    data: FoldData,
    part: str,
    device: torch.device,
    info: DistInfo | None = None,
) -> Any:
    """Metrics of ``model`` on one part (``train``/``val``/``test``) of a fold's data, fused
    over views as the model's fusion says, against the ensembled class prompts."""
    info = info or detect()
    bank = model.prompt_bank
    dataset = make_dataset(config, data, part, model, bank, training=False)
    loader, _ = build_loader(config, dataset, info, training=False)
    return _evaluate(model, bank, loader, data, config, device, info, False, part)[3]


def _test_selected(config, data, fold, paths, device, info, state, show, logger) -> FoldResult:
    """Evaluate the test subjects once, with the weights selected on validation."""
    from affectvlm.eval.groups import prediction_rows
    from affectvlm.model import AffectVLM

    started = time.perf_counter()
    best_log = next(h for h in state["history"] if h["epoch"] == state["best_epoch"])
    val = {k[4:]: v for k, v in best_log.items() if k.startswith("val_")}
    result = FoldResult(
        fold=fold,
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
    if data.parts["test"]:  # a final fit on every subject has no test part
        best = AffectVLM.from_pretrained(paths.model).to(device)
        bank = best.prompt_bank
        test_set = make_dataset(config, data, "test", best, bank, training=False)
        test_loader, _ = build_loader(config, test_set, info, training=False)
        indices, y, p, test = _evaluate(
            best, bank, test_loader, data, config, device, info, show, "test"
        )
        result.test_metrics = test.to_dict()
        result.predictions = prediction_rows(
            [data.parts["test"][int(i)] for i in indices], y, p, data.class_names
        )
    if info.is_main:
        from affectvlm.eval.plots import plot_confusion, plot_learning_curves

        plot_learning_curves(state["history"], paths.curves)
        if test is not None:
            atomic_write_json(paths.metrics, result.test_metrics)
            plot_confusion(
                test.confusion, data.class_names, paths.confusion, f"fold {fold} (test)"
            )
            logger.info(
                "fold %d: best epoch %d, test accuracy %.4f, macro-F1 %.4f (%d samples, %.1fs)",
                fold,
                result.best_epoch,
                test.accuracy,
                test.macro_f1,
                test.num_samples,
                time.perf_counter() - started,
            )
        else:
            logger.info("fold %d: best epoch %d (no test subjects)", fold, result.best_epoch)
        atomic_write_json(paths.result, result.to_dict())
    barrier()
    return result

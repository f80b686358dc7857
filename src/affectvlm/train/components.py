"""What a fold's training run is built from: records, render cache, model, loss, loaders.

Kept apart from the loop in :mod:`affectvlm.train.engine` so the engine reads as the
recipe and this module as the ingredients.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from affectvlm.config import dumps_toml, to_dict
from affectvlm.data.augment import MixedViewAugment
from affectvlm.data.dataset import MultiviewDataset, collate_samples, seed_worker
from affectvlm.fileio import atomic_write_json, atomic_write_text
from affectvlm.render.config import MODEL_INPUT_CHANNELS
from affectvlm.train.config import TrainConfig
from affectvlm.train.distributed import DistInfo, EpochSampler, shard_indices


@dataclass
class FoldData:
    """The records of one fold's three parts and where their views come from."""

    parts: dict[str, list[Any]]
    class_names: list[str]
    cache: Any
    sample_id: Any
    folds_hash: str
    root: Path | None


def _records(manifest: str | Path | Sequence[Any]) -> tuple[list[Any], Path | None]:
    from affectvlm.data import load_records

    if isinstance(manifest, (str, Path)):
        return load_records([manifest]), Path(manifest).resolve().parent
    items = list(manifest)
    if items and isinstance(items[0], (str, Path)):
        return load_records(items), Path(items[0]).resolve().parent
    return items, None


@dataclass(frozen=True)
class FoldSource:
    """Where one fold's records come from: a manifest (or records), the fold file (or
    :class:`FoldSet`), the fold, an optional cache, and named extra test record sets."""

    manifest: Any
    folds: Any
    fold: int
    cache: Any = None
    extra_tests: dict[str, Sequence[Any]] = field(default_factory=dict)


def load_fold_data(
    config: TrainConfig,
    manifest: Any,
    folds: Any,
    fold: int,
    cache: Any = None,
    test_records: Sequence[Any] | None = None,
) -> FoldData:
    """Records of ``fold`` split into train/val/test through the fold file's sample filter;
    ``test_records`` (same cache) replace the manifest's records for the test part."""
    from affectvlm.data import load_folds, select_records

    records, root = _records(manifest)
    foldset = load_folds(folds) if isinstance(folds, (str, Path)) else folds
    classes = list(config.classes) or list(foldset.protocol.classes)
    parts = {p: select_records(records, foldset, fold, p) for p in ("train", "val", "test")}
    if test_records is not None:
        parts["test"] = select_records(list(test_records), foldset, fold, "test")
    if not parts["train"]:
        raise ValueError(f"fold {fold} has no training records in the manifest")
    if cache is None:
        cache = open_cache(config, root)
    sample_id = getattr(cache, "sample_id", None) or _sample_id_fn()
    return FoldData(parts, classes, cache, sample_id, foldset.content_hash, root)


def _sample_id_fn():
    from affectvlm.render.cache import sample_id_for

    return lambda record: sample_id_for(record.path)


def open_cache(config: TrainConfig, root: Path | None) -> Any:
    """The render cache named by ``data.cache_dir`` (relative paths: to the manifest folder)."""
    from affectvlm.render.cache import RenderCache

    cache_dir = Path(config.data.cache_dir)
    if not cache_dir.is_absolute() and root is not None:
        cache_dir = root / cache_dir
    return RenderCache(cache_dir, config.render)


def build_model_and_loss(
    config: TrainConfig, device: torch.device, class_names: Sequence[str]
) -> tuple[Any, Any, Any]:
    """The model (towers frozen as configured), the loss module and the prompt bank.

    A ``model.head = "linear"`` model gets ``class_names`` as its head's classes and no
    loss module (:class:`~affectvlm.train.loop.TrainStep` trains it by cross-entropy)."""
    from affectvlm.losses import AffectVLMLoss
    from affectvlm.model import AffectVLM
    from affectvlm.text import PromptBank

    bank = PromptBank.from_config(config.text)
    model_config = config.model
    loss = None
    if model_config.head == "linear":
        model_config = replace(model_config, classes=list(class_names))
    else:
        loss = AffectVLMLoss(config.loss).to(device)
    model = AffectVLM.from_config(model_config, prompt_bank=bank).to(device)
    return model, loss, bank


def make_dataset(
    config: TrainConfig, data: FoldData, part: str, model: Any, bank: Any, training: bool
) -> MultiviewDataset:
    """A part's dataset at the model's image size; augmentation and prompts only for training."""
    augment = None
    if training and config.data.augment.enabled:
        yaws = [v.yaw for v in config.render.views]
        channels = MODEL_INPUT_CHANNELS[config.render.model_input] * 3  # one input: 3 copies
        augment = MixedViewAugment(
            config.data.augment,
            yaws,
            config.render.model_input == "texture",
            [i for i, name in enumerate(channels[:3]) if name == "depth"],
        )
    return MultiviewDataset(
        data.parts[part],
        data.cache,
        data.sample_id,
        data.class_names,
        image_size=model.vision_tower.image_size,
        augment=augment,
        prompts=bank if training and config.model.head == "text" else None,
        seed=config.seed,
    )


def build_loader(
    config: TrainConfig, dataset: MultiviewDataset, info: DistInfo, training: bool
) -> tuple[DataLoader, EpochSampler | None]:
    """Training: shuffled rank shards keyed by epoch; evaluation: ordered, unpadded shards."""
    workers = config.data.workers
    common: dict[str, Any] = dict(
        num_workers=workers,
        collate_fn=collate_samples,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(config.seed),
        pin_memory=torch.cuda.is_available(),
        persistent_workers=workers > 0,
    )
    if training:
        weights = None
        if config.data.balance_by:
            from affectvlm.eval.groups import balance_weights

            weights = balance_weights(dataset.records, config.data.balance_by)
        sampler = EpochSampler(len(dataset), info, seed=config.seed, shuffle=True, weights=weights)
        loader = DataLoader(
            dataset, batch_size=config.data.batch_size, sampler=sampler, drop_last=False, **common
        )
        return loader, sampler
    indices = list(shard_indices(len(dataset), info))
    loader = DataLoader(dataset, batch_size=config.data.eval_batch_size, sampler=indices, **common)
    return loader, None


def save_best_model(model: Any, config: TrainConfig, classes: list[str], target: Path) -> None:
    """``model.save_pretrained`` (weights, tokenizer, prompt bank) plus ``render.toml`` and
    ``classes.json``, swapped in whole so ``target`` always holds one complete model."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        atomic_write_text(tmp / "render.toml", dumps_toml(to_dict(config.render)))
        atomic_write_json(tmp / "classes.json", list(classes))
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

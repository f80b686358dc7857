"""Zero-shot emotion: train without one emotion, then score it from its prompts alone.

The trainer runs on the fold with the held-out emotion's records removed and ``classes``
set to the seen ones (its own run folder ``<run>/seen``). The selected model is then tested
on every test record of the protocol's classes, with one prompt-ensembled text embedding
per class — the held-out class included, although no image of it was ever trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from affectvlm.eval.metrics import classification_metrics
from affectvlm.fileio import atomic_write_json
from affectvlm.train.config import TrainConfig


def seen_classes(classes: list[str], holdout: str) -> list[str]:
    """The protocol's classes without ``holdout`` (which must be one of them)."""
    if holdout not in classes:
        raise ValueError(f"held-out emotion {holdout!r} is not a protocol class {classes}")
    return [c for c in classes if c != holdout]


def heldout_summary(metrics: Any, holdout: str) -> dict[str, Any]:
    """Recall of the held-out class and where its test samples went."""
    names = list(metrics.class_names)
    i = names.index(holdout)
    row = metrics.confusion[i]
    return {
        "holdout": holdout,
        "recall": metrics.per_class_recall[i],
        "samples": int(sum(row)),
        "predicted_as": dict(zip(names, (int(n) for n in row), strict=True)),
    }


def train_zero_shot_fold(
    config: TrainConfig,
    records: list[Any],
    foldset: Any,
    folds_file: str | Path,
    fold: int,
    run_dir: str | Path,
    holdout: str,
    device: str = "auto",
    cache: Any = None,
) -> dict[str, Any]:
    """Train on the seen classes, test all classes; write ``<run_dir>/fold_XX/fold_result.json``."""
    from affectvlm.data import select_records
    from affectvlm.data.dataset import MultiviewDataset
    from affectvlm.model import AffectVLM
    from affectvlm.render.cache import sample_id_for
    from affectvlm.train.components import build_loader
    from affectvlm.train.cv import fold_dir, run_folds
    from affectvlm.train.distributed import detect, resolve_device
    from affectvlm.train.loop import predict

    classes = list(foldset.protocol.classes)
    if list(config.classes) != seen_classes(classes, holdout):
        raise ValueError(f"config.classes must be the seen classes, got {config.classes}")
    seen_records = [r for r in records if r.emotion != holdout]
    cv = run_folds(
        config,
        seen_records,
        folds_file,
        Path(run_dir) / "seen",
        device,
        fold_indices=[fold],
        resume=True,
        cache=cache,
    )
    seen = cv.folds[0].to_dict()
    info = detect()
    dev = resolve_device(device, info.local_rank)
    model = AffectVLM.from_pretrained(seen["model_dir"]).to(dev)
    test = select_records(records, foldset, fold, "test")
    dataset = MultiviewDataset(
        test, cache, lambda r: sample_id_for(r.path), classes, model.vision_tower.image_size
    )
    loader, _ = build_loader(config, dataset, info, training=False)
    model.eval()
    with torch.no_grad():
        embeds = model.class_text_embeddings(None, classes)
    _, y, p = predict(model, loader, embeds, device=dev, precision=config.precision, info=info)
    metrics = classification_metrics(y, p, classes)
    result = {
        **seen,
        "test_metrics": metrics.to_dict(),
        "class_names": classes,
        "seen_test_metrics": seen["test_metrics"],
        "zero_shot": heldout_summary(metrics, holdout),
    }
    atomic_write_json(fold_dir(run_dir, fold) / "fold_result.json", result)
    return result

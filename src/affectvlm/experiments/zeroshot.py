"""Zero-shot emotion: train without one emotion, then score it from its prompts alone.

The trainer runs on the fold with the held-out emotion's records removed and ``classes``
set to the seen ones (its own run folder ``<run>/seen``). The selected model is then tested
on every test record of the protocol's classes, with one prompt-ensembled text embedding
per class — the held-out class included, although no image of it was ever trained on.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from affectvlm.device import resolve_device
from affectvlm.experiments.study import seen_classes
from affectvlm.model import AffectVLM
from affectvlm.train.components import load_fold_data
from affectvlm.train.config import TrainConfig
from affectvlm.train.cv import fold_dir, run_folds
from affectvlm.train.engine import evaluate_part
from affectvlm.train.result import save_fold_result


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
):
    """Train on the seen classes, test all classes; write ``<run_dir>/fold_XX/fold_result.json``
    (the seen-class run's :class:`FoldResult` with all-class test metrics; the seen-class
    test metrics and the held-out summary under ``extras``)."""
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
    seen = cv.folds[0]
    dev = resolve_device(device)
    model = AffectVLM.from_pretrained(seen.model_dir).to(dev)
    everything = replace(config, classes=classes)
    data = load_fold_data(everything, records, foldset, fold, cache)
    test = evaluate_part(model, everything, data, "test", dev)
    result = replace(
        seen,
        test_metrics=test.metrics.to_dict(),
        class_names=classes,
        predictions=test.rows(),
        extras={
            "seen_test_metrics": seen.test_metrics,
            "zero_shot": heldout_summary(test.metrics, holdout),
        },
    )
    save_fold_result(fold_dir(run_dir, fold), result)
    return result

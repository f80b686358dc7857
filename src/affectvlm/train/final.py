"""The model for deployment: ``fit_final(config, manifest, folds, out_dir)`` trains on EVERY
subject of a fold file's protocol instead of one fold's training side.

Cross-validation estimates how well the recipe generalises; the model an application loads
should then see all the subjects there are. The final fit is one fold whose test part is
empty, trained by the same engine as every fold. A recipe that keeps the best validation
epoch (``keep = "best"``) draws its validation subjects from all subjects with the protocol's
``val_fraction``; one that keeps the last epoch trains on every subject.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from affectvlm.config import to_dict
from affectvlm.data.folds import Fold, FoldSet, draw_validation, load_folds, stream_rng
from affectvlm.train import checkpoint as ckpt
from affectvlm.train.config import TrainConfig
from affectvlm.train.engine import train_fold
from affectvlm.train.result import FoldResult, load_fold_result
from affectvlm.train.run import RunPaths

STREAM_FINAL_VAL = 4
"""Random stream of the final fit's validation draw (the protocol's streams are 1-3)."""


def final_foldset(foldset: FoldSet, validation: bool = True) -> FoldSet:
    """One fold over every training-side subject of ``foldset``: validation subjects drawn
    with the protocol's ``val_fraction`` (none without ``validation``), the rest trained on,
    nothing tested.

    A cross-dataset protocol's test datasets stay out: their subjects are never trained on.
    """
    protocol = foldset.protocol
    if protocol.cross_dataset:
        pool = sorted({s for f in foldset.folds for s in f.train + f.val})
    else:
        pool = list(foldset.subjects)
    rng = stream_rng(protocol.seed, STREAM_FINAL_VAL)
    val = draw_validation(pool, protocol.val_fraction, rng) if validation else []
    train = sorted(set(pool) - set(val))
    note = f"final fit: {len(train)} training + {len(val)} validation subjects, no test part"
    return dataclasses.replace(
        foldset, folds=[Fold(0, train, val, [])], messages=[*foldset.messages, note]
    )


def fit_final(
    config: TrainConfig,
    manifest: str | Path | Sequence[Any],
    folds: str | Path | FoldSet,
    out_dir: str | Path,
    device: str = "auto",
    *,
    resume: bool = False,
    cache: Any = None,
) -> FoldResult:
    """Train the deployment model on every subject of ``folds``' protocol into ``out_dir``
    (the selected model in ``<out_dir>/model``); the result has no test metrics.

    With ``resume`` a finished fit (its ``fold_result.json``) is returned as it is, after
    checking that it was made with this config and these subjects; an unfinished one
    continues from its checkpoint.
    """
    foldset = final_foldset(
        load_folds(folds) if isinstance(folds, (str, Path)) else folds, config.keep == "best"
    )
    paths = RunPaths(Path(out_dir))
    done = load_fold_result(paths.root) if resume else None
    if done is not None:
        _check_made_by(paths, config, foldset)
        return done
    return train_fold(config, manifest, foldset, 0, paths.root, device, resume=resume, cache=cache)


def _check_made_by(paths: RunPaths, config: TrainConfig, foldset: FoldSet) -> None:
    """A finished fit is reused only if its checkpoint has this config and these subjects."""
    saved = ckpt.load_checkpoint(paths.checkpoint, required=ckpt.TRAINING_STATE_KEYS)
    ckpt.check_config(paths.checkpoint, saved["config"], to_dict(config))
    if saved["folds_hash"] != foldset.content_hash:
        raise ckpt.CheckpointError(paths.checkpoint, "made from other subjects or another protocol")

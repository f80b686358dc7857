"""Run several folds (all of them for cross-validation) and report mean ± std.

Each fold trains in ``<out_dir>/fold_<k>``; a fold whose ``fold_result.json`` exists is
finished and skipped (after checking its checkpoint was made with the same config), an
unfinished one continues from its checkpoint when ``resume`` is set. ``results.json``,
``report.md`` and the pooled confusion matrix go to ``<out_dir>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affectvlm.config import to_dict
from affectvlm.eval.report import write_report
from affectvlm.train import checkpoint as ckpt
from affectvlm.train.config import TrainConfig
from affectvlm.train.distributed import detect
from affectvlm.train.engine import train_fold
from affectvlm.train.result import FoldResult, load_fold_result
from affectvlm.train.run import RunPaths


@dataclass
class CVResult:
    """Per-fold results and the summary written to ``results.json``."""

    folds: list[FoldResult]
    results: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        return self.results["summary"]


def fold_dir(out_dir: str | Path, fold: int) -> Path:
    return Path(out_dir) / f"fold_{fold:02d}"


def finished_fold(fold_dir: str | Path, config: TrainConfig) -> FoldResult | None:
    """The result of a finished fold run in ``fold_dir`` made with ``config``; None if it has
    not finished; :class:`CheckpointError` if it was made with another config."""
    paths = RunPaths(Path(fold_dir))
    result = load_fold_result(paths.root)
    if result is None:
        return None
    saved = ckpt.load_checkpoint(paths.checkpoint, required=ckpt.TRAINING_STATE_KEYS)
    ckpt.check_config(paths.checkpoint, saved["config"], to_dict(config))
    return result


def run_folds(
    config: TrainConfig,
    manifest: str | Path | Sequence[Any],
    folds: str | Path | Any,
    out_dir: str | Path,
    device: str = "auto",
    *,
    fold_indices: Sequence[int] | None = None,
    resume: bool = False,
    cache: Any = None,
    command: str | None = None,
    extra_tests: Mapping[str, Sequence[Any]] | None = None,
) -> CVResult:
    """Train/test the given folds (default: all) and write the run report.

    ``affectvlm train --fold K`` is ``fold_indices=[K]``; ``affectvlm cv`` leaves it None.
    Under torchrun the process group is left up; call ``distributed.shutdown()`` at exit.
    ``extra_tests`` are further named test sets for every fold (see
    :func:`~affectvlm.train.engine.train_fold`).
    """
    from affectvlm.data import load_folds
    from affectvlm.text import PromptBank

    foldset = load_folds(folds) if isinstance(folds, (str, Path)) else folds
    indices = list(range(len(foldset.folds))) if fold_indices is None else list(fold_indices)
    results = []
    for k in indices:
        root = fold_dir(out_dir, k)
        done = finished_fold(root, config)
        if done is None:
            done = train_fold(
                config,
                manifest,
                foldset,
                k,
                root,
                device,
                resume=resume,
                cache=cache,
                extra_tests=extra_tests,
            )
        results.append(done)
    report: dict[str, Any] = {}
    if detect().is_main:
        bank = PromptBank.from_config(config.text)
        report = write_report(
            out_dir,
            [r.to_dict() for r in results],
            config=to_dict(config),
            prompt_bank=bank.to_dict(),
            prompt_fingerprint=bank.fingerprint(),
            folds_file=folds if isinstance(folds, (str, Path)) else None,
            folds_hash=foldset.content_hash,
            command=command,
        )
    return CVResult(results, report)

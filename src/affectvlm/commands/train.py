"""Training verbs: ``train`` (one fold) and ``cv`` (all folds), alone or under ``torchrun``."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from affectvlm.commands.common import (
    add_config_args,
    add_threads_arg,
    apply_threads,
    handles_errors,
)


def _run(args: argparse.Namespace, fold_indices: list[int] | None) -> int:
    from affectvlm.data import FoldsError
    from affectvlm.train import distributed
    from affectvlm.train.config import load_train_config
    from affectvlm.train.cv import run_folds

    config = load_train_config(args.config_default, args.config, args.set)
    apply_threads(args.threads)
    try:
        cv = run_folds(
            config,
            args.manifest,
            args.folds,
            args.out,
            device=args.device,
            fold_indices=fold_indices,
            resume=args.resume,
            command=shlex.join(["affectvlm", *sys.argv[1:]]),
        )
    except FoldsError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        distributed.shutdown()
    if cv.results:  # rank 0 only
        s = cv.summary
        print(
            f"accuracy {s['accuracy_mean']:.4f} ± {s['accuracy_std']:.4f}, "
            f"macro-F1 {s['macro_f1_mean']:.4f} ± {s['macro_f1_std']:.4f} "
            f"over {len(cv.folds)} fold(s); report: {Path(args.out) / 'report.md'}"
        )
    return 0


@handles_errors(ValueError, RuntimeError)
def _train(args: argparse.Namespace) -> int:
    return _run(args, [args.fold])


@handles_errors(ValueError, RuntimeError)
def _cv(args: argparse.Namespace) -> int:
    return _run(args, args.only)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--folds", type=Path, required=True, help="folds JSON from 'affectvlm folds'")
    p.add_argument(
        "--manifest",
        type=Path,
        nargs="+",
        required=True,
        help="manifest CSV(s); the render cache is found relative to the first one",
    )
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    add_threads_arg(p)
    add_config_args(p, "loss.use_mc=false", default="tiny")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train and test one fold (torchrun-ready)")
    p.add_argument("--fold", type=int, required=True)
    _common(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("cv", help="cross-validate: every fold, then mean ± std")
    p.add_argument("--only", type=int, nargs="+", default=None, help="run only these folds")
    _common(p)
    p.set_defaults(func=_cv)

"""``affectvlm experiment NAME``: run a study (variants × folds × seeds), resumably, and report.

Without ``--folds`` the study's synthetic data is made in ``OUT/data`` first (as the demo
does), so ``affectvlm experiment ablation`` works on a fresh machine, offline.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from affectvlm.commands.common import UserError, handles_errors

DEFAULT_OUT = Path("experiments_out")


def _command(args: argparse.Namespace) -> str:
    """The canonical command line of this invocation (for the report)."""
    parts = ["affectvlm", "experiment", args.name, "--out", str(args.out)]
    for flag, values in (("--data", args.data), ("--manifest", args.manifest)):
        for value in values:
            parts += [flag, str(value)]
    if args.folds:
        parts += ["--folds", str(args.folds)]
    for flag, values in (("--seeds", args.seeds), ("--folds-only", args.folds_only)):
        if values:
            parts += [flag, *map(str, values)]
    if args.report_dir:
        parts += ["--report-dir", str(args.report_dir)]
    if args.device != "auto":
        parts += ["--device", args.device]
    if not args.cv_check:
        parts.append("--no-cv-check")
    if args.cv_dir:
        parts += ["--cv-dir", str(args.cv_dir)]
    return shlex.join(parts)


@handles_errors(ValueError, RuntimeError)
def _experiment(args: argparse.Namespace) -> int:
    from affectvlm.experiments import (
        load_study,
        prepare_synthetic,
        run_study,
        study_names,
        user_data,
    )

    if args.list:
        for name in study_names():
            print(f"{name}: {' '.join(load_study(name).description.split())}")
        return 0
    if not args.name:
        raise UserError("name a study (or pass --list)")
    study = load_study(args.name)
    out: Path = args.out if args.out is not None else DEFAULT_OUT / study.name
    args.out = out
    if args.folds is None:
        if args.data or args.manifest:
            raise UserError("--data/--manifest need --folds (or omit all three for synthetic data)")
        print(f"preparing synthetic data for study {study.name!r} in {out / 'data'}", flush=True)
        data = prepare_synthetic(out / "data", study.data, progress=not args.quiet)
    else:
        data = user_data(args.manifest, args.data, args.folds, out)
    outcome = run_study(
        study,
        data,
        out,
        seeds=args.seeds or None,
        folds=args.folds_only or None,
        device=args.device,
        command=_command(args),
        report_dir=args.report_dir,
        progress=not args.quiet,
        render_workers=args.workers,
        cv_check=args.cv_check,
        cv_dir=args.cv_dir,
    )
    print(
        f"{len(outcome.units)} run(s): {len(outcome.trained)} trained now, "
        f"{len(outcome.skipped)} already finished, {len(outcome.failed)} failed "
        f"({outcome.seconds / 60:.1f} min)"
    )
    for name, reason in outcome.failed.items():
        print(f"run {name} FAILED: {reason}")
    print(f"report: {outcome.report}")
    return 1 if outcome.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "experiment", help="run a study (ablation, convergence, baselines, ...) and report"
    )
    p.add_argument("name", nargs="?", help="built-in study name or a study TOML file")
    p.add_argument("--list", action="store_true", help="list the built-in studies")
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        help="dataset root of each --manifest (default: the root its index report names)",
    )
    p.add_argument("--manifest", type=Path, action="append", default=[], help="manifest CSV(s)")
    p.add_argument("--folds", type=Path, default=None, help="fold file from 'affectvlm folds'")
    p.add_argument("--out", type=Path, default=None, help=f"default: {DEFAULT_OUT}/<study>")
    p.add_argument("--seeds", type=int, nargs="+", default=[], help="default: the study's")
    p.add_argument("--folds-only", type=int, nargs="+", default=[], help="default: all folds")
    p.add_argument("--report-dir", type=Path, default=None, help="default: OUT/report")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    p.add_argument("--workers", type=int, default=1, help="render processes")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--no-cv-check",
        dest="cv_check",
        action="store_false",
        help="skip cross-validating the recipe itself beside the reference variant",
    )
    p.add_argument(
        "--cv-dir",
        type=Path,
        default=None,
        help="where the recipe's cv run goes (default OUT/cv); studies of the same data and "
        "reference recipe can share one",
    )
    p.set_defaults(func=_experiment)

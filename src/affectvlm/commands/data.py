"""Data verbs: ``synth``, ``index``, ``folds``."""

from __future__ import annotations

import argparse
from pathlib import Path

from affectvlm.commands.common import (
    UserError,
    add_config_args,
    handles_errors,
    section_overrides,
)

DATASETS = ("bu3dfe", "bu4dfe", "bosphorus", "bp4d")


@handles_errors(ValueError)
def _synth(args: argparse.Namespace) -> int:
    from affectvlm import config
    from affectvlm.synth import SynthConfig, generate_dataset

    overrides = section_overrides(args.set, "synth")
    for name in ("dataset", "family", "subjects", "seed", "resolution", "frames", "workers"):
        value = getattr(args, name)
        if value is not None:
            overrides.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
    cfg = config.load(SynthConfig, files=args.config, overrides=overrides)  # TOML files
    report = generate_dataset(args.out, cfg, progress=not args.quiet)  # config kept in synth.json
    print(report.summary())
    return 0 if report.ok else 1


@handles_errors(ValueError)
def _index(args: argparse.Namespace) -> int:
    from affectvlm.io.index import format_summary, index_dataset, write_index

    if not Path(args.root).is_dir():
        raise UserError(f"{args.root}: dataset root is not a folder")
    result = index_dataset(
        args.root,
        args.dataset,
        validate=not args.no_validate,
        metadata=args.metadata,
        progress=not args.quiet,
        sequence_frames=args.sequence_frames,
    )
    manifest, report = write_index(args.out, result)
    print(format_summary(result))
    print(f"wrote {manifest} and {report}")
    return 0


@handles_errors(ValueError)
def _folds(args: argparse.Namespace) -> int:
    from affectvlm.data import build_folds, format_folds, save_folds

    foldset, records = build_folds(
        args.manifests, args.protocol, seed=args.seed, overrides=args.set
    )
    save_folds(args.out, foldset)
    print(format_folds(foldset, records))
    print(f"wrote {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="write a synthetic dataset in a real dataset's layout")
    p.add_argument("out", type=Path, help="output folder (the dataset root)")
    p.add_argument("--dataset", choices=DATASETS, default=None)
    p.add_argument(
        "--family", choices=("base", "rbf"), default=None, help="face family (default: base)"
    )
    p.add_argument("--subjects", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--resolution", type=int, default=None, help="grid rows (0 = default)")
    p.add_argument("--frames", type=int, default=None, help="frames per 4D sequence")
    p.add_argument("--workers", type=int, default=None, help="processes (0 = all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_args(p, "synth.seed=3")
    p.set_defaults(func=_synth)

    p = sub.add_parser("index", help="walk a dataset root and write a manifest CSV")
    p.add_argument("root", type=Path, help="dataset root as the licensor ships it")
    p.add_argument("--dataset", choices=DATASETS, required=True)
    p.add_argument("--out", type=Path, required=True, help="manifest CSV to write")
    p.add_argument(
        "--metadata", type=Path, default=None, help="subjects CSV (default: ROOT/subjects.csv)"
    )
    p.add_argument("--no-validate", action="store_true", help="do not read the scans")
    p.add_argument(
        "--sequence-frames",
        choices=("all", "ends"),
        default="all",
        help="frames of each 4D sequence to read when validating: all (default), or only the "
        "first and last (faster; a bad middle frame is then found by 'render')",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_index)

    p = sub.add_parser("folds", help="write subject-independent folds for a protocol")
    p.add_argument("manifests", nargs="+", type=Path, help="manifest CSV(s) from 'index'")
    p.add_argument(
        "--protocol",
        required=True,
        choices=("bu3dfe", "bosphorus", "bu4dfe", "bp4d-cross", "kfold"),
    )
    p.add_argument("--out", type=Path, required=True, help="folds JSON to write")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. protocol.folds=5"
    )
    p.set_defaults(func=_folds)

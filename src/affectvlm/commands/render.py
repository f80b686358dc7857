"""Rendering verbs: ``render`` (a whole dataset into the view cache) and ``views`` (one scan's
contact sheet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from affectvlm.commands.common import UserError, add_config_args, handles_errors
from affectvlm.commands.data import DATASETS


def parse_views(texts: list[str]) -> list[str]:
    """``name:yaw[:pitch]`` → ``render.views`` override (a TOML array of tables)."""
    tables = []
    for text in texts:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0]:
            raise UserError(f"--views expects name:yaw[:pitch] in degrees, got {text!r}")
        try:
            angles = [float(p) for p in parts[1:]]
        except ValueError as exc:
            raise UserError(f"--views {text!r}: yaw/pitch must be numbers") from exc
        pitch = angles[1] if len(angles) == 2 else 0.0
        tables.append(f'{{ name = "{parts[0]}", yaw = {angles[0]}, pitch = {pitch} }}')
    return [f"render.views=[{', '.join(tables)}]"] if tables else []


def _render_config(args: argparse.Namespace):
    from affectvlm.train.config import load_train_config

    overrides = [*args.set, *parse_views(args.views or [])]
    return load_train_config(args.config_default, args.config, overrides).render


@handles_errors(ValueError)
def _render(args: argparse.Namespace) -> int:
    from affectvlm.data import load_folds, takes_part
    from affectvlm.io.index import read_manifest
    from affectvlm.render.cache import render_dataset

    config = _render_config(args)
    records = [r for r in read_manifest(args.manifest) if r.is_sample]
    if args.dataset:
        records = [r for r in records if r.dataset == args.dataset]
    if args.folds:
        foldset = load_folds(args.folds)
        records = [
            r
            for r in records
            if takes_part(r, foldset.protocol) or takes_part(r, foldset.protocol, "test")
        ]
    if not records:
        raise UserError(f"{args.manifest}: no samples to render (check --dataset / --folds)")
    out = args.out or Path(args.manifest).resolve().parent / "cache"
    report = render_dataset(
        args.root, records, out, config, workers=args.workers, progress=not args.quiet
    )
    print(
        f"{report.total} samples: {report.rendered} rendered, {report.skipped} already cached, "
        f"{len(report.failed)} failed, {report.seconds:.1f} s → {report.folder}"
    )
    for sample_id, reason in report.failed.items():
        print(f"  failed {sample_id}: {reason}")
    return 1 if report.failed else 0


@handles_errors(ValueError)
def _views(args: argparse.Namespace) -> int:
    from affectvlm.io import ScanFormatError
    from affectvlm.render import render_contact_sheet

    config = _render_config(args)
    config.channels = ["texture", "shading", "depth", "normal"]
    if args.size:
        config.image_size = args.size
    try:
        out = render_contact_sheet(args.file, args.out, config, device=args.device)
    except ScanFormatError as exc:
        raise UserError(str(exc)) from exc
    print(out)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render every sample's views into the cache (resumable)")
    p.add_argument("root", type=Path, help="dataset root the manifest's paths are relative to")
    p.add_argument("--manifest", type=Path, required=True, help="manifest CSV from 'index'")
    p.add_argument("--dataset", choices=DATASETS, default=None, help="only this dataset's rows")
    p.add_argument("--folds", type=Path, default=None, help="only samples this protocol uses")
    p.add_argument(
        "--out", type=Path, default=None, help="cache folder (default: <manifest folder>/cache)"
    )
    p.add_argument("--views", nargs="+", metavar="NAME:YAW[:PITCH]", help="e.g. frontal:0 left:-20")
    p.add_argument("--workers", type=int, default=2, help="render processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_args(p, "render.image_size=112", default="tiny")
    p.set_defaults(func=_render)

    p = sub.add_parser("views", help="one scan's (or 4D folder's) views as a contact sheet PNG")
    p.add_argument("file", type=Path, help="scan file or 4D sequence folder")
    p.add_argument("--out", type=Path, default=Path("views.png"))
    p.add_argument("--views", nargs="+", metavar="NAME:YAW[:PITCH]")
    p.add_argument("--size", type=int, default=224, help="image size of each view")
    p.add_argument("--device", default="cpu", help="cpu | cuda[:i]")
    add_config_args(p, "render.projection=perspective", default="tiny")
    p.set_defaults(func=_views)

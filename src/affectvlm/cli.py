"""The ``affectvlm`` console script: one parser, one verb per job. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from affectvlm.commands import data, demo, experiment, render, serve, train


def _cmd_info(args: argparse.Namespace) -> int:
    from affectvlm.env_info import describe

    print(describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    from affectvlm import __version__

    parser = argparse.ArgumentParser(
        prog="affectvlm",
        description="Facial emotion recognition from 3D scans and 4D sequences.",
    )
    parser.add_argument("--version", action="version", version=f"affectvlm {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    p = sub.add_parser("info", help="versions, devices and optional parts installed")
    p.set_defaults(func=_cmd_info)
    for module in (data, render, train, serve, experiment, demo):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return int(args.func(args) or 0)

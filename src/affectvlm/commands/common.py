"""Pieces shared by the CLI verbs: config flags, error reporting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import wraps

from affectvlm.config import ConfigError


class UserError(Exception):
    """A problem the user can fix (bad path, bad option); printed without a traceback."""


def add_config_args(parser: argparse.ArgumentParser, example: str, default: str = "") -> None:
    """``--config`` (repeatable, applied in order) and ``--set key=value`` overrides.

    With a ``default`` preset, ``--config`` also takes the name of a shipped preset.
    """
    what = "preset name or TOML file" if default else "TOML file"
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="PRESET|FILE" if default else "FILE",
        help=f"{what}, applied in order{f' over {default!r}' if default else ''}",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override one setting, e.g. {example} (repeatable; value parsed as TOML)",
    )
    parser.set_defaults(config_default=default)


def add_threads_arg(parser: argparse.ArgumentParser, default: int = 0) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=default,
        help="torch CPU threads (0: torch's default); 1 avoids oversubscription on a busy CPU",
    )


def apply_threads(threads: int) -> None:
    """Set torch's intra-op CPU threads: a runtime choice, but CPU results agree across
    thread counts to float rounding only, not bit for bit (a resumed run warns when its
    count differs from the one it started with)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def section_overrides(overrides: list[str], section: str) -> list[str]:
    """Strip the ``section.`` prefix of ``--set`` overrides (a bare ``key=value`` is accepted)."""
    out = []
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        prefix = f"{section}."
        if key.startswith(prefix):
            out.append(text.strip()[len(prefix) :])
        elif "." in key:
            raise ConfigError(f"--set {text!r}: this command takes only '{section}.*' settings")
        else:
            out.append(text)
    return out


def handles_errors(*kinds: type[BaseException]) -> Callable:
    """Turn expected errors into one clear line on stderr and exit status 2."""

    def wrap(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @wraps(fn)
        def run(args: argparse.Namespace) -> int:
            try:
                return fn(args)
            except (UserError, ConfigError, FileNotFoundError, *kinds) as exc:
                print(f"affectvlm {args.verb}: error: {exc}", file=sys.stderr)
                return 2

        return run

    return wrap

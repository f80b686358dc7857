"""The run folder of one fold: file names, the log file, per-epoch history and progress bars.

Layout of ``<out_dir>``::

    train.log          text log (rank 0)
    history.jsonl      one JSON object per finished epoch
    checkpoint.pt      latest full training state (for --resume)
    model/             best model (save_pretrained) + render settings + prompt bank
    fold_result.json   written last: the fold is finished (cross-validation skips it)
    metrics.json, confusion.png, curves.png
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affectvlm.fileio import atomic_write_text
from affectvlm.train.result import fold_result_path

LOGGER_NAME = "affectvlm.train"


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @property
    def log(self) -> Path:
        return self.root / "train.log"

    @property
    def history(self) -> Path:
        return self.root / "history.jsonl"

    @property
    def checkpoint(self) -> Path:
        return self.root / "checkpoint.pt"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def result(self) -> Path:
        return fold_result_path(self.root)

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def confusion(self) -> Path:
        return self.root / "confusion.png"

    @property
    def curves(self) -> Path:
        return self.root / "curves.png"


def setup_logger(log_file: Path | None, main: bool) -> logging.Logger:
    """The training logger: a file handler on rank 0, console on rank 0 only, silent elsewhere."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    if not main:
        logger.addHandler(logging.NullHandler())
        return logger
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if not sys.stderr.isatty() else logging.INFO)
    console.setFormatter(fmt)
    logger.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(fmt)
        logger.addHandler(file_handler)
    return logger


def close_logger() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def write_history(path: Path, history: Iterable[dict[str, Any]]) -> None:
    """Rewrite the per-epoch log atomically (it is short: one line per epoch)."""
    atomic_write_text(path, "".join(json.dumps(h) + "\n" for h in history))


def progress_enabled(wanted: bool, main: bool) -> bool:
    """Progress bars only on rank 0, only when asked, and only on a terminal."""
    return wanted and main and sys.stderr.isatty()


def progress(iterable: Iterable, enabled: bool, **kwargs: Any) -> Iterable:
    if not enabled:
        return iterable
    from affectvlm.progress import progress_bar

    return progress_bar(iterable, leave=False, **kwargs)

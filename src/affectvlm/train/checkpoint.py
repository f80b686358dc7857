"""Training checkpoints: everything needed to continue a killed run bit for bit.

A checkpoint holds model, optimizer, scheduler and grad-scaler states, the RNG states of
python, numpy, torch and CUDA, the epoch, the best validation metric so far, the per-epoch
history and the resolved config as a plain dict. It is written atomically (temp file +
``os.replace``) and read with ``torch.load(weights_only=True)``, so every value is a tensor
or a plain python type — numpy's RNG state is stored as a tensor for that reason.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from affectvlm.errors import PathError
from affectvlm.fileio import atomic_write_bytes

IGNORED_ON_RESUME: tuple[str, ...] = ("data.workers", "progress")
"""Config keys that may change between a run and its resume (they cannot change results)."""


class CheckpointError(PathError, RuntimeError):
    """A checkpoint that cannot be used: unreadable, or made with a different config."""


def rng_state() -> dict[str, Any]:
    """The global RNG states as tensors and plain types (``weights_only``-loadable)."""
    _, mt, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": list(random.getstate()[1]),
        "python_version": random.getstate()[0],
        "python_gauss": random.getstate()[2],
        "numpy": torch.from_numpy(np.asarray(mt, dtype=np.int64)),
        "numpy_pos": int(pos),
        "numpy_has_gauss": int(has_gauss),
        "numpy_gauss": float(gauss),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore states saved by :func:`rng_state` (CUDA only when present on both sides)."""
    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    mt = state["numpy"].numpy().astype(np.uint32)
    np.random.set_state(
        ("MT19937", mt, state["numpy_pos"], state["numpy_has_gauss"], state["numpy_gauss"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """Serialise ``state`` with ``torch.save`` and move it into place atomically."""
    buf = io.BytesIO()
    torch.save(dict(state), buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``)."""
    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError(path, "no such checkpoint") from exc
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise CheckpointError(path, f"cannot load checkpoint ({exc})") from exc


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, tuple):
        data = list(data)
    return {prefix: data}


def config_differences(
    stored: Mapping[str, Any],
    current: Mapping[str, Any],
    ignore: Iterable[str] = IGNORED_ON_RESUME,
    defaults: Mapping[str, Any] | None = None,
) -> list[str]:
    """Dotted keys whose values differ between two config dicts (missing on one side counts).

    A key absent from ``stored`` whose current value equals its value in ``defaults`` is not a
    difference: it is a setting added to the code after the run was made, left at the default
    that reproduces the old behaviour.
    """
    a, b = _flatten(stored), _flatten(current)
    d = _flatten(defaults) if defaults is not None else {}
    skip = set(ignore)
    return sorted(
        k
        for k in set(a) | set(b)
        if k not in skip
        and a.get(k, "<missing>") != b.get(k, "<missing>")
        and not (k not in a and k in d and b.get(k) == d[k])
    )


def train_config_defaults() -> dict[str, Any]:
    """The default :class:`TrainConfig` as a dict (for :func:`config_differences`)."""
    from affectvlm.config import to_dict
    from affectvlm.train.config import TrainConfig

    return to_dict(TrainConfig())


def check_config(path: str | Path, stored: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """Raise :class:`CheckpointError` naming each differing key when configs disagree."""
    diffs = config_differences(stored, current, defaults=train_config_defaults())
    if diffs:
        a, b = _flatten(stored), _flatten(current)
        detail = "; ".join(
            f"{k}: {a.get(k, '<missing>')!r} -> {b.get(k, '<missing>')!r}" for k in diffs
        )
        raise CheckpointError(
            path, f"config differs from the one the checkpoint was made with ({detail})"
        )

"""Training checkpoints: everything needed to continue a killed run bit for bit.

A checkpoint holds model, optimizer, scheduler and grad-scaler states, the RNG states of
python, numpy, torch and CUDA, the epoch, the best validation metric so far, the per-epoch
history and the resolved config as a plain dict. It is written atomically (temp file +
``os.replace``) and read with ``torch.load(weights_only=True)``, so every value is a tensor
or a plain python type — numpy's RNG state is stored as a tensor for that reason. It carries
a format name and version, so a file that is empty, not a checkpoint, or from another
version is refused saying so in plain words.

Frozen parameters (e.g. the pretrained MiniLM text encoder, ~90 MB) are not stored: the model
rebuilt from the same config loads them again, and a digest of them in the checkpoint makes a
resume refuse frozen weights other than those the run trained with. The ``model/`` folder a
run saves keeps every weight (it is the portable model).
"""

from __future__ import annotations

import hashlib
import io
import pickle
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

FORMAT = "affectvlm-train-checkpoint"
FORMAT_VERSION = 2
"""2: frozen parameters left out of module states (their digest stored instead)."""
TRAINING_STATE_KEYS: tuple[str, ...] = (
    *("epoch", "best_metric", "best_epoch", "history", "stop"),
    *("step", "optimizer", "scheduler", "scaler", "rng", "config", "fold", "folds_hash"),
)
"""What the trainer's checkpoint holds (``train.engine`` writes and resumes from it)."""
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's file format is a zip archive


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
    """Serialise ``state`` (plus the format name and version) with ``torch.save`` and move
    it into place atomically."""
    buf = io.BytesIO()
    torch.save({**state, "format": FORMAT, "format_version": FORMAT_VERSION}, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(
    path: str | Path,
    map_location: str | torch.device = "cpu",
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``) holding
    the ``required`` keys; anything else raises :class:`CheckpointError` saying what it is."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            path, "is a folder, not a checkpoint file" if path.is_dir() else "no such checkpoint"
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise CheckpointError(path, "empty file (0 bytes), not a checkpoint")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" not in str(exc).lower():
            raise CheckpointError(path, _not_a_checkpoint(head)) from exc
        raise CheckpointError(
            path,
            "holds Python objects besides tensors and plain values, so it was not written "
            "by affectvlm's trainer; it is not loaded (unpickling it could run code)",
        ) from exc
    except Exception as exc:  # torch raises many types for files it cannot parse
        raise CheckpointError(path, _not_a_checkpoint(head)) from exc
    _check_state(path, state, required)
    return state


def _not_a_checkpoint(head: bytes) -> str:
    if head == _ZIP_MAGIC:
        return "truncated or damaged checkpoint (its archive cannot be read)"
    return "not a checkpoint file (not written by torch.save)"


def _check_state(path: Path, state: Any, required: Iterable[str]) -> None:
    if not isinstance(state, dict):
        raise CheckpointError(
            path, f"holds a {type(state).__name__}, not an affectvlm training state"
        )
    name, version = state.get("format", FORMAT), state.get("format_version", FORMAT_VERSION)
    if name != FORMAT:
        raise CheckpointError(path, f"is a {name!r} file, not an affectvlm training checkpoint")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"written by another affectvlm version (checkpoint format {version!r}; this "
            f"version reads format {FORMAT_VERSION})",
        )
    missing = [k for k in required if k not in state]
    if missing:
        raise CheckpointError(
            path,
            f"not a training checkpoint of this affectvlm version (no {', '.join(missing)})",
        )


def frozen_names(module: torch.nn.Module) -> list[str]:
    """State-dict names of the parameters of ``module`` that do not train."""
    params = module.named_parameters(remove_duplicate=False)
    return sorted(name for name, p in params if not p.requires_grad)


def module_state(module: torch.nn.Module) -> dict[str, Any]:
    """``module.state_dict()`` without its frozen parameters."""
    frozen = set(frozen_names(module))
    return {k: v for k, v in module.state_dict().items() if k not in frozen}


def frozen_digest(module: torch.nn.Module) -> str:
    """A digest of the names, dtypes, shapes and bytes of the frozen parameters of ``module``."""
    digest = hashlib.blake2b(digest_size=16)
    params = dict(module.named_parameters(remove_duplicate=False))
    for name in frozen_names(module):
        tensor = params[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _load_module_state(
    path: Path, module: torch.nn.Module, state: Mapping[str, Any], digest: Any
) -> None:
    """Load a :func:`module_state` (or a full state of format 1) into ``module``, whose frozen
    parameters must be those the digest was made of."""
    frozen = set(frozen_names(module))
    result = module.load_state_dict(state, strict=False)
    missing = set(result.missing_keys) - frozen
    if missing or result.unexpected_keys:
        module.load_state_dict(state)  # strict: raises torch's own message
    if set(result.missing_keys) and digest != frozen_digest(module):
        raise CheckpointError(
            path,
            "the frozen weights of this model differ from those the run trained with "
            "(another copy or version of the pretrained encoder?); it cannot be resumed",
        )


def restore_states(path: str | Path, saved: Mapping[str, Any], parts: Mapping[str, Any]) -> None:
    """Load ``saved[name]`` into each of ``parts`` (model step, optimizer, …) and restore the
    RNG states; states that do not fit (another code version) raise :class:`CheckpointError`.
    A module part's frozen parameters are checked against ``saved["frozen_digest"]``."""
    try:
        for name, part in parts.items():
            if isinstance(part, torch.nn.Module):
                _load_module_state(Path(path), part, saved[name], saved.get("frozen_digest"))
            else:
                part.load_state_dict(saved[name])
        set_rng_state(saved["rng"])
    except CheckpointError:
        raise
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise CheckpointError(
            path,
            "its states do not fit this model and optimizer (written by another affectvlm "
            f"version?): {first}",
        ) from exc


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

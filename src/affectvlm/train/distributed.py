"""Single-process or ``torchrun`` data-parallel training, detected from the environment.

``torchrun`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; the same command therefore
runs alone or distributed. Gloo is used on CPU and NCCL on CUDA. Only rank 0 logs, writes
and saves (:attr:`DistInfo.is_main`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler

from affectvlm.device import resolve_device  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def detect() -> DistInfo:
    """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (defaults: a single process)."""
    env = os.environ
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        local = int(env.get("LOCAL_RANK", str(rank)))
    except ValueError as exc:
        raise RuntimeError(f"bad torchrun environment: {exc}") from exc
    return DistInfo(rank=rank, world_size=world, local_rank=local)


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group when launched by torchrun (gloo on CPU, NCCL on CUDA)."""
    info = detect()
    if info.distributed and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)
    return info


def settle() -> None:
    """Collect dropped DDP wrappers and wait for every rank's outstanding work.

    A ``DistributedDataParallel`` reducer keeps a reference to the process group; if it is
    freed after ``destroy_process_group()`` (or at interpreter exit), gloo joins its worker
    threads while this thread holds the GIL and a worker waits for the GIL to free a work
    object: a deadlock, or ``std::terminate`` (SIGABRT). Drop the wrapper, then call this.
    """
    gc.collect()
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def shutdown() -> None:
    """Leave the process group deterministically: settle, then destroy it."""
    if dist.is_available() and dist.is_initialized():
        settle()
        dist.destroy_process_group()
        gc.collect()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """``obj`` from rank ``src`` on every rank (identity when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()):
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` in rank order (``[obj]`` when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()):
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def all_reduce_mean(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Mean of scalar logs over ranks (identity when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()) or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    t /= dist.get_world_size()
    return dict(zip(keys, t.tolist(), strict=True))


def wrap_ddp(module: nn.Module, device: torch.device, find_unused: bool) -> nn.Module:
    """Wrap in DistributedDataParallel when a process group is up; freeze towers BEFORE this."""
    if not (dist.is_available() and dist.is_initialized()):
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(
        module, device_ids=ids, find_unused_parameters=find_unused
    )


class EpochSampler(torch.utils.data.Sampler):
    """Shuffled, rank-sharded indices for one epoch, yielded as ``(index, epoch)`` keys.

    Wraps :class:`DistributedSampler` (with ``set_epoch``) so the order depends only on
    the seed and the epoch; carrying the epoch in each key lets the dataset seed its
    per-sample randomness from ``(seed, epoch, index)`` even in persistent workers.
    """

    def __init__(
        self,
        size: int,
        info: DistInfo,
        seed: int,
        shuffle: bool = True,
        drop_last: bool = False,
        weights: Sequence[float] | None = None,
    ) -> None:
        self.info, self.seed = info, seed
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        self.inner = DistributedSampler(
            range(size),
            num_replicas=info.world_size,
            rank=info.rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
        )
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.inner.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        if self.weights is None:
            for index in self.inner:
                yield (int(index), self.epoch)
            return
        # weighted draw with replacement, the same on every rank, then sharded
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        total = len(self.inner) * self.info.world_size
        order = torch.multinomial(self.weights, total, replacement=True, generator=g)
        for index in order[self.info.rank :: self.info.world_size].tolist():
            yield (index, self.epoch)

    def __len__(self) -> int:
        return len(self.inner)


def shard_indices(size: int, info: DistInfo) -> Sequence[int]:
    """Evaluation shard of this rank: ``rank, rank + world, …`` (no padding, no duplicates)."""
    return range(info.rank, size, info.world_size)

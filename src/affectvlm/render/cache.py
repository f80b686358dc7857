"""On-disk cache of rendered model inputs and the dataset render job that fills it.

Layout: ``cache_dir/<settings-hash>/`` holds ``config.json`` (the resolved RenderConfig and
renderer version that the hash covers), ``report.json`` (counts and every failure with its
reason) and ``samples/<sample_id>.npy``: one uint8 array ``(T, V, C, H, W)`` per sample —
T = 1 for a static scan or a dynamic image, T = K sampled frames otherwise; V views; C = 3
model-input channels. One ``.npy`` per sample loads with a single read (or ``mmap``), which
measured several times faster than one PNG per view (see bench/bench_render_dataset.py).

Entries are checked whenever they are used (header dtype and shape against the settings, file
size against the header, so a truncated or padded file is caught): the render job renders a
bad entry again (and lists it under ``replaced`` in the report); reading one raises
:class:`RenderCacheError`, as for a missing entry, saying to run the render job again. A scan
that renders blank is a failure in the report, never an entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import numpy as np

from affectvlm.config import to_dict
from affectvlm.fileio import atomic_write_bytes, atomic_write_json
from affectvlm.render.config import RenderConfig
from affectvlm.render.errors import RenderCacheError

RENDERER_VERSION = "1"
"""Bump when a change to the renderer alters its images, so old caches are not reused."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class IndexRecord(Protocol):
    """What the render job needs of an index record: a path relative to the dataset root
    (posix) and its frame count (1 for a static scan, > 1 for a sequence folder)."""

    path: Any
    frames: int


@dataclass(frozen=True)
class RenderItem:
    """One sample to render: a filesystem-safe id, an absolute path, and its kind."""

    sample_id: str
    path: Path
    is_sequence: bool


def sample_id_for(relative_path: str | PurePosixPath) -> str:
    """A filesystem-safe id from a dataset-relative path (``F0001/x.wrl`` → ``F0001__x.wrl``);
    a short hash is appended whenever characters had to be replaced, so ids stay unique."""
    text = str(PurePosixPath(str(relative_path).replace("\\", "/"))).strip("/")
    joined = text.replace("/", "__")
    safe = _UNSAFE.sub("_", joined)
    if safe != joined or not safe or safe.startswith("."):
        safe = f"{safe.lstrip('.') or 'sample'}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
    return safe


def to_render_items(root: str | Path, records: Iterable[IndexRecord]) -> Iterator[RenderItem]:
    """Render items for index records (anything with ``.path`` and ``.frames``)."""
    root = Path(root)
    for record in records:
        path = root / str(record.path)
        is_sequence = int(record.frames) > 1 or path.is_dir()
        yield RenderItem(sample_id_for(record.path), path, is_sequence)


def settings_hash(config: RenderConfig) -> str:
    """Hash of the resolved config and the renderer version (names the cache folder)."""
    payload = json.dumps({"config": to_dict(config), "renderer": RENDERER_VERSION}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


@dataclass
class RenderReport:
    """Outcome of one render job; ``failed`` maps sample id to the reason."""

    folder: str
    settings_hash: str
    total: int = 0
    rendered: int = 0
    skipped: int = 0  # already in the cache
    failed: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, str] = field(default_factory=dict)  # unusable entries rendered again
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RenderCache:
    """Read side of a cache folder for one RenderConfig."""

    def __init__(self, cache_dir: str | Path, config: RenderConfig) -> None:
        self.config = config
        self.hash = settings_hash(config)
        self.folder = Path(cache_dir) / self.hash
        self.samples = self.folder / "samples"

    def path(self, sample_id: str) -> Path:
        return self.samples / f"{sample_id}.npy"

    def has(self, sample_id: str) -> bool:
        """True when ``sample_id`` has a usable entry (see :meth:`fault`)."""
        return self.fault(sample_id) is None

    def fault(self, sample_id: str) -> str | None:
        """Why the entry of ``sample_id`` cannot be used (None: it can): missing, not a
        ``.npy``, a dtype or shape these settings do not make, or a size its header denies."""
        path = self.path(sample_id)
        if not path.is_file():
            return "not in the render cache"
        try:
            with open(path, "rb") as fh:
                shape, dtype = _npy_header(fh)
                size = os.fstat(fh.fileno()).st_size - fh.tell()
        except (OSError, ValueError, EOFError) as exc:
            return f"not a readable .npy array ({exc})"
        config = self.config
        frames = sorted({1, config.frames})
        views = (len(config.views), 3, config.image_size, config.image_size)
        if dtype != np.uint8 or len(shape) != 5 or shape[1:] != views or shape[0] not in frames:
            made = ", ".join(map(str, views))
            return f"holds {dtype} {shape}; these settings make uint8 (T, {made}), T in {frames}"
        expected = int(np.prod(shape)) * dtype.itemsize
        if size != expected:
            state = "truncated" if size < expected else "longer than its header says"
            return f"{state}: {size} data bytes, header says {expected}"
        return None

    def load(self, sample_id: str, mmap: bool = False) -> np.ndarray:
        """The cached uint8 array ``(T, V, C, H, W)`` of ``sample_id``, checked first; a
        missing or unusable entry raises :class:`RenderCacheError`."""
        path = self.path(sample_id)
        fault = self.fault(sample_id)
        if fault is not None:
            raise RenderCacheError(
                path, f"{fault}; run the render job ('affectvlm render') to render it again"
            )
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)

    def report(self) -> dict[str, Any]:
        """The last job's report (empty if no job finished writing one)."""
        path = self.folder / "report.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def write_config(self) -> None:
        payload = {"renderer": RENDERER_VERSION, "config": to_dict(self.config)}
        atomic_write_json(self.folder / "config.json", payload)


def render_item(item: RenderItem, config: RenderConfig, device: str = "cpu") -> np.ndarray:
    """Model input of one item as ``(T, V, 3, H, W)`` uint8."""
    from affectvlm.render.sequence import render_sequence
    from affectvlm.render.views import render_views

    if item.is_sequence:
        from affectvlm.io.sequence import read_sequence

        frames = render_sequence(read_sequence(item.path), config, device=device)
    else:
        from affectvlm.io import read_scan

        frames = [render_views(read_scan(item.path), config, device=device)]
    return np.stack([f.model_input(config.model_input) for f in frames])


def _npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the header of an open ``.npy`` file (left just past the header)."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise ValueError(f".npy format version {version} not supported")
    return tuple(shape), dtype


def _save_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    atomic_write_bytes(path, buffer.getvalue())


_WORKER: dict[str, Any] = {}


def _init_worker(config: RenderConfig, samples: Path, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _WORKER.update(config=config, samples=samples)


def _work(item: RenderItem) -> tuple[str, str | None]:
    """Render and store one item; failures come back as their reason, never raised."""
    try:
        array = render_item(item, _WORKER["config"])
        _save_npy(_WORKER["samples"] / f"{item.sample_id}.npy", array)
        return item.sample_id, None
    except Exception as exc:  # a batch job records every failure and goes on
        return item.sample_id, f"{type(exc).__name__}: {exc}"


def render_dataset(
    root: str | Path,
    items: Iterable[IndexRecord | RenderItem],
    cache_dir: str | Path,
    config: RenderConfig,
    workers: int = 1,
    progress: bool = True,
) -> RenderReport:
    """Render every item into ``cache_dir/<settings-hash>/``; resumable, failure-tolerant.

    Samples already cached are skipped; an entry that is unusable (truncated, wrong shape or
    dtype) is rendered again and listed in ``replaced``; a scan that cannot be read or
    renders blank is recorded in ``failed`` with its reason and the run goes on.
    ``workers`` > 1 renders in that many processes (one torch thread each). Results stream
    to disk, so memory stays flat.
    """
    cache = RenderCache(cache_dir, config)
    cache.samples.mkdir(parents=True, exist_ok=True)
    cache.write_config()
    all_items = [
        i if isinstance(i, RenderItem) else next(to_render_items(root, [i])) for i in items
    ]
    report = RenderReport(str(cache.folder), cache.hash, total=len(all_items))
    todo = []
    for item in all_items:
        fault = cache.fault(item.sample_id)
        if fault is None:
            continue
        if cache.path(item.sample_id).exists():
            report.replaced[item.sample_id] = fault
            cache.path(item.sample_id).unlink()  # never left to be trusted if rendering fails
        todo.append(item)
    report.skipped = len(all_items) - len(todo)
    start = time.perf_counter()
    bar = _progress_bar(len(todo), progress)
    try:
        for sample_id, error in _run(todo, config, cache.samples, workers):
            if error is None:
                report.rendered += 1
            else:
                report.failed[sample_id] = error
            bar.update(1)
    finally:
        bar.close()
        report.seconds = round(time.perf_counter() - start, 3)
        atomic_write_json(cache.folder / "report.json", report.to_dict())
    return report


def _run(todo: list[RenderItem], config: RenderConfig, samples: Path, workers: int):
    if workers <= 1 or len(todo) <= 1:
        _init_worker(config, samples, threads=_default_threads())
        yield from map(_work, todo)
        return
    context = mp.get_context("spawn")  # fork after torch has started threads can deadlock
    with context.Pool(workers, _init_worker, (config, samples, 1)) as pool:
        yield from pool.imap_unordered(_work, todo, chunksize=1)


def _default_threads() -> int:
    import torch

    return torch.get_num_threads()


def _progress_bar(total: int, enabled: bool):
    from affectvlm.progress import progress_bar

    return progress_bar(total=total, enabled=enabled, desc="render", unit="sample", smoothing=0.1)

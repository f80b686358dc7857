"""On-disk cache of rendered model inputs and the dataset render job that fills it.

Layout: ``cache_dir/<settings-hash>/`` holds ``config.json`` (the resolved RenderConfig and
renderer version that the hash covers), ``report.json`` (counts and every failure with its
reason) and ``samples/<sample_id>.npy``: one uint8 array ``(T, V, C, H, W)`` per sample —
T = 1 for a static scan or a dynamic image, T = K sampled frames otherwise; V views; C = 3
model-input channels. One ``.npy`` per sample loads with a single read (or ``mmap``), which
measured several times faster than one PNG per view (see bench/bench_render_dataset.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
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
        return self.path(sample_id).is_file()

    def load(self, sample_id: str, mmap: bool = False) -> np.ndarray:
        """The cached uint8 array ``(T, V, C, H, W)`` of ``sample_id``."""
        path = self.path(sample_id)
        if not path.is_file():
            raise KeyError(f"{sample_id}: not in render cache {self.folder}")
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

    Samples already cached are skipped; a scan that cannot be read or rendered is recorded
    in the report with its reason and the run goes on. ``workers`` > 1 renders in that many
    processes (one torch thread each). Results stream to disk, so memory stays flat.
    """
    cache = RenderCache(cache_dir, config)
    cache.samples.mkdir(parents=True, exist_ok=True)
    cache.write_config()
    all_items = [
        i if isinstance(i, RenderItem) else next(to_render_items(root, [i])) for i in items
    ]
    todo = [i for i in all_items if not cache.has(i.sample_id)]
    report = RenderReport(str(cache.folder), cache.hash, total=len(all_items))
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

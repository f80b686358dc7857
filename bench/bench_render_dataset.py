"""A BU-3DFE-size synthetic set (subjects × 25 scans × 3 views) from .wrl files to the render cache.

Generates the set with ``affectvlm.synth.generate_dataset`` (kept between runs in --data),
indexes it, renders it with ``render_dataset`` into a fresh cache and reports wall time,
samples/s and peak RSS (this process and its workers). Then it compares training-time reads
of the chosen layout (one uint8 ``.npy`` per sample, plain and mmap) with one PNG per view.

    .venv/bin/python bench/bench_render_dataset.py [--subjects 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image

from affectvlm.io.index import index_dataset
from affectvlm.render import RenderCache, RenderConfig, render_dataset
from affectvlm.synth import SynthConfig, generate_dataset


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def compare_layouts(cache: RenderCache, sample_ids: list[str], scratch: Path) -> None:
    """ms per sample to load (T, V, 3, H, W): .npy, .npy via mmap, and one PNG per view."""
    scratch.mkdir(parents=True, exist_ok=True)
    for sid in sample_ids:
        for v, view in enumerate(cache.load(sid)[0]):
            buf = io.BytesIO()
            Image.fromarray(view.transpose(1, 2, 0)).save(buf, format="PNG")
            (scratch / f"{sid}_{v}.png").write_bytes(buf.getvalue())

    def read_npy(sid: str) -> np.ndarray:
        return cache.load(sid)

    def read_mmap(sid: str) -> np.ndarray:
        return np.array(cache.load(sid, mmap=True))

    def read_png(sid: str) -> np.ndarray:
        views = [np.asarray(Image.open(scratch / f"{sid}_{v}.png")) for v in range(3)]
        return np.stack(views).transpose(0, 3, 1, 2)[None]

    for name, reader in (("npy", read_npy), ("npy mmap", read_mmap), ("png per view", read_png)):
        start = time.perf_counter()
        for sid in sample_ids:
            reader(sid)
        ms = (time.perf_counter() - start) * 1000 / len(sample_ids)
        print(f"  load {name:13s} {ms:6.2f} ms/sample")
    png_bytes = sum(p.stat().st_size for p in scratch.glob("*.png")) / len(sample_ids)
    npy_bytes = sum(cache.path(s).stat().st_size for s in sample_ids) / len(sample_ids)
    print(f"  size npy {npy_bytes / 1024:.0f} KiB/sample, png {png_bytes / 1024:.0f} KiB/sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("runs/bench-render-dataset/bu3dfe"))
    parser.add_argument("--cache", type=Path, default=Path("runs/bench-render-dataset/cache"))
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()

    marker = args.data / f".bench_subjects_{args.subjects}"
    if not marker.is_file():
        start = time.perf_counter()
        shutil.rmtree(args.data, ignore_errors=True)
        synth = SynthConfig(dataset="bu3dfe", subjects=args.subjects, workers=args.workers)
        generate_dataset(args.data, synth, progress=False)
        marker.write_text("done\n")
        print(f"generated {args.subjects} subjects in {time.perf_counter() - start:.0f} s")
    index = index_dataset(args.data, "bu3dfe", validate=False, progress=False)
    records = index.records
    print(f"{len(records)} scans indexed under {args.data}")

    shutil.rmtree(args.cache, ignore_errors=True)
    config = RenderConfig(image_size=args.size)
    start = time.perf_counter()
    report = render_dataset(args.data, records, args.cache, config, workers=args.workers)
    seconds = time.perf_counter() - start
    own, child = peak_rss_mib()
    n_views = len(config.views)
    print(
        f"rendered {report.rendered} samples × {n_views} views at {args.size}² in {seconds:.1f} s "
        f"({report.rendered / seconds:.2f} samples/s, {len(report.failed)} failed) "
        f"with {args.workers} workers; peak RSS main {own:.0f} MiB, worker {child:.0f} MiB"
    )
    cache = RenderCache(args.cache, config)
    ids = sorted(p.stem for p in cache.samples.glob("*.npy"))[:200]
    compare_layouts(cache, ids, args.cache.parent / "png_layout")


if __name__ == "__main__":
    main()

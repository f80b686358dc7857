"""Time the synthetic BU-3DFE demo set (20 subjects × 25 scans, default resolution).

Run: .venv/bin/python bench/bench_synth.py [--subjects 20] [--workers 1 2]
Writes into a temporary folder (deleted afterwards) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from affectvlm.synth import SynthConfig, generate_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dataset", default="bu3dfe")
    args = parser.parse_args(argv)
    print(f"CPU cores: {os.cpu_count()}")
    print("| dataset | subjects | workers | vertices/scan | files | MB | seconds | scans/s |")
    print("|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        folder = Path(tempfile.mkdtemp(prefix="bench_synth_"))
        try:
            config = SynthConfig(dataset=args.dataset, subjects=args.subjects, workers=workers)
            report = generate_dataset(folder, config, progress=False)
            if not report.ok:
                print(report.summary())
                return 1
            scans = len([p for p in folder.rglob("*") if p.suffix in (".wrl", ".bnt", ".obj")])
            print(
                f"| {args.dataset} | {args.subjects} | {workers} | {report.vertices_per_scan} "
                f"| {report.files} | {report.bytes / 1e6:.0f} | {report.seconds:.1f} "
                f"| {scans / report.seconds:.1f} |"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

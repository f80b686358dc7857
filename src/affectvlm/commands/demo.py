"""``affectvlm demo``: the whole chain on built-in synthetic data, offline, on a CPU.

synthesise a small BU-3DFE-style set → index → subject-independent folds → render the
views → cross-validate the ``demo`` preset → report with PNGs → fit the app's model on every
subject (``<out>/final/model``, what ``affectvlm app`` loads). Every stage is resumable, so
a second run (or a run after a crash) reuses what is finished.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from affectvlm.commands.common import (
    add_config_args,
    add_threads_arg,
    apply_threads,
    handles_errors,
)

DEFAULT_OUT = Path("demo_out")


def _stage(name: str) -> float:
    print(f"\n== {name}", flush=True)
    return time.perf_counter()


def _done(start: float) -> None:
    print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)


@handles_errors(ValueError, RuntimeError)
def _demo(args: argparse.Namespace) -> int:
    from affectvlm.app.settings import FINAL_RUN
    from affectvlm.data import build_folds, format_folds, save_folds, takes_part
    from affectvlm.io.index import format_summary, index_dataset, write_index
    from affectvlm.render.cache import render_dataset
    from affectvlm.synth import SynthConfig, generate_dataset
    from affectvlm.train.config import load_train_config
    from affectvlm.train.cv import fold_dir, run_folds
    from affectvlm.train.jobs import TrainJob, default_processes, run_jobs

    out: Path = args.out
    progress = not args.quiet
    config = load_train_config(args.config_default, args.config, args.set)
    apply_threads(args.threads)
    total = time.perf_counter()

    t = _stage(f"1/6 synthesise {args.subjects} BU-3DFE-style subjects → {out / 'data'}")
    synth = SynthConfig(
        dataset="bu3dfe", subjects=args.subjects, seed=args.seed, resolution=args.resolution
    )
    report = generate_dataset(out / "data", synth, progress=progress)
    print(report.summary())
    if not report.ok:
        return 1
    _done(t)

    t = _stage("2/6 index the dataset (every scan read and checked)")
    result = index_dataset(out / "data", "bu3dfe", validate=True, progress=progress)
    manifest, _ = write_index(out / "manifest.csv", result)
    print(format_summary(result))
    _done(t)

    t = _stage(f"3/6 subject-independent folds (protocol bu3dfe, {args.folds} folds)")
    overrides = [f"protocol.folds={args.folds}"]
    foldset, records = build_folds([manifest], "bu3dfe", seed=args.seed, overrides=overrides)
    folds_path = save_folds(out / "folds.json", foldset)
    print(format_folds(foldset, records))
    _done(t)

    t = _stage("4/6 render the views of every sample the protocol uses")
    used = [r for r in records if takes_part(r, foldset.protocol)]
    cache_dir = Path(config.data.cache_dir)
    if not cache_dir.is_absolute():
        cache_dir = out / cache_dir
    rendered = render_dataset(
        out / "data", used, cache_dir, config.render, workers=args.workers, progress=progress
    )
    print(
        f"{rendered.total} samples: {rendered.rendered} rendered, {rendered.skipped} cached, "
        f"{len(rendered.failed)} failed → {rendered.folder}"
    )
    for sample_id, reason in rendered.failed.items():
        print(f"   failed {sample_id}: {reason}")
    _done(t)

    subjects = len(foldset.subjects)
    jobs = [TrainJob(f"fold {k}", fold_dir(out / "run", k), k) for k in range(len(foldset.folds))]
    jobs.insert(0, TrainJob("app model", out / FINAL_RUN))  # the longest job first
    processes = args.jobs or default_processes(args.device, len(jobs))
    t = _stage(
        f"5/6 train the '{config.model.name}' model ({config.epochs} epochs): "
        f"{len(foldset.folds)} fold models and the app's model on all {subjects} subjects, "
        f"{processes} process{'es' if processes > 1 else ''}"
    )
    trained = run_jobs(
        jobs,
        config,
        manifest,
        folds_path,
        args.device,
        processes=processes,
        threads=args.threads,
        report=lambda line: print(line, flush=True),
    )
    _done(t)

    t = _stage("6/6 report the cross-validation")
    cv = run_folds(
        config,
        manifest,
        folds_path,
        out / "run",
        device=args.device,
        resume=True,
        command=shlex.join(["affectvlm", *sys.argv[1:]]),
    )
    _done(t)
    s = cv.summary
    chance = 1.0 / len(foldset.protocol.classes)
    print(
        f"\nfused accuracy {s['accuracy_mean']:.3f} ± {s['accuracy_std']:.3f}, "
        f"macro-F1 {s['macro_f1_mean']:.3f} ± {s['macro_f1_std']:.3f} "
        f"over {len(cv.folds)} folds (chance {chance:.3f})"
    )
    print(f"report: {out / 'run' / 'report.md'} (plots beside it)")
    final = trained["app model"]
    val = final.val_metrics.get("accuracy")
    chosen = f", validation accuracy {val:.3f}" if val is not None else ""
    print(f"app model (what `affectvlm app` loads): {final.model_dir}")
    print(f"   epoch {final.best_epoch} of {final.epochs_run} kept{chosen}")
    print(f"total {time.perf_counter() - total:.0f} s")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the whole chain end to end on synthetic data (CPU, offline)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    # 40 subjects in 2 folds: the app's model (stage 5) trains on all 40; the more subjects it
    # sees the more of the app's own faces it reads (27: 93.3 %, 36: 97.5 %, 45: 98.8 % of 480;
    # docs/benchmarks.md#demo), and 40 keep the demo under 10 minutes on 2 CPU cores.
    p.add_argument("--subjects", type=int, default=40)
    p.add_argument("--folds", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resolution", type=int, default=96, help="grid rows of the synthetic faces")
    p.add_argument("--workers", type=int, default=2, help="render processes")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="training processes (0: one per CPU core on CPU, one on a GPU)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    # One thread: the tiny demo model gains little from intra-op threads, and on a 2-core machine
    # with anything else running, 2 OpenMP threads trained 1.5x slower (38.7 s vs 25.3 s, 5 epochs).
    add_threads_arg(p, default=1)
    add_config_args(p, "epochs=4", default="demo")
    p.set_defaults(func=_demo)

"""Independent training jobs (cross-validation folds, the final fit) spread over processes.

The folds of a cross-validation and the final fit share nothing while they train, so on a
CPU with ``n`` cores ``n`` one-thread processes finish them about ``n`` times sooner than one
process. Each job is the same resumable call as on its own (:func:`train_fold` /
:func:`fit_final` with ``resume=True``): a finished job is reused, an interrupted one
continues from its checkpoint. Results do not depend on the process count.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affectvlm.device import resolve_device
from affectvlm.train.config import TrainConfig
from affectvlm.train.cv import finished_fold
from affectvlm.train.engine import train_fold
from affectvlm.train.final import fit_final
from affectvlm.train.result import FoldResult

HEARTBEAT_S = 30.0
"""Seconds between progress lines while jobs run in other processes."""


@dataclass(frozen=True)
class TrainJob:
    """One fold of ``folds`` (``fold`` set) or the final fit (``fold`` None) into ``out_dir``."""

    name: str
    out_dir: Path
    fold: int | None = None


def job_epochs(job: TrainJob) -> int:
    """Epochs the job has finished so far (lines of its history file)."""
    history = job.out_dir / "history.jsonl"
    try:
        with history.open("rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def run_job(
    job: TrainJob,
    config: TrainConfig,
    manifest: str | Path,
    folds: str | Path,
    device: str,
    threads: int = 0,
) -> FoldResult:
    """Run (or reuse) one job in this process."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    if job.fold is None:
        return fit_final(config, manifest, folds, job.out_dir, device, resume=True)
    done = finished_fold(job.out_dir, config)
    if done is not None:
        return done
    return train_fold(config, manifest, folds, job.fold, job.out_dir, device, resume=True)


def run_jobs(
    jobs: Sequence[TrainJob],
    config: TrainConfig,
    manifest: str | Path,
    folds: str | Path,
    device: str = "cpu",
    *,
    processes: int = 1,
    threads: int = 1,
    report: Callable[[str], None] | None = None,
) -> dict[str, FoldResult]:
    """Run ``jobs`` on up to ``processes`` processes (1: in this one, in order); results by
    job name. ``report`` gets a line when a job ends and, every :data:`HEARTBEAT_S`, the
    epochs each running job has done. A failed job raises once the others have stopped."""
    say = report or (lambda _line: None)
    if processes <= 1 or len(jobs) <= 1:
        results = {}
        for job in jobs:
            results[job.name] = run_job(job, config, manifest, folds, device)
            say(_ended(job, results[job.name]))
        return results
    quiet = dataclasses.replace(config, progress=False)  # bars of several processes garble
    context = multiprocessing.get_context("spawn")  # no fork of a process with torch threads
    results: dict[str, FoldResult] = {}
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(min(processes, len(jobs)), mp_context=context) as pool:
        pending = {
            pool.submit(run_job, job, quiet, manifest, folds, device, threads): job for job in jobs
        }
        while pending:
            done, _ = cf.wait(pending, timeout=HEARTBEAT_S, return_when=cf.FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                results[job.name] = future.result()
                say(_ended(job, results[job.name]))
            if pending and not done:
                elapsed = time.perf_counter() - start
                say(f"   {elapsed:.0f} s: {progress_line(pending, config.epochs)}")
    return {job.name: results[job.name] for job in jobs}


def progress_line(pending: dict[cf.Future, TrainJob], epochs: int) -> str:
    """Epochs done per started job; jobs with no finished epoch yet count as queued."""
    done = {job.name: job_epochs(job) for job in pending.values()}
    line = ", ".join(f"{name} epoch {n}/{epochs}" for name, n in done.items() if n)
    queued = sum(1 for n in done.values() if not n)
    return line + (f"{'; ' if line else ''}{queued} queued" if queued else "")


def _ended(job: TrainJob, result: FoldResult) -> str:
    acc = result.test_metrics.get("accuracy")
    measured = f"test accuracy {acc:.3f}" if acc is not None else "no test part"
    return f"   {job.name}: epoch {result.best_epoch} of {result.epochs_run} kept, {measured}"


def default_processes(device: Any, jobs: int) -> int:
    """One process per CPU core (at most one per job) on CPU; one on an accelerator."""
    if resolve_device(device).type != "cpu":
        return 1
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None  # Linux
    cores = len(usable) if usable else os.cpu_count() or 1
    return max(1, min(cores, jobs))

"""The parallel driver: plan subjects, write them in worker processes, resume finished runs.

``<root>/synth.json`` records the generating config and the subjects already complete; a
re-run with the same config skips those, and a different config is refused (use a new folder).
A setting missing from an older state file counts as its default (``family = "base"``).
``<root>/subjects.csv`` holds the demographic truth (subject, sex, ethnicity, age).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from affectvlm.fileio import atomic_write_json, atomic_write_text
from affectvlm.progress import progress_bar
from affectvlm.synth.config import SynthConfig
from affectvlm.synth.datasets import (
    SubjectPlan,
    SubjectResult,
    plan_subjects,
    subject_identity,
    write_subject,
)

STATE_FILE = "synth.json"
SUBJECTS_FILE = "subjects.csv"
_RUNTIME_FIELDS = ("workers",)  # settings that do not change a single output byte
_ADDED_FIELDS = ("family",)  # settings newer than some state files (absent = the default)


class SynthError(RuntimeError):
    """An output folder that holds a different synthetic set (or is unusable)."""


@dataclass
class SynthReport:
    """What a :func:`generate_dataset` run did."""

    root: Path
    dataset: str
    family: str
    subjects: list[str]
    written: list[str] = field(default_factory=list)
    skipped_complete: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (subject, error)
    files: int = 0
    bytes: int = 0
    vertices: dict[str, int] = field(default_factory=dict)  # per scan, by subject written
    seconds: float = 0.0

    @property
    def vertices_per_scan(self) -> int:
        """Mean vertex count of one scan (or 4D frame) over the subjects written."""
        return round(sum(self.vertices.values()) / len(self.vertices)) if self.vertices else 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        mb = self.bytes / 1e6
        lines = [
            f"{self.dataset} ({self.family} faces): {len(self.subjects)} subjects at {self.root}",
            f"written {len(self.written)}, already complete {len(self.skipped_complete)}, "
            f"failed {len(self.failed)}",
            f"{self.files} files, {mb:.1f} MB, {self.vertices_per_scan} vertices per scan, "
            f"{self.seconds:.1f} s",
        ]
        lines += [f"FAILED {subject}: {error}" for subject, error in self.failed]
        return "\n".join(lines)


def _content_config(config: SynthConfig) -> dict:
    data = dataclasses.asdict(config)
    for key in _RUNTIME_FIELDS:
        data.pop(key)
    return data


def _load_completed(root: Path, config: SynthConfig) -> set[str]:
    path = root / STATE_FILE
    if not path.is_file():
        return set()
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        stored, completed = state["config"], state["completed"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SynthError(f"{path}: unreadable generator state ({exc})") from exc
    wanted = _content_config(config)
    defaults = _content_config(SynthConfig())
    stored = {**{k: defaults[k] for k in _ADDED_FIELDS if k not in stored}, **stored}
    if stored != wanted:
        changed = sorted(k for k in stored.keys() | wanted.keys() if stored.get(k) != wanted.get(k))
        raise SynthError(
            f"{path}: {root} holds a synthetic set made with other settings "
            f"({', '.join(changed)}); write to a new folder"
        )
    return set(completed)


def _save_state(root: Path, config: SynthConfig, completed: set[str]) -> None:
    atomic_write_json(
        root / STATE_FILE, {"config": _content_config(config), "completed": sorted(completed)}
    )


def _write_subjects_csv(root: Path, plans: list[SubjectPlan], config: SynthConfig) -> None:
    rows = ["subject,sex,ethnicity,age"]
    for plan in plans:
        idt = subject_identity(plan, config)
        rows.append(f"{idt.subject},{idt.sex},{idt.ethnicity},{idt.age}")
    atomic_write_text(root / SUBJECTS_FILE, "\n".join(rows) + "\n")


def _run_subject(root: str, plan: SubjectPlan, config: SynthConfig) -> SubjectResult:
    return write_subject(Path(root), plan, config)


def generate_dataset(out: str | Path, config: SynthConfig, progress: bool = True) -> SynthReport:
    """Write a synthetic ``config.dataset`` tree under ``out``; returns what was done.

    Subjects run in ``config.workers`` processes, each seeded by its own index, so the bytes
    do not depend on the worker count. A failing subject is recorded and the rest continue.
    """
    start = time.perf_counter()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    plans = plan_subjects(config)
    completed = _load_completed(root, config)
    report = SynthReport(root, config.dataset, config.family, [p.subject for p in plans])
    report.skipped_complete = [p.subject for p in plans if p.subject in completed]
    todo = [p for p in plans if p.subject not in completed]
    _write_subjects_csv(root, plans, config)
    _save_state(root, config, completed)
    workers = min(config.workers or os.cpu_count() or 1, max(len(todo), 1))
    bar = progress_bar(
        total=len(plans),
        initial=len(plans) - len(todo),
        desc=f"synth {config.dataset} ({config.family})",
        unit="subject",
        enabled=progress,
    )

    def finish(plan: SubjectPlan, result: SubjectResult | None, error: str | None) -> None:
        if result is not None:
            report.written.append(plan.subject)
            report.files += result.files
            report.bytes += result.bytes
            report.vertices[plan.subject] = result.vertices
            completed.add(plan.subject)
            _save_state(root, config, completed)
        else:
            report.failed.append((plan.subject, error or "unknown error"))
        bar.update(1)

    with bar:
        if workers <= 1:
            for plan in todo:
                try:
                    finish(plan, _run_subject(str(root), plan, config), None)
                except (OSError, ValueError) as exc:
                    finish(plan, None, f"{type(exc).__name__}: {exc}")
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                pending = {pool.submit(_run_subject, str(root), p, config): p for p in todo}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        plan = pending.pop(future)
                        exc = future.exception()
                        if exc is None:
                            finish(plan, future.result(), None)
                        else:
                            finish(plan, None, f"{type(exc).__name__}: {exc}")
    report.written.sort(key=[p.subject for p in plans].index)
    report.seconds = time.perf_counter() - start
    return report

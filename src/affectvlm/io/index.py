"""The ``index`` job: walk a dataset root into labelled records, check them, write a manifest.

Validation policy: a static scan is read in full with :func:`affectvlm.io.read_scan`. A 4D
sequence is opened with :func:`affectvlm.io.sequence.read_sequence` (which checks every frame
name, gaps and images) and then every frame is read in full (``sequence_frames="all"``); for
speed, ``sequence_frames="ends"`` reads only the first and last frame (a bad middle frame is
then found only by ``render``), and the summary and report say which was done. A sample that
fails is skipped with the reader's reason, naming the bad frame of a sequence; the walk never
stops half-way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from affectvlm import EMOTIONS, __version__
from affectvlm.fileio import atomic_write_json
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.layouts import (
    METADATA_FILE,
    ManifestError,
    SampleRecord,
    get_layout,
    read_manifest,
    write_manifest,
)
from affectvlm.io.layouts.manifest import read_csv_rows
from affectvlm.progress import progress_bar

Validator = Callable[[Path, SampleRecord], None]
"""``validator(absolute_path, record)`` raises ScanFormatError when the sample is unusable."""

SHOWN_SKIPS = 20

SequenceFrames = Literal["all", "ends"]
"""Which frames of a 4D sequence validation reads: every one, or the first and last."""
FRAMES_CHECKED = {"all": "every frame read", "ends": "only the first and last frame read"}

__all__ = [
    "IndexResult",
    "ManifestError",
    "format_summary",
    "index_dataset",
    "read_manifest",
    "read_metadata",
    "report_path",
    "validate_sample",
    "write_index",
    "write_manifest",
]


@dataclass
class IndexResult:
    """What :func:`index_dataset` found. Paths are relative to ``root`` (posix)."""

    root: Path
    dataset: str
    validated: bool
    records: list[SampleRecord]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    companions: dict[str, int] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metadata: str = ""  # the metadata CSV merged, if any
    sequence_frames: SequenceFrames | None = None  # what the default validator read of 4D

    @property
    def samples(self) -> list[SampleRecord]:
        """Basic-emotion and neutral records (what the protocols draw from)."""
        return [r for r in self.records if r.is_sample]

    @property
    def non_sample_counts(self) -> dict[str, int]:
        """Indexed files that are not emotion samples, by category (au, pose, task-other…)."""
        return dict(sorted(Counter(r.category for r in self.records if not r.is_sample).items()))

    def summary(self) -> dict[str, Any]:
        samples = self.samples
        per_emotion = Counter(r.emotion for r in samples)
        subjects = {r.subject: r.sex for r in self.records}
        return {
            "dataset": self.dataset,
            "validated": self.validated,
            "records": len(self.records),
            "samples": len(samples),
            "per_emotion": {e: per_emotion[e] for e in EMOTIONS if per_emotion[e]},
            "subjects": len(subjects),
            "subjects_by_sex": dict(sorted(Counter(s or "?" for s in subjects.values()).items())),
            "frames": sum(r.frames for r in self.records),
            "non_samples": self.non_sample_counts,
            "companions": dict(sorted(self.companions.items())),
            "skipped": len(self.skipped),
            "ignored": len(self.ignored),
            "with_notes": sum(1 for r in self.records if r.notes),
            "warnings": len(self.warnings),
            "sequence_frames": FRAMES_CHECKED.get(self.sequence_frames or "", ""),
        }


def validate_sample(
    path: Path, record: SampleRecord, *, sequence_frames: SequenceFrames = "all"
) -> None:
    """Read a sample with the real readers (see the module docstring for the 4D policy); a
    bad frame of a sequence raises naming that frame."""
    if not record.is_sequence:
        from affectvlm.io import read_scan

        read_scan(path)
        return
    from affectvlm.io.sequence import read_sequence

    sequence = read_sequence(path)
    if len(sequence) != record.frames:
        raise ScanFormatError(path, f"reader sees {len(sequence)} frames, index {record.frames}")
    _check_frames_option(sequence_frames)
    last = len(sequence) - 1
    for i in range(len(sequence)) if sequence_frames == "all" else sorted({0, last}):
        name = _frame_name(sequence, i)
        try:
            sequence.frame(i)
        except ScanFormatError as exc:
            where = "" if exc.path is None or exc.path.name == name else f"{exc.path.name}: "
            raise ScanFormatError(path, f"frame {name}: {where}{exc.reason}") from exc
        except Exception as exc:  # a reader bug: reported by the walk, naming the frame
            reason = f"frame {name}: unexpected {type(exc).__name__} in reader: {exc}"
            raise ScanFormatError(path, reason) from exc


def _check_frames_option(sequence_frames: str) -> None:
    if sequence_frames not in FRAMES_CHECKED:
        raise ValueError(f"sequence_frames must be one of {list(FRAMES_CHECKED)}")


def _frame_name(sequence: Any, index: int) -> str:
    item = sequence.frames[index]
    return Path(item).name if isinstance(item, (str, Path)) else str(index)


def index_dataset(
    root: str | Path,
    dataset: str,
    *,
    validate: bool = True,
    metadata: str | Path | None = None,
    progress: bool = True,
    validator: Validator | None = None,
    sequence_frames: SequenceFrames = "all",
) -> IndexResult:
    """Walk ``root`` with the ``dataset`` layout into records, skipped entries and a summary.

    ``metadata`` is a CSV (subject, sex, ethnicity, age, …) merged by subject; by default
    ``<root>/subjects.csv`` is used when present. With ``validate`` every sample is read by
    ``validator`` (default :func:`validate_sample`, reading ``sequence_frames`` of each 4D
    sequence) and a failing one is skipped.
    """
    root = Path(root)
    layout = get_layout(dataset)
    checked = None
    if validate and validator is None:
        validator = _default_validator(layout.sequences, sequence_frames)
        checked = sequence_frames if layout.sequences else None
    walked = layout.walk(root)
    result = IndexResult(
        root=root.resolve(),
        dataset=dataset,
        validated=validate,
        records=walked.records,
        skipped=walked.skipped,
        companions=dict(walked.companions),
        ignored=walked.ignored,
        warnings=walked.warnings,
        sequence_frames=checked,
    )
    if metadata is None and (root / METADATA_FILE).is_file():
        metadata = root / METADATA_FILE
    if metadata is not None:
        result.metadata = str(metadata)
        result.warnings += merge_metadata(result.records, read_metadata(metadata))
    if validate and validator is not None:
        result.records = _validated(root, result.records, validator, result.skipped, progress)
    result.records.sort(key=lambda r: r.path)
    return result


def _default_validator(sequences: bool, sequence_frames: SequenceFrames) -> Validator:
    """:func:`validate_sample`, after checking up front that the readers it needs exist."""
    _check_frames_option(sequence_frames)
    if sequences:
        try:
            import affectvlm.io.sequence  # noqa: F401
        except ImportError as exc:
            raise RuntimeError(
                f"validating 4D sequences needs affectvlm.io.sequence ({exc}); "
                "index with validate=False (--no-validate) instead"
            ) from exc
    return lambda path, record: validate_sample(path, record, sequence_frames=sequence_frames)


def _validated(
    root: Path,
    records: list[SampleRecord],
    check: Validator,
    skipped: list[tuple[str, str]],
    progress: bool,
) -> list[SampleRecord]:
    kept = []
    for record in progress_bar(records, enabled=progress, desc="validate", unit="sample"):
        try:
            check(root / record.path, record)
        except ScanFormatError as exc:
            skipped.append((record.path, exc.reason))
        except Exception as exc:  # a reader bug must not stop the walk; it is reported
            skipped.append((record.path, f"unexpected {type(exc).__name__} in reader: {exc}"))
        else:
            kept.append(record)
    return kept


def read_metadata(path: str | Path) -> dict[str, dict[str, str]]:
    """Per-subject metadata rows keyed by subject; sex is normalised to F/M/''."""
    rows = read_csv_rows(path, ["subject"])
    table: dict[str, dict[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        subject = (row.get("subject") or "").strip()
        if not subject:
            raise ManifestError(path, f"line {line}: empty subject")
        if subject in table:
            raise ManifestError(path, f"line {line}: subject {subject} listed twice")
        sex = (row.get("sex") or "").strip().upper()
        sex = {"FEMALE": "F", "MALE": "M"}.get(sex, sex)
        if sex not in ("", "F", "M"):
            raise ManifestError(path, f"line {line}: sex {row.get('sex')!r} is not F or M")
        table[subject] = {
            "sex": sex,
            "ethnicity": (row.get("ethnicity") or "").strip(),
            "age": (row.get("age") or "").strip(),
        }
    return table


def merge_metadata(records: list[SampleRecord], table: dict[str, dict[str, str]]) -> list[str]:
    """Fill sex/ethnicity/age from ``table``; labels from file names win, conflicts are warned."""
    warnings: set[str] = set()
    missing: set[str] = set()
    for record in records:
        meta = table.get(record.subject)
        if meta is None:
            missing.add(record.subject)
            continue
        for key in ("sex", "ethnicity", "age"):
            have, given = getattr(record, key), meta[key]
            if not have:
                setattr(record, key, given)
            elif given and given != have:
                warnings.add(f"subject {record.subject}: metadata {key} {given!r}, name {have!r}")
    if missing:
        some = ", ".join(sorted(missing)[:5]) + (" …" if len(missing) > 5 else "")
        warnings.add(f"{len(missing)} subject(s) have no metadata row: {some}")
    return sorted(warnings)


def report_path(manifest: str | Path) -> Path:
    """The JSON report written beside a manifest: ``<manifest>.report.json``."""
    manifest = Path(manifest)
    return manifest.with_name(manifest.name + ".report.json")


def write_index(manifest: str | Path, result: IndexResult) -> tuple[Path, Path]:
    """Write the manifest CSV and its JSON report (root, summary, skipped, ignored, warnings)."""
    manifest_path = write_manifest(manifest, result.records)
    report = {
        "affectvlm_version": __version__,
        "manifest": manifest_path.name,
        "root": str(result.root),
        "metadata": result.metadata,
        "summary": result.summary(),
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "ignored": [{"path": p, "why": w} for p, w in result.ignored],
        "warnings": result.warnings,
    }
    return manifest_path, atomic_write_json(report_path(manifest_path), report)


def manifest_root(manifest: str | Path) -> Path | None:
    """The dataset root recorded in a manifest's report, if the report exists."""
    import json

    path = report_path(manifest)
    if not path.is_file():
        return None
    try:
        return Path(json.loads(path.read_text(encoding="utf-8"))["root"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(path, f"report without a readable 'root': {exc}") from None


def format_summary(result: IndexResult, max_skipped: int = SHOWN_SKIPS) -> str:
    """Human-readable summary: samples per emotion, subjects, non-samples, skipped with reasons."""
    s = result.summary()
    lines = [
        f"{result.dataset} at {result.root}: {s['samples']} samples, {s['records']} records, "
        f"{s['subjects']} subjects ({_counts(s['subjects_by_sex']) or 'none'})"
        + ("" if result.validated else " [not validated]"),
        "  per emotion: " + (_counts(s["per_emotion"]) or "none"),
    ]
    if s["non_samples"]:
        lines.append("  non-sample files by class: " + _counts(s["non_samples"]))
    if s["companions"]:
        lines.append("  companion files: " + _counts(s["companions"]))
    if s["with_notes"]:
        lines.append(f"  records with notes (incomplete sets, gaps): {s['with_notes']}")
    if result.ignored:
        lines.append(f"  ignored: {len(result.ignored)} ({_ignored_text(result.ignored)})")
    if s["sequence_frames"]:
        lines.append(f"  4D sequences validated: {s['sequence_frames']}")
    lines += [f"  warning: {w}" for w in result.warnings]
    lines.append(f"  skipped: {len(result.skipped)}")
    lines += [f"    {p}: {r}" for p, r in result.skipped[:max_skipped]]
    if len(result.skipped) > max_skipped:
        lines.append(f"    … and {len(result.skipped) - max_skipped} more (see the report JSON)")
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _ignored_text(ignored: Sequence[tuple[str, str]]) -> str:
    return _counts(dict(Counter(why for _, why in ignored)))

"""The sample record: one indexed scan or 4D sequence with its labels, as one manifest row."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

DATASETS: tuple[str, ...] = ("bu3dfe", "bu4dfe", "bosphorus", "bp4d")
"""Dataset names the layouts know, in the order they are listed to users."""

CATEGORIES: tuple[str, ...] = (
    "emotion",
    "neutral",
    "au",
    "pose",
    "occlusion",
    "ignored",
    "task-other",
)
"""Record categories: the two sample classes, then the non-sample classes (kept, own code)."""

SAMPLE_CATEGORIES: tuple[str, ...] = ("emotion", "neutral")


@dataclass
class SampleRecord:
    """One scan file (static) or sequence folder (4D) found under a dataset root.

    ``path`` is relative to the root, in posix form. ``emotion`` is a canonical name from
    :data:`affectvlm.EMOTIONS`, or ``""`` for a file that is not a basic-emotion or neutral
    sample (its ``category`` and ``expression`` then say what it is). ``frames`` is 1 for a
    static scan; for a sequence it is the number of frames, numbered ``first_frame`` to
    ``last_frame`` (gaps are listed in ``notes``).
    """

    path: str
    dataset: str
    subject: str
    emotion: str
    expression: str
    category: str
    sex: str = ""
    ethnicity: str = ""
    age: str = ""
    intensity: int | None = None
    task: str = ""
    frames: int = 1
    repetition: int | None = None
    first_frame: int | None = None
    last_frame: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_sample(self) -> bool:
        """True for a basic-emotion or neutral sample (what classifiers train on)."""
        return self.category in SAMPLE_CATEGORIES

    @property
    def is_sequence(self) -> bool:
        return self.first_frame is not None

    @property
    def subject_key(self) -> str:
        """``dataset/subject``: unique across datasets (BU-4DFE and BP4D both have ``F001``)."""
        return f"{self.dataset}/{self.subject}"


REQUIRED_COLUMNS: tuple[str, ...] = (
    "path",
    "dataset",
    "subject",
    "sex",
    "ethnicity",
    "age",
    "emotion",
    "intensity",
    "task",
    "frames",
)
"""Columns every manifest has; the others are optional when reading."""

MANIFEST_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + tuple(
    f.name for f in dataclasses.fields(SampleRecord) if f.name not in REQUIRED_COLUMNS
)
"""Manifest CSV columns, in order: the required ones first, then the extra ones."""

_OPTIONAL_INT = ("intensity", "repetition", "first_frame", "last_frame")
NOTE_SEPARATOR = "; "


def record_to_row(record: SampleRecord) -> dict[str, str]:
    """The record as CSV cells (``None`` → empty cell, notes joined with ``; ``)."""
    row: dict[str, str] = {}
    for name in MANIFEST_COLUMNS:
        value: Any = getattr(record, name)
        if name == "notes":
            row[name] = NOTE_SEPARATOR.join(value)
        else:
            row[name] = "" if value is None else str(value)
    return row


def record_from_row(row: dict[str, str]) -> SampleRecord:
    """Inverse of :func:`record_to_row`; raises ``ValueError`` naming the bad column."""
    kwargs: dict[str, Any] = {}
    for name in MANIFEST_COLUMNS:
        cell = (row.get(name) or "").strip()
        if name in _OPTIONAL_INT:
            kwargs[name] = _int(cell, name) if cell else None
        elif name == "frames":
            kwargs[name] = _int(cell, name) if cell else 1
        elif name == "notes":
            kwargs[name] = cell.split(NOTE_SEPARATOR) if cell else []
        else:
            kwargs[name] = cell
    record = SampleRecord(**kwargs)
    check_record(record)
    return record


def check_record(record: SampleRecord) -> None:
    """Reject a record whose labels break the manifest's invariants."""
    from affectvlm import EMOTIONS

    if not record.path:
        raise ValueError("empty 'path'")
    if record.dataset not in DATASETS:
        raise ValueError(f"dataset {record.dataset!r} is not one of {', '.join(DATASETS)}")
    if not record.subject:
        raise ValueError("empty 'subject'")
    if record.emotion and record.emotion not in EMOTIONS:
        raise ValueError(f"emotion {record.emotion!r} is not one of {', '.join(EMOTIONS)}")
    if record.category not in CATEGORIES:
        raise ValueError(f"category {record.category!r} is not one of {', '.join(CATEGORIES)}")
    if record.is_sample != bool(record.emotion):
        raise ValueError(f"category {record.category!r} does not fit emotion {record.emotion!r}")
    if record.sex not in ("", "F", "M"):
        raise ValueError(f"sex {record.sex!r} is not F, M or empty")
    if record.frames < 1:
        raise ValueError(f"frames must be >= 1, got {record.frames}")


def _int(cell: str, name: str) -> int:
    text = cell.strip()
    if not (text.isascii() and text.lstrip("+-").isdigit()):  # int() also takes "١٢" or "1_0"
        raise ValueError(f"column {name!r}: {cell!r} is not an integer")
    return int(text)

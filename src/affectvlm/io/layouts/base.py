"""What every dataset layout shares: the walk result and the listing helpers.

A layout walks a dataset root and sorts every entry into exactly one bin: a sample record,
a companion file of a sample (texture, landmarks), an ignored entry (metadata, viewer
folders, hidden files) or a skipped entry with the reason its name breaks the grammar.
Nothing is guessed and nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectvlm.io.layouts.record import SampleRecord

METADATA_FILE = "subjects.csv"
"""Per-subject metadata (subject, sex, ethnicity, age) a root may hold; merged by the index."""

GENERATOR_STATE_FILE = "synth.json"
"""Written by ``affectvlm synth`` beside a synthetic set (its resolved config and progress)."""


class GrammarError(ValueError):
    """A name that does not match a dataset's grammar; the message is the reason."""


@dataclass
class WalkResult:
    """Everything a layout found under a root, with paths relative to it (posix)."""

    records: list[SampleRecord] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    companions: Counter[str] = field(default_factory=Counter)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((path, reason))

    def ignore(self, path: str, why: str) -> None:
        self.ignored.append((path, why))


def rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def list_dir(folder: Path) -> list[Path]:
    """Entries of ``folder`` sorted by name (the walk order is reproducible)."""
    return sorted(folder.iterdir(), key=lambda p: p.name)


def subject_folders(
    root: Path,
    out: WalkResult,
    pattern: re.Pattern[str],
    expected: str,
    aux_folders: dict[str, str] | None = None,
) -> list[Path]:
    """The root's subject folders; everything else at the top level is ignored or skipped."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset root is not a folder")
    aux_folders = aux_folders or {}
    folders = []
    for entry in list_dir(root):
        name = entry.name
        if name.startswith("."):
            out.ignore(name, "hidden entry")
        elif entry.is_file() and name == METADATA_FILE:
            out.ignore(name, "subject metadata")
        elif entry.is_file() and name == GENERATOR_STATE_FILE:
            out.ignore(name, "synthetic generator state")
        elif entry.is_dir() and name in aux_folders:
            out.ignore(name + "/", aux_folders[name])
        elif entry.is_dir() and pattern.fullmatch(name):
            folders.append(entry)
        elif entry.is_dir():
            out.skip(name + "/", f"folder name {name!r} is not a subject id ({expected})")
        else:
            out.skip(name, "file outside the subject folders")
    return folders


def sex_from_id(subject: str) -> str:
    """``F``/``M`` from ids that start with the letter (BU-3DFE, BU-4DFE, BP4D)."""
    return subject[0] if subject[:1] in ("F", "M") else ""


def frame_ranges(numbers: list[int]) -> str:
    """Compact ``1-3, 7`` text for sorted frame numbers."""
    parts = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def group_scan_files(
    root: Path,
    folder: Path,
    out: WalkResult,
    parse: Callable[[str], Any],
    part_of: Callable[[Any], str],
) -> dict[str, dict[str, tuple[Path, Any]]]:
    """The files of a flat subject folder grouped by scan: ``{scan_id: {part: (path, name)}}``.

    ``parse`` turns a file name into a parsed name (with ``subject`` and ``scan_id``) or raises
    :class:`GrammarError`; ``part_of`` names the file's role in its scan (suffix, kind). Files
    that do not parse, or that belong to another subject, are skipped with the reason.
    """
    scans: dict[str, dict[str, tuple[Path, Any]]] = {}
    for entry in list_dir(folder):
        path = rel(entry, root)
        if entry.name.startswith("."):
            out.ignore(path, "hidden entry")
        elif entry.is_dir():
            out.skip(path + "/", "unexpected folder inside a subject folder")
        else:
            try:
                parsed = parse(entry.name)
            except GrammarError as exc:
                out.skip(path, str(exc))
                continue
            if parsed.subject != folder.name:
                out.skip(path, f"file of subject {parsed.subject} in folder {folder.name}")
                continue
            scans.setdefault(parsed.scan_id, {})[part_of(parsed)] = (entry, parsed)
    return scans

"""The frame folder of a 4D sequence (BU-4DFE, BP4D): numbered meshes with their images."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from affectvlm.io.layouts.base import GrammarError, WalkResult, frame_ranges, list_dir, rel
from affectvlm.io.layouts.record import SampleRecord


@dataclass(frozen=True)
class FrameGrammar:
    """How the files of one frame are named: ``<number>.<mesh>`` plus companions."""

    mesh_suffix: str  # e.g. ".wrl"
    number: re.Pattern[str]  # the stem of a frame file, e.g. r"[0-9]{3}" (ASCII digits only)
    number_text: str  # the stem pattern in words, for reasons
    image_suffix: str = ".jpg"
    other_suffixes: tuple[str, ...] = ()  # further per-frame companions, e.g. (".mtl",)


@dataclass
class FrameFolder:
    numbers: list[int]
    notes: list[str] = field(default_factory=list)


def read_frame_folder(
    folder: Path, root: Path, grammar: FrameGrammar, out: WalkResult
) -> FrameFolder:
    """List a sequence folder; raises GrammarError when it cannot be a sequence.

    Files that are not part of any frame are skipped (recorded in ``out``) without
    condemning the sequence; a mis-named or duplicated mesh frame does condemn it, since a
    reader could not order its frames.
    """
    meshes: dict[int, str] = {}
    images: set[int] = set()
    companion_suffixes = (grammar.image_suffix, *grammar.other_suffixes)
    for entry in list_dir(folder):
        name = entry.name
        if name.startswith("."):
            out.ignore(rel(entry, root), "hidden entry")
            continue
        if entry.is_dir():
            out.skip(rel(entry, root) + "/", "unexpected folder inside a sequence folder")
            continue
        stem, suffix = entry.stem, entry.suffix
        numbered = grammar.number.fullmatch(stem) is not None
        if suffix == grammar.mesh_suffix:
            if not numbered:
                raise GrammarError(
                    f"frame file {name!r} is not named {grammar.number_text}{grammar.mesh_suffix}"
                )
            number = int(stem)
            if number in meshes:
                raise GrammarError(f"frames {meshes[number]!r} and {name!r} have the same number")
            meshes[number] = name
        elif suffix in companion_suffixes and numbered:
            out.companions[suffix] += 1
            if suffix == grammar.image_suffix:
                images.add(int(stem))
        else:
            expected = f"{grammar.number_text}{grammar.mesh_suffix}"
            out.skip(rel(entry, root), f"not a frame file (expected {expected} and companions)")
    if not meshes:
        raise GrammarError(f"no {grammar.mesh_suffix} frames in the sequence folder")
    numbers = sorted(meshes)
    notes = []
    gaps = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if gaps:
        notes.append(f"frame gaps: {frame_ranges(gaps)}")
    no_image = sorted(set(numbers) - images)
    if no_image:
        notes.append(f"no {grammar.image_suffix} for frames {frame_ranges(no_image)}")
    orphans = sorted(images - set(numbers))
    if orphans:
        notes.append(f"{grammar.image_suffix} without a mesh for frames {frame_ranges(orphans)}")
    return FrameFolder(numbers, notes)


def walk_sequence_tree(
    root: Path,
    out: WalkResult,
    subjects: list[Path],
    condition_text: str,
    parse_condition: Callable[[str], object],
    grammar: FrameGrammar,
    make_record: Callable[[str, str, object, FrameFolder], SampleRecord],
) -> None:
    """``<subject>/<condition>/<frames>``: one record per condition folder that holds frames.

    ``parse_condition`` raises GrammarError for a folder name outside the dataset's set;
    ``make_record(path, subject, parsed, frames)`` builds the record.
    """
    for folder in subjects:
        for entry in list_dir(folder):
            path = rel(entry, root)
            if entry.name.startswith("."):
                out.ignore(path, "hidden entry")
                continue
            if not entry.is_dir():
                out.skip(path, f"file directly in a subject folder (expected {condition_text})")
                continue
            try:
                parsed = parse_condition(entry.name)
                frames = read_frame_folder(entry, root, grammar, out)
            except GrammarError as exc:
                out.skip(path + "/", str(exc))
                continue
            record = make_record(path, folder.name, parsed, frames)
            record.frames = len(frames.numbers)
            record.first_frame, record.last_frame = frames.numbers[0], frames.numbers[-1]
            record.notes = frames.notes
            out.records.append(record)

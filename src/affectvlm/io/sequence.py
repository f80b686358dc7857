"""4D sequences on disk: one folder of numbered frames (FORMATS §2.2, §2.4, §4).

BU-4DFE holds ``<FFF>.wrl`` + ``<FFF>.jpg``, BP4D ``<frame>.obj`` + ``<frame>.jpg`` (frame
numbers not always zero-padded). Frames are ordered by integer value, gaps are noted but
never renumbered, and a frame without its own ``.jpg`` is reported (its reader never falls
back to another frame's image). Frames are read lazily through the reader registry.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.geometry import GeometryLimits
from affectvlm.io.registry import read_scan
from affectvlm.io.scan import ScanSequence

FRAME_SUFFIXES = (".wrl", ".obj", ".ply")


def _ranges(numbers: list[int]) -> str:
    """``[3, 7, 8, 9]`` → ``"3, 7-9"``."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def read_sequence(
    folder: str | Path,
    fps: float = 25.0,
    *,
    load_texture: bool = True,
    limits: GeometryLimits | None = None,
) -> ScanSequence:
    """The frames of one recording folder, sorted by frame number, read on access.

    Each frame goes through :func:`read_scan` when it is read, geometry checks included.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ScanFormatError(folder, "sequence folder does not exist")
    files = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file()
    )
    if not files:
        raise ScanFormatError(folder, f"no frame files ({', '.join(FRAME_SUFFIXES)})")
    kinds = sorted({p.suffix.lower() for p in files})
    if len(kinds) > 1:
        raise ScanFormatError(folder, f"frames mix formats ({', '.join(kinds)})")
    bad = [p.name for p in files if not (p.stem.isascii() and p.stem.isdigit())]
    if bad:
        raise ScanFormatError(folder, f"non-numeric frame names: {', '.join(bad[:5])}")
    by_number: dict[int, Path] = {}
    for p in files:
        n = int(p.stem)
        if n in by_number:
            raise ScanFormatError(
                folder, f"frame {n} appears twice ({by_number[n].name}, {p.name})"
            )
        by_number[n] = p
    numbers = sorted(by_number)
    notes = []
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        notes.append(f"frame numbers skip {_ranges(missing)} (not renumbered)")
    names = {p.name.lower() for p in folder.iterdir()}
    no_image = [n for n in numbers if f"{by_number[n].stem}.jpg".lower() not in names]
    if no_image:
        notes.append(
            f"no .jpg for frame(s) {_ranges(no_image)}; never paired with another frame's image"
        )
    return ScanSequence(
        frames=[by_number[n] for n in numbers],
        fps=fps,
        frame_numbers=numbers,
        path=folder,
        loader=partial(read_scan, load_texture=load_texture, limits=limits),
        notes=notes,
    )

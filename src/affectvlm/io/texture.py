"""Texture images for the mesh readers: locating the file a scan names, and decoding it.

A scan may name only files inside its own folder: absolute paths, ``..``, URLs and links whose
target leaves the folder are refused from the name and the links alone, never from whether an
outside file exists, so no note or error can tell an uploader what the server holds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from affectvlm.io.errors import ScanFormatError

MAX_TEXTURE_PIXELS = 50_000_000
"""Largest texture decoded (≈ 8k × 6k, 150 MB as RGB); face textures are far smaller."""

OUTSIDE_NOTE = "ignored (only files inside the scan's folder are read)"
"""The one note for every refused reference, whether or not the file it names exists."""


def load_texture_image(path: str | Path, max_pixels: int = MAX_TEXTURE_PIXELS) -> np.ndarray:
    """Decode an image file into ``(H, W, 3) uint8`` RGB (row 0 at the top).

    Every decoder fault, and a header claiming more than ``max_pixels``, is a ScanFormatError.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        # decoded from memory: Pillow's PNG reader asks its file for a chunk's declared length
        # in one read, and a real file object allocates that much first (4 GB for a flipped byte)
        with Image.open(io.BytesIO(path.read_bytes())) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise ScanFormatError(
                    path, f"texture image is {width}×{height} px, over the {max_pixels} px limit"
                )
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except ScanFormatError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScanFormatError(path, f"texture image too large to decode: {exc}") from exc
    except UnidentifiedImageError as exc:  # its text would show the in-memory buffer
        raise ScanFormatError(path, "cannot decode texture image: unknown image format") from exc
    except MemoryError:
        raise
    except Exception as exc:  # decoders raise many types on corrupt data (OSError, SyntaxError …)
        raise ScanFormatError(path, f"cannot decode texture image: {exc}") from exc


def outside_folder(folder: Path, name: str) -> bool:
    """Whether ``name`` (as written in a scan) points outside ``folder``.

    True for URLs, absolute or drive paths, any ``..`` part, and a path whose links (followed
    without touching their targets) lead out of the folder.
    """
    name = name.strip().replace("\\", "/")
    if "://" in name:
        return True
    pure = PurePosixPath(name)
    if pure.is_absolute() or PureWindowsPath(name).drive or ".." in pure.parts:
        return True
    return not _within(folder, folder / pure)


def _within(folder: Path, path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte, a name too long
        return False


def find_file(folder: Path, name: str) -> tuple[Path | None, bool]:
    """``folder/name`` if it exists, else a unique case-insensitive match (``exact`` False).

    Binghamton files were written on Windows, so a url's case may differ from the file's.
    A name outside ``folder`` (see :func:`outside_folder`) is never looked up: ``(None, True)``.
    """
    name = name.strip().replace("\\", "/")
    if not name or outside_folder(folder, name):
        return None, True
    try:
        return _lookup(folder, folder / name)
    except (OSError, ValueError):  # e.g. a name too long for the file system
        return None, True


def _lookup(folder: Path, candidate: Path) -> tuple[Path | None, bool]:
    if candidate.is_file():
        return candidate, True
    parent = candidate.parent
    if not _within(folder, parent) or not parent.is_dir():
        return None, True
    lower = candidate.name.lower()
    matches = [
        p
        for p in parent.iterdir()
        if p.name.lower() == lower and _within(folder, p) and p.is_file()
    ]
    if len(matches) == 1:
        return matches[0], False
    return None, True


def resolve_texture(
    folder: Path, named: Sequence[str], siblings: Sequence[str], what: str
) -> tuple[Path | None, str]:
    """Find the texture a scan names, else a sibling file; return it with a note saying which.

    ``named`` are the file names written in the scan (``what`` says where, e.g. "ImageTexture
    url"); ``siblings`` are fallbacks such as ``<stem>.jpg``, tried only when no named file
    exists. Names outside ``folder`` are ignored, as if unwritten, and the note says so.
    """
    refused = [n for n in named if outside_folder(folder, n)]
    named = [n for n in named if n not in refused]
    path, text = _resolve_note(folder, named, siblings, what)
    if refused:
        listed = ", ".join(repr(n) for n in refused)
        text = f"{what} {listed} {OUTSIDE_NOTE}; {text}"
    return path, text


def _resolve_note(
    folder: Path, named: Sequence[str], siblings: Sequence[str], what: str
) -> tuple[Path | None, str]:
    for name in named:
        path, exact = find_file(folder, name)
        if path is not None:
            how = "" if exact else f" (matched as {path.name!r}, case differs)"
            return path, f"texture from {what} {name!r}{how}"
    for name in siblings:
        path, _ = find_file(folder, name)
        if path is not None:
            if named:
                listed = ", ".join(repr(n) for n in named)
                return path, f"{what} {listed} not found; texture from sibling {path.name!r}"
            return path, f"no {what}; texture from sibling {path.name!r}"
    tried = [*named, *siblings]
    return None, "no texture file found (tried " + ", ".join(repr(n) for n in tried) + ")"

"""Texture images for the mesh readers: locating the file a scan names, and decoding it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError


def load_texture_image(path: str | Path) -> np.ndarray:
    """Decode an image file into ``(H, W, 3) uint8`` RGB (row 0 at the top)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise ScanFormatError(path, f"cannot decode texture image: {exc}") from exc


def find_file(folder: Path, name: str) -> tuple[Path | None, bool]:
    """``folder/name`` if it exists, else a unique case-insensitive match (``exact`` False).

    Binghamton files were written on Windows, so a url's case may differ from the file's.
    """
    name = name.strip().replace("\\", "/")
    if not name or "://" in name:
        return None, True
    candidate = folder / name
    if candidate.is_file():
        return candidate, True
    parent = candidate.parent
    if not parent.is_dir():
        return None, True
    lower = candidate.name.lower()
    matches = [p for p in parent.iterdir() if p.name.lower() == lower and p.is_file()]
    if len(matches) == 1:
        return matches[0], False
    return None, True


def resolve_texture(
    folder: Path, named: Sequence[str], siblings: Sequence[str], what: str
) -> tuple[Path | None, str]:
    """Find the texture a scan names, else a sibling file; return it with a note saying which.

    ``named`` are the file names written in the scan (``what`` says where, e.g. "ImageTexture
    url"); ``siblings`` are fallbacks such as ``<stem>.jpg``, tried only when no named file
    exists.
    """
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

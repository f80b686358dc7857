"""The dataset layouts by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from affectvlm.io.layouts import bosphorus, bp4d, bu3dfe, bu4dfe
from affectvlm.io.layouts.base import WalkResult


@dataclass(frozen=True)
class Layout:
    """A dataset's on-disk layout: ``walk(root)`` sorts every entry under the root."""

    name: str
    walk: Callable[[Path], WalkResult]
    sequences: bool  # records are 4D sequence folders, not scan files
    example: str


LAYOUTS: dict[str, Layout] = {
    "bu3dfe": Layout("bu3dfe", bu3dfe.walk, False, "F0001/F0001_AN01WH_F3D.wrl"),
    "bu4dfe": Layout("bu4dfe", bu4dfe.walk, True, "F001/Angry/000.wrl"),
    "bosphorus": Layout("bosphorus", bosphorus.walk, False, "bs000/bs000_E_HAPPY_0.bnt"),
    "bp4d": Layout("bp4d", bp4d.walk, True, "F001/T1/0000.obj"),
}


def get_layout(name: str) -> Layout:
    """The layout called ``name``; a ValueError lists the known ones."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r} (known: {', '.join(LAYOUTS)})") from None

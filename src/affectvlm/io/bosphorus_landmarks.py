"""Bosphorus ``.lm3`` (3D) and ``.lm2`` (2D) landmark files (FORMATS §3.3, §3.4).

The number of landmarks varies per scan (invisible points are omitted), so both readers
return ``{label: coordinates}`` in file order; index by label, never by position.
"""

from __future__ import annotations

import codecs
import math
import re
from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError

_COUNT = re.compile(r"^([0-9]+)\s+landmarks:?$", re.IGNORECASE)


def read_lm3(path: str | Path) -> dict[str, np.ndarray]:
    """``label → (3,) float64`` from a ``.lm3`` file (same frame as the ``.bnt`` vertices)."""
    path = Path(path)
    count, lines = _body(path, "3D")
    if len(lines) != 2 * count:
        raise ScanFormatError(
            path,
            f"count line says {count} landmarks but {len(lines)} lines follow "
            f"(expected {2 * count}: a label and a coordinate line each)",
        )
    return _pairs(path, lines[0::2], lines[1::2], 3)


def read_lm2(path: str | Path) -> dict[str, np.ndarray]:
    """``label → (2,) float64`` pixel coordinates (x right, y down) from a ``.lm2`` file."""
    path = Path(path)
    count, lines = _body(path, "2D")
    if not lines or lines[0].rstrip(":").strip().lower() != "labels":
        raise ScanFormatError(path, "missing 'Labels:' line after the count line")
    coords_at = 1 + count
    if len(lines) <= coords_at or not lines[coords_at].lower().startswith("2d image coord"):
        raise ScanFormatError(
            path,
            f"count line says {count} landmarks but no '2D Image coordinates:' line follows "
            f"{count} labels",
        )
    coords = lines[coords_at + 1 :]
    if len(coords) != count:
        raise ScanFormatError(
            path, f"count line says {count} landmarks but {len(coords)} coordinate lines follow"
        )
    return _pairs(path, lines[1:coords_at], coords, 2)


def _body(path: Path, kind: str) -> tuple[int, list[str]]:
    """Check the header, skip an optional ``*`` free-text block; return (count, other lines)."""
    try:
        text = path.read_bytes().removeprefix(codecs.BOM_UTF8).decode("latin-1")
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read landmarks: {exc.strerror or exc}") from exc
    raw = text.splitlines()
    if not raw or not (raw[0].startswith("#") and f"{kind.lower()} landmark" in raw[0].lower()):
        raise ScanFormatError(path, f"missing header '# {kind} Landmark File'")
    rest = raw[1:]
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None and rest[first].strip() == "*":
        end = next((i for i in range(first + 1, len(rest)) if not rest[i].strip()), len(rest))
        rest = rest[end:]
    lines = [line.strip() for line in rest if line.strip()]
    match = _COUNT.match(lines[0]) if lines else None
    if match is None:
        raise ScanFormatError(path, "missing count line '<N> landmarks:'")
    return int(match.group(1)), lines[1:]


def _pairs(path: Path, labels: list[str], coords: list[str], width: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for label, line in zip(labels, coords, strict=True):
        fields = line.split()
        try:
            values = [float(f) for f in fields]
        except ValueError:
            values = []
        if len(values) != width:
            raise ScanFormatError(
                path, f"landmark {label!r}: coordinate line {line!r} is not {width} numbers"
            )
        if not all(math.isfinite(v) for v in values):
            raise ScanFormatError(path, f"landmark {label!r} has a NaN or infinite coordinate")
        if label in out:
            raise ScanFormatError(path, f"duplicate landmark label {label!r}")
        out[label] = np.asarray(values, dtype=np.float64)
    return out

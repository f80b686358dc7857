"""The manifest: one CSV row per :class:`SampleRecord`, written atomically."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from affectvlm.errors import PathError
from affectvlm.fileio import atomic_write_text
from affectvlm.io.layouts.record import (
    MANIFEST_COLUMNS,
    REQUIRED_COLUMNS,
    SampleRecord,
    record_from_row,
    record_to_row,
)


class ManifestError(PathError, ValueError):
    """A manifest or metadata CSV that cannot be used; names the file and the fault."""


def write_manifest(path: str | Path, records: Iterable[SampleRecord]) -> Path:
    """Write ``records`` as CSV with the :data:`MANIFEST_COLUMNS` header (temp file + rename)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(MANIFEST_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record_to_row(record))
    return atomic_write_text(path, buffer.getvalue())


def read_csv_rows(path: str | Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Rows of a CSV with a header holding ``required``; ManifestError otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ManifestError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if not header:
        raise ManifestError(path, "empty file (no header row)")
    missing = [c for c in required if c not in header]
    if missing:
        raise ManifestError(path, f"header lacks column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        if None in row:
            raise ManifestError(path, f"line {reader.line_num}: more cells than header columns")
        rows.append(row)
    return rows


def read_manifest(path: str | Path) -> list[SampleRecord]:
    """Records of a manifest; a bad header or cell raises ManifestError with the line."""
    rows = read_csv_rows(path, REQUIRED_COLUMNS)
    records = []
    for line, row in enumerate(rows, start=2):
        try:
            records.append(record_from_row(row))
        except ValueError as exc:
            raise ManifestError(path, f"line {line}: {exc}") from None
    return records

"""Errors raised by the readers and dataset layouts."""

from __future__ import annotations

from affectvlm.errors import PathError


class ScanFormatError(PathError, ValueError):
    """A scan, landmark or sequence file that cannot be read; names the file and the fault."""

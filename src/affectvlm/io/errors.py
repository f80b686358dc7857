"""Errors raised by the readers and dataset layouts."""

from __future__ import annotations

from pathlib import Path


class ScanFormatError(ValueError):
    """A scan, landmark or sequence file that cannot be read; names the file and the fault."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep picklable for worker processes
        return (type(self), (self.path, self.reason))

"""The shape every project error about one file or folder shares: ``<path>: <what is wrong>``.

Each concern has its own type (``ScanFormatError``, ``ManifestError``, ``CheckpointError`` …),
deriving from :class:`PathError` and from ``ValueError`` (bad input) or ``RuntimeError`` (a job
that cannot go on).
"""

from __future__ import annotations

from pathlib import Path


class PathError(Exception):
    """An error that names a file or folder (``path``, may be None) and the fault (``reason``)."""

    def __init__(self, path: str | Path | None, reason: str) -> None:
        self.path = None if path is None else Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path is not None else reason)

    def __reduce__(self):  # picklable, so worker processes can report it
        return (type(self), (self.path, self.reason))

"""Errors raised while loading a model for inference or resolving its inputs."""

from __future__ import annotations

from pathlib import Path


class InferenceError(RuntimeError):
    """A checkpoint or input that cannot be used for prediction; names the path and the fault."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep picklable for worker processes
        return (type(self), (self.path, self.reason))

"""Errors raised while building, loading or saving an AffectVLM model."""

from __future__ import annotations

from pathlib import Path


class ModelLoadError(RuntimeError):
    """Weights, configs or tokenizer files that cannot be used; names the source and fault."""

    def __init__(self, source: str | Path, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self):  # keep picklable for worker processes
        return (type(self), (self.source, self.reason))

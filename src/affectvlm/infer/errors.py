"""Errors raised while loading a model for inference or resolving its inputs."""

from __future__ import annotations

from affectvlm.errors import PathError


class InferenceError(PathError, RuntimeError):
    """A checkpoint or input that cannot be used for prediction; names the path and the fault."""

"""Errors of the render concern: a scan that renders to nothing, a cache entry that cannot be
trusted."""

from __future__ import annotations

from affectvlm.errors import PathError


class RenderError(PathError, ValueError):
    """A scan (or sequence frame) that cannot be rendered usefully; names the file."""


class RenderCacheError(PathError, LookupError):
    """A render cache entry that is missing or unusable (truncated, wrong shape or dtype);
    names the entry file and the fault."""

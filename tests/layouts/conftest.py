"""Tiny dataset trees of empty placeholder files, built in tmp_path."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest


def make_tree(root: Path, paths: Iterable[str]) -> Path:
    """Create empty files (or folders, for paths ending in '/') under ``root``."""
    for rel in paths:
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
    return root


@pytest.fixture
def tree(tmp_path: Path):
    """``tree(paths)`` → a root holding exactly those placeholder files."""

    def build(paths: Iterable[str]) -> Path:
        return make_tree(tmp_path / "root", paths)

    return build

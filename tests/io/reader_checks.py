"""Helpers shared by the reader tests: the fixture folder and a malformed-file assertion."""

from __future__ import annotations

from pathlib import Path

import pytest

from affectvlm.io import ScanFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def assert_rejected(read, path: Path, match: str, **kwargs) -> ScanFormatError:
    """``read(path)`` raises ScanFormatError whose message names the file and ``match``."""
    with pytest.raises(ScanFormatError, match=match) as info:
        read(path, **kwargs)
    assert info.value.path == path
    assert str(path) in str(info.value)
    return info.value

"""Shared reader pieces: numeric lists, triangulation, committed fixtures, registry dispatch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from reader_checks import FIXTURES

from affectvlm.io import ScanFormatError, read_scan, scan_suffixes
from affectvlm.io.numeric_text import parse_numbers
from affectvlm.io.polygons import fan_triangulate, split_terminated


def _make_fixtures():
    spec = importlib.util.spec_from_file_location(
        "make_io_fixtures", Path(__file__).parent / "make_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_fixtures_match_the_generator_script():
    for rel, data in _make_fixtures().all_fixtures().items():
        assert (FIXTURES / rel).read_bytes() == data, rel


def test_vectorised_decimal_parse_equals_numpy_for_many_formats():
    rng = np.random.default_rng(0)
    for fmt in ("%.6g", "%.3f", "%.15g", "%.1f", "%g", "%.9e"):
        values = rng.normal(size=500) * 10.0 ** rng.integers(-4, 5, size=500)
        text = ",\n".join(fmt % v for v in values).encode()
        expected = np.array([float(fmt % v) for v in values])
        np.testing.assert_array_equal(parse_numbers(text, np.float64, "x", Path("f")), expected)


@pytest.mark.parametrize("text", [b"1 - 2", b"1 2 -", b"1 .", b"1 2.3.4", b"1 +-2", b"1-2"])
def test_malformed_number_tokens_are_rejected(text):
    with pytest.raises(ScanFormatError, match="in pts"):
        parse_numbers(text, np.float64, "pts", Path("f.wrl"))


def test_integer_lists_reject_decimals_and_lone_signs():
    np.testing.assert_array_equal(
        parse_numbers(b"0, 1,2 -1", np.int64, "i", Path("f")), [0, 1, 2, -1]
    )
    for text in (b"0 1.5", b"0 - 1"):
        with pytest.raises(ScanFormatError, match="non-integer"):
            parse_numbers(text, np.int64, "i", Path("f"))


def test_split_and_fan_triangulate_mixed_polygons():
    corners, lengths = split_terminated(np.array([0, 1, 2, -1, 3, 4, 5, 6, 7, -1, 8, 9, 10]))
    np.testing.assert_array_equal(lengths, [3, 5, 3])
    tris = fan_triangulate(corners, lengths)
    np.testing.assert_array_equal(tris, [[0, 1, 2], [3, 4, 5], [3, 5, 6], [3, 6, 7], [8, 9, 10]])


def test_every_scan_format_is_registered():
    assert {".wrl", ".bnt", ".obj", ".ply"} <= set(scan_suffixes())


def test_unknown_format_and_missing_file_are_reported(tmp_path):
    (tmp_path / "x.xyz").write_bytes(b"hello")
    with pytest.raises(ScanFormatError, match="unknown scan format"):
        read_scan(tmp_path / "x.xyz")
    with pytest.raises(ScanFormatError, match="no such file"):
        read_scan(tmp_path / "absent.wrl")

"""Property-based fuzzing of the scan readers (issue 12, item 6).

Every mutant of a small valid file of each format (truncated, bytes flipped or inserted,
numbers replaced by huge/NaN/negative values, blocks duplicated, BOM, CRLF, lines deleted or
repeated; in the scan or in a companion texture/landmark/material file) must either raise a
``ScanFormatError`` naming the file, or read as a sound ``Scan`` (finite float32 vertices,
non-empty in-range faces, a texture only from the scan's folder); never another exception, and
the traced peak memory of the read stays within ``3 × (input bytes + decoded texture bytes) +
4 MiB`` (``fuzz_cases.MEMORY_*``).

Profiles, chosen with the environment variable ``AFFECTVLM_FUZZ``: ``ci`` (the default:
derandomized, the same examples on every run, well under a minute on 2 cores) and ``long``
(random, 5000 examples per seed file; minutes)::

    AFFECTVLM_FUZZ=long python -m pytest tests/io/test_fuzz.py

A failure prints the seed name, the target file and the list of ``Mutation`` s: together they
are a complete reproducer; add it to ``FOUND`` below once the reader is fixed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzz_cases import (
    Mutation,
    landmark_files,
    mutate,
    mutations,
    read_within_bounds,
    seeds,
    write_case,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affectvlm.io import Scan, ScanFormatError, read_bnd, read_lm2, read_lm3

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "affectvlm-fuzz-ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "affectvlm-fuzz-long",
    max_examples=5000,
    derandomize=False,
    deadline=None,
    database=None,
    suppress_health_check=_QUIET,
)
PROFILE = os.environ.get("AFFECTVLM_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"AFFECTVLM_FUZZ must be 'ci' or 'long', got {PROFILE!r}")
FUZZ = settings.get_profile(f"affectvlm-fuzz-{PROFILE}")
SEEDS = sorted(seeds())
TEXT = (".wrl", ".obj", ".mtl", ".bnd", ".lm3")

# Reproducers the fuzz suite found: (seed, mutated file, mutations, the fault now reported, or
# None for a file that must read). Before the fixes these were accepted as a Scan, escaped as
# another exception type, or broke the memory bound.
_USE_BOMB = b"DEF G0 Group { children [ USE S USE S ] }\n" + b"".join(
    b"DEF G%d Group { children [ USE G%d USE G%d ] }\n" % (i + 1, i, i) for i in range(10)
)  # 8 kB that reach one Shape 2048 times: 97 MB traced before the fix


def _into_wrl(at: int, payload: bytes, fault: str) -> tuple:
    return ("vrml_syntax_wrl", ".wrl", [Mutation("insert", at, payload=payload)], fault)


FOUND = [
    ("bu3dfe_wrl", ".wrl", [Mutation("number", 6, payload=b"1e39")], "not finite as float32"),
    ("bp4d_obj", ".obj", [Mutation("number", 217, payload=b"3.5e38")], "texture coordinates"),
    ("ascii_ply", ".ply", [Mutation("number", 1, payload=b"-5")], "negative count"),
    ("binary_le_ply", ".ply", [Mutation("repeat_line", 4, 1)], "declares property 'x' twice"),
    ("binary_le_ply", ".ply", [Mutation("insert", -1, payload=b"junk")], "after the last element"),
    ("colors_obj", ".obj", [Mutation("number", 4, payload=b"1,5")], "non-numeric value '1,5'"),
    ("ascii_ply", ".ply", [Mutation("number", 579, payload=b"-nan")], "list length of nan"),
    ("ascii_ply", ".ply", [Mutation("number", 6, payload=b"300")], "'red' (uint8) holds 300"),
    ("ascii_ply", ".ply", [Mutation("number", 580, payload=b"1.5")], "1.5 is not an integer"),
    (  # an IDAT length of 4 GB: Pillow read(4 GB) from the file, which allocates it first
        "binary_le_ply",
        ".png",
        [Mutation("flip", 33, 237), Mutation("number", 9, payload=b"2147483648")],
        "cannot decode texture image",
    ),
    (  # a comment in a 69 kB list: the list-body regex kept ~130 bytes per byte (8.5 MB)
        "bu3dfe_wrl",
        ".wrl",
        [Mutation("repeat_line", 84, 999)] * 3 + [Mutation("insert", 291, payload=b"# c\n")],
        None,
    ),
    _into_wrl(16, b"Group { children [" * 5000, "nested"),  # RecursionError
    _into_wrl(16, b"Switch { whichChoice -nan }", "whichChoice"),  # ValueError
    _into_wrl(16, b"Group { scale 2\x80 }", "non-numeric value in field"),  # UnicodeDecodeError
    _into_wrl(-1, _USE_BOMB, "USE repeats geometry"),
]


def _read(name: str, target: str, data: bytes) -> Scan | ScanFormatError:
    seed = seeds()[name]
    with tempfile.TemporaryDirectory() as tmp:
        write_case(Path(tmp), seed, target, data)
        return read_within_bounds(Path(tmp), seed.main)[0]


@pytest.mark.parametrize("name", SEEDS)
def test_every_seed_reads_as_a_sound_scan_within_the_memory_bound(name):
    seed = seeds()[name]
    assert isinstance(_read(name, seed.main, seed.files[seed.main]), Scan)


@pytest.mark.parametrize("name", SEEDS)
@FUZZ
@given(data=st.data())
def test_mutated_file_is_rejected_naming_it_or_read_as_a_sound_scan(name, data):
    seed = seeds()[name]
    companions = sorted(set(seed.files) - {seed.main})  # the scan itself half of the time
    target = data.draw(st.sampled_from([seed.main] * max(1, len(companions)) + companions))
    edits = data.draw(mutations(), label="mutations")
    _read(name, target, mutate(seed.files[target], edits))


@pytest.mark.parametrize(("name", "suffix", "edits", "fault"), FOUND)
def test_reproducers_found_by_fuzzing_now_read_or_name_file_and_fault(name, suffix, edits, fault):
    seed = seeds()[name]
    target = next(k for k in seed.files if k.endswith(suffix))
    result = _read(name, target, mutate(seed.files[target], edits))
    if fault is None:
        assert isinstance(result, Scan), result
    else:
        assert isinstance(result, ScanFormatError), result
        assert fault in result.reason, result


@pytest.mark.parametrize(
    ("name", "target"),
    [(n, t) for n in SEEDS for t in sorted(seeds()[n].files) if t.endswith(TEXT)]
    + [("ascii_ply", "face.ply")],
)
@pytest.mark.parametrize("edits", [["bom"], ["crlf"], ["crlf", "bom"]])
def test_bom_and_crlf_leave_a_text_file_reading_the_same(name, target, edits):
    seed = seeds()[name]
    before = _read(name, seed.main, seed.files[seed.main])
    after = _read(name, target, mutate(seed.files[target], [Mutation(e) for e in edits]))
    assert isinstance(after, Scan), after
    np.testing.assert_array_equal(after.vertices, before.vertices)
    np.testing.assert_array_equal(after.faces, before.faces)
    for key in ("uv", "uv_faces", "colors", "landmarks", "texture"):
        a, b = getattr(after, key), getattr(before, key)
        assert (a is None) == (b is None), key
        if a is not None:
            np.testing.assert_array_equal(a, b)


_LANDMARKS = {".bnd": read_bnd, ".lm3": read_lm3, ".lm2": read_lm2}


@pytest.mark.parametrize("suffix", sorted(_LANDMARKS))
@FUZZ
@given(edits=mutations())
def test_mutated_landmark_file_is_rejected_naming_it_or_read_as_finite_points(suffix, edits):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        path.write_bytes(mutate(landmark_files()[suffix], edits))
        try:
            out = _LANDMARKS[suffix](path)
        except ScanFormatError as exc:
            assert exc.path == path and str(path) in str(exc)
            return
    points = [out.points] if suffix == ".bnd" else list(out.values())
    assert all(np.isfinite(p).all() for p in points)

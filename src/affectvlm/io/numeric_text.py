"""Whitespace/comma separated number lists → numpy arrays, fast and strict.

Decimal lists without exponents (the common case in scan files) are parsed with vectorised
numpy arithmetic that gives the correctly rounded result for up to 15 significant digits;
anything else falls back to ``np.fromstring``, and a token neither accepts is reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError

_TO_SPACE = bytes.maketrans(b",\t\n\r\f\v", b"      ")
_POW10 = 10.0 ** np.arange(23)
# byte classes: 0 space, 1 digit, 2 '.', 3 '-', 4 '+', 5 anything else
_CLASS = np.full(256, 5, dtype=np.uint8)
_CLASS[ord(" ")] = 0
_CLASS[ord("0") : ord("9") + 1] = 1
_CLASS[ord(".")], _CLASS[ord("-")], _CLASS[ord("+")] = 2, 3, 4


def parse_numbers(segment: bytes, dtype: type, what: str, path: Path) -> np.ndarray:
    """Parse ``segment`` (commas and any whitespace separate values) into a 1-D array.

    Raises :class:`ScanFormatError` naming ``what`` and the first bad token.
    """
    text = _squeeze(segment)
    integer = np.issubdtype(dtype, np.integer)
    if not integer:
        values = _decimals(text)
        if values is not None:
            return values.astype(dtype, copy=False)
    if len(text) == 2:
        return np.zeros(0, dtype=dtype)
    # numpy's parser reads a lone sign as the sign of the next number or as 0: refuse those.
    if b"- " not in text and b"+ " not in text:
        try:
            return np.fromstring(text, dtype=dtype, sep=" ")
        except ValueError:
            pass
    convert = int if integer else float
    for tok in text.split():
        try:
            convert(tok)
        except ValueError:
            kind = "integer" if integer else "numeric"
            raise ScanFormatError(
                path, f"non-{kind} value {tok.decode('latin-1')!r} in {what}"
            ) from None
    raise ScanFormatError(path, f"malformed number list in {what}")


def _squeeze(segment: bytes) -> bytes:
    """Separators → single spaces, padded with one space at each end.

    Scan files indent every list item by up to ~50 spaces; squeezing them out first makes
    every later pass several times shorter.
    """
    b = np.frombuffer(segment.translate(_TO_SPACE), dtype=np.uint8)
    keep = b != 32
    keep[1:] |= b[:-1] != 32  # the first space after a token survives
    return b" " + b[keep].tobytes() + b" "


def _decimals(text: bytes) -> np.ndarray | None:
    """Plain decimals (``-12.345``, ``.5``, ``7``) → float64, or None to use the slow path.

    ``text`` is :func:`_squeeze` output: single spaces as separators, one at each end.
    """
    b = np.frombuffer(text, dtype=np.uint8)
    cls = _CLASS.take(b)
    if cls.max() >= 5:
        return None
    tok = cls != 0
    starts = np.flatnonzero(tok[1:] > tok[:-1]) + 1
    ends = np.flatnonzero(tok[:-1] > tok[1:]) + 1
    if len(starts) == 0:
        return np.zeros(0)
    signed = cls[starts] >= 3
    if signed.sum() != np.count_nonzero(cls >= 3):
        return None  # a sign inside a token
    n_digits = ends - starts - signed
    frac = np.zeros(len(starts), dtype=np.intp)
    dots = np.flatnonzero(cls == 2)
    if len(dots):
        owner = np.searchsorted(starts, dots, side="right") - 1
        if (np.diff(owner) == 0).any():
            return None  # two dots in one token
        frac[owner] = ends[owner] - dots - 1
        n_digits[owner] -= 1
    if n_digits.min() < 1 or n_digits.max() > 15:
        return None
    digits = np.flatnonzero(cls == 1)
    first = np.cumsum(n_digits) - n_digits
    power = np.repeat(first + n_digits - 1, n_digits) - np.arange(len(digits))
    mantissa = np.add.reduceat((b[digits] - 48) * _POW10[power], first)
    values = mantissa / _POW10[frac]  # exact operands: the quotient is correctly rounded
    values[signed & (cls[starts] == 3)] *= -1
    return values

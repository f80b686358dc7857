"""Whitespace/comma separated number lists → numpy arrays, at C speed and in bounded memory.

A list is cut at separators into chunks of about :data:`CHUNK_TOKENS` tokens and each chunk
is parsed with whole-array numpy operations, so a parse takes its output plus a constant,
and nothing of the text is copied. In a chunk one byte mask gives every token's start and end;
the token's last 8 (or 16) bytes are gathered as little-endian ``uint64`` words and turned
into a number by the SWAR digit trick (8 digits per word in three multiply–shift steps). A
decimal point is first squeezed out of the word, and the value is the integer mantissa over
``10 ** digits after the point``: both are exact, so the quotient is correctly rounded.
Tokens outside that fast grammar (exponents, ``nan``/``inf``, more than 15 digits) are
parsed one by one with Python's ``int``/``float`` after a strict check; anything else is an
error naming the token.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError

CHUNK_TOKENS = 1 << 15
"""Tokens per vectorised pass: enough to amortise numpy's per-call cost, few enough that the
pass's temporaries (~100 bytes a token) stay a constant of a few MB."""
FIRST_CHUNK, MAX_CHUNK = 1 << 17, 1 << 20  # bytes: before the token density is known; at most

_SEPARATOR = re.compile(rb"[\t\n\v\f\r ,]")
_INT = re.compile(rb"[+-]?[0-9]+")
_FLOAT = re.compile(
    rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:nan|inf|infinity)", re.I
)
_PAD = 16  # bytes a token's word windows may reach back
_LONGEST = 4096  # bytes of the longest token looked for past a chunk's end (numbers are short)
_U64 = np.uint64
_ALL = (1 << 64) - 1
_ZEROS = 0x3030303030303030  # "00000000"


def _top_bytes(n: int) -> int:
    """Mask of the ``n`` most significant bytes of a word: a token's last ``n`` characters."""
    return (_ALL << (8 * (8 - n))) & _ALL if n else 0


# Indexed by a token's length (0–16): which bytes of its last word (the high word) and of the
# word before it (the low word) belong to it; "0" characters fill the other bytes.
_KEEP_HI = np.array([_top_bytes(min(n, 8)) for n in range(17)], dtype=_U64)
_KEEP_LO = np.array([_top_bytes(max(n - 8, 0)) for n in range(17)], dtype=_U64)
_FILL_HI = np.array([_ZEROS & ~int(k) for k in _KEEP_HI], dtype=_U64)
_FILL_LO = np.array([_ZEROS & ~int(k) for k in _KEEP_LO], dtype=_U64)

# A decimal point at byte p of a word is located as the float64 exponent of a word with one
# bit set per point byte: ``exponent >> 3`` is 128 + p, or 0 without a point (see
# :func:`_point_code`). In a 16-byte window the high word's codes are shifted by 8.
_NO_POINT, _POINT_CODE = 0, 128


def _point_tables(width: int) -> tuple[np.ndarray, ...]:
    """Per point code: the bytes above the point (kept), the bytes below it (moved up one
    byte over it, as words of a ``width``-byte window, low word first), the "0" that fills
    byte 0, and the divisor ``10 ** digits after the point``."""
    size, full = _POINT_CODE + width, (1 << (8 * width)) - 1
    above, below, fill, scale = [full] * size, [0] * size, [0] * size, [1.0] * size
    for p in range(width):
        code = _POINT_CODE + p
        above[code] = full & ~((1 << (8 * (p + 1))) - 1)
        below[code] = (1 << (8 * p)) - 1
        fill[code], scale[code] = 0x30, 10.0 ** (width - 1 - p)
    words = [
        np.array([(mask >> (64 * w)) & _ALL for mask in masks], dtype=_U64)
        for masks in (above, below)
        for w in range(width // 8)
    ]
    return (*words, np.array(fill, dtype=_U64), np.array(scale))


_ABOVE_8, _BELOW_8, _FILL_8, _SCALE_8 = _point_tables(8)
_ABOVE_LO, _ABOVE_HI, _BELOW_LO, _BELOW_HI, _FILL_16, _SCALE_16 = _point_tables(16)


def parse_numbers(
    data: bytes, dtype: type, what: str, path: Path, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """Parse ``data[start:stop]`` (commas and any whitespace separate values) into a 1-D array.

    Raises :class:`ScanFormatError` naming ``what`` and the first bad token.
    """
    stop = len(data) if stop is None else stop
    if len(data) < _PAD:  # the word views need a few bytes
        data, start, stop = b" " * _PAD + bytes(data), start + _PAD, stop + _PAD
    scanner = TokenScanner(what, path)
    parts, size = [], FIRST_CHUNK
    while start < stop:
        end = stop
        if stop - start > size + size // 2:
            cut = _SEPARATOR.search(data, start + size, min(stop, start + size + _LONGEST))
            if cut is None and start + size + _LONGEST < stop:
                raise ScanFormatError(path, f"a value longer than {_LONGEST} bytes in {what}")
            end = stop if cut is None else cut.start()
        starts, ends = scanner.bounds(data, start, end)
        parts.append(parse_tokens(data, starts, ends, dtype, what, path))
        size = next_chunk(end - start, len(starts))
        start = end
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def next_chunk(n_bytes: int, n_tokens: int) -> int:
    """Bytes for the next chunk, so it holds about :data:`CHUNK_TOKENS` tokens at the density
    of the last one (``n_tokens`` in ``n_bytes``)."""
    if n_tokens == 0:
        return MAX_CHUNK
    return int(min(max(CHUNK_TOKENS * n_bytes / n_tokens, FIRST_CHUNK // 2), MAX_CHUNK))


class TokenScanner:
    """Finds the tokens of a text chunk by chunk: runs of bytes other than whitespace and
    ``separator``; a control character is an error naming ``what``."""

    def __init__(self, what: str, path: Path, separator: bytes = b",") -> None:
        self.what, self.path = what, path
        self.separator, self.separator_byte = separator[0], separator[:1]

    def bounds(self, data: bytes, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Absolute (starts, ends) of the tokens of ``data[start:stop]``."""
        n = stop - start
        if n <= 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        b = np.frombuffer(data, np.uint8, n, start)
        work = _work_masks(n + 2)
        token, other = work[0, : n + 2], work[1, : n + 2]  # token[1:-1] ↔ b, False around it
        inner, scratch = token[1:-1], other[:n]
        np.subtract(b, 9, out=scratch.view(np.uint8))
        np.greater(scratch.view(np.uint8), 4, out=inner)  # not \t \n \v \f \r
        np.less(b, 32, out=scratch)
        np.bitwise_and(inner, scratch, out=scratch)  # the other control characters
        if scratch.any():
            at = start + int(np.argmax(scratch))
            raise ScanFormatError(
                self.path, f"control character {data[at : at + 1]!r} in {self.what}"
            )
        np.greater(b, 32, out=inner)
        if data.find(self.separator_byte, start, stop) >= 0:
            np.not_equal(b, self.separator, out=scratch)
            np.bitwise_and(inner, scratch, out=inner)
        token[0] = token[-1] = False
        # a change between token[k] and token[k + 1] is a token's start or end at byte k
        edges = np.flatnonzero(np.not_equal(token[1:], token[:-1], out=other[: n + 1]))
        edges += start
        pairs = edges.reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]


_WORK = threading.local()


def _work_masks(n: int) -> np.ndarray:
    """Two reusable byte masks of at least ``n`` bytes for this thread (a fresh large array
    costs its page faults on every use)."""
    work = getattr(_WORK, "masks", None)
    if work is None or work.shape[1] < n:
        work = np.empty((2, max(n, min(2 * n, 2 * MAX_CHUNK + 64))), dtype=bool)
        if n <= 2 * MAX_CHUNK + 64:  # keep the usual size only; an outsized one is dropped after
            _WORK.masks = work
    return work


def parse_tokens(
    data: bytes, starts: np.ndarray, ends: np.ndarray, dtype: type, what: str, path: Path
) -> np.ndarray:
    """The numbers of the tokens ``data[starts[i]:ends[i]]`` (as found by a TokenScanner)."""
    integer = np.issubdtype(dtype, np.integer)
    if len(starts) == 0:
        return np.zeros(0, dtype=dtype)
    values, irregular = (_integers if integer else _decimals)(data, starts, ends)
    if irregular is not None:
        for i in np.flatnonzero(irregular).tolist():
            values[i] = _one_number(data[starts[i] : ends[i]], integer, what, path)
    return values.astype(dtype, copy=False)


def _words(data: bytes) -> np.ndarray:
    """Every 8-byte window of ``data`` as a little-endian uint64 (a view, no copy)."""
    return np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))


def _signs(
    data: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray]:
    """(±1 as int8, or None if no token has a sign; length after the sign) of each token."""
    length = ends - starts
    minus = data.find(b"-", starts[0], ends[-1]) >= 0  # one-byte searches skip absent signs
    plus = data.find(b"+", starts[0], ends[-1]) >= 0
    if not (minus or plus):
        return None, length
    first = np.frombuffer(data, np.uint8)[starts]
    negative = (first == 45).view(np.int8)
    length -= negative
    if plus:
        length -= first == 43
    sign = negative * np.int8(-2)
    sign += np.int8(1)
    return sign, length


def _digits_ok(word: np.ndarray) -> np.ndarray:
    """Whether all 8 bytes of each word are ASCII digits."""
    high = word & _U64(0xF0F0F0F0F0F0F0F0)
    carry = word + _U64(0x0606060606060606)
    carry &= _U64(0xF0F0F0F0F0F0F0F0)
    return (high == _U64(_ZEROS)) & (carry == _U64(_ZEROS))


def _swar(word: np.ndarray) -> np.ndarray:
    """8 ASCII digits per word (most significant first in memory) → their value, in place."""
    word &= _U64(0x0F0F0F0F0F0F0F0F)
    word *= _U64(10 * (1 << 8) + 1)
    word >>= _U64(8)
    word &= _U64(0x00FF00FF00FF00FF)
    word *= _U64(100 * (1 << 16) + 1)
    word >>= _U64(16)
    word &= _U64(0x0000FFFF0000FFFF)
    word *= _U64(10000 * (1 << 32) + 1)
    word >>= _U64(32)
    return word


def _last_word(data: bytes, ends: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Each token's last 8 bytes, the bytes before the token (within 8) replaced by "0"."""
    word = _words(data)[ends - 8]
    short = np.minimum(length, 8)
    word &= _KEEP_HI.take(short)
    word |= _FILL_HI.take(short)
    return word


def _integers(
    data: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Tokens ``[+-]?d{1,8}`` at SWAR speed; the mask marks tokens left to the slow path."""
    sign, length = _signs(data, starts, ends)
    if ends[0] >= _PAD and length.min() >= 1 and length.max() <= 8:
        ok = _digits_ok(word := _last_word(data, ends, length))
    else:  # a token too close to the buffer start, too long or empty goes the slow way
        ok = (ends >= _PAD) & (length >= 1) & (length <= 8)
        ok &= _digits_ok(word := _last_word(data, np.maximum(ends, _PAD), length))
    values = _swar(word).view(np.int64)
    if sign is not None:
        values *= sign
    return values, (None if ok.all() else ~ok)


def _point_code(word: np.ndarray) -> np.ndarray:
    """128 + the byte index of the highest decimal point in each word, or 0 for none."""
    x = word ^ _U64(0x2E2E2E2E2E2E2E2E)  # a point byte becomes 0
    y = x & _U64(0x7F7F7F7F7F7F7F7F)
    y += _U64(0x7F7F7F7F7F7F7F7F)
    y |= x
    y |= _U64(0x7F7F7F7F7F7F7F7F)
    np.invert(y, out=y)  # 0x80 in exactly the bytes that were 0
    code = y.astype(np.float64).view(np.int64)
    code >>= 55  # the exponent, divided by 8
    return code


def _squeeze_point(word: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Remove the decimal point of each 8-byte word in place (bytes below it move up)."""
    below = word & _BELOW_8.take(code)
    below <<= _U64(8)
    word &= _ABOVE_8.take(code)
    word |= below
    word |= _FILL_8.take(code)
    return word


def _decimals(
    data: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Tokens ``[+-]?d*.?d*`` at SWAR speed, one word for up to 8 characters after the sign
    and two for up to 16; the mask marks tokens left to the slow path."""
    sign, length = _signs(data, starts, ends)
    near_start = ends < _PAD if ends[0] < _PAD else None
    if near_start is not None:
        ends = np.maximum(ends, _PAD)
    word = _last_word(data, ends, length)
    code = _point_code(word)
    ok = _digits_ok(_squeeze_point(word, code))
    ok &= length > (code != _NO_POINT)  # at least one digit
    if near_start is not None:
        ok &= ~near_start
    values = _swar(word).astype(np.float64)
    values /= _SCALE_8.take(code)
    long = length > 8
    if long.any():
        where = np.flatnonzero(long)
        values[where], ok[where] = _long_decimals(data, ends[where], length[where])
        if near_start is not None:
            ok[where] &= ~near_start[where]
    if sign is not None:
        values *= sign
    return values, (None if ok.all() else ~ok)


def _long_decimals(
    data: bytes, ends: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(unsigned value, whether parsed) of decimals of 9–16 characters, in two words."""
    ok = length <= 16
    np.minimum(length, 16, out=length)
    hi = _last_word(data, ends, length)
    lo = _words(data)[ends - 16]
    lo &= _KEEP_LO.take(length)
    lo |= _FILL_LO.take(length)
    code_hi = _point_code(hi)
    code = np.where(code_hi != _NO_POINT, code_hi + 8, _point_code(lo))
    carry = lo & _BELOW_LO.take(code)
    carry >>= _U64(56)
    below = hi & _BELOW_HI.take(code)
    below <<= _U64(8)
    hi &= _ABOVE_HI.take(code)
    hi |= below
    hi |= carry
    below = lo & _BELOW_LO.take(code)
    below <<= _U64(8)
    lo &= _ABOVE_LO.take(code)
    lo |= below
    lo |= _FILL_16.take(code)
    ok &= _digits_ok(hi)
    ok &= _digits_ok(lo)
    ok &= length - (code != _NO_POINT) <= 15  # so the mantissa is exact in float64
    mantissa = _swar(lo).astype(np.float64)
    mantissa *= 1e8
    mantissa += _swar(hi)
    mantissa /= _SCALE_16.take(code)
    return mantissa, ok


def _one_number(token: bytes, integer: bool, what: str, path: Path) -> int | float:
    """One token outside the fast grammar: a strict check, then Python's int/float."""
    kind = "integer" if integer else "numeric"
    shown = token[:40].decode("latin-1")
    if (_INT if integer else _FLOAT).fullmatch(token) is None:
        raise ScanFormatError(path, f"non-{kind} value {shown!r} in {what}")
    if not integer:
        return float(token)
    value = int(token)
    if not -(1 << 63) <= value < 1 << 63:
        raise ScanFormatError(path, f"integer {shown!r} out of range in {what}")
    return value

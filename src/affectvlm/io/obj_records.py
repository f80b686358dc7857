"""OBJ text → arrays of its ``v``, ``vt`` and ``f`` records, read in chunks of whole lines.

Each chunk of about ``numeric_text.CHUNK_TOKENS`` tokens is cleaned (CR line ends, ``\\``
continuations, ``#`` comments) only if it needs it, cut into tokens at whitespace and ``/``
in one vectorised pass, and its numbers parsed at C speed. Only the arrays are kept, and the
file's bytes are dropped before they are joined, so a read takes the file plus its arrays
(plus a constant), never a Python object per number. One face form (``a``, ``a/t``,
``a//n``, ``a/t/n``) is allowed per file; a negative index counts back from the records
defined before its face's line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.numeric_text import FIRST_CHUNK, TokenScanner, next_chunk, parse_tokens

_COMMENT = re.compile(rb"#[^\n]*")
_LINE_BREAK = re.compile(rb"[\r\n]")
_PAD = b" " * 16  # room before a cleaned chunk for the word windows of numeric_text
_OTHER, _V, _VT, _F, _NAMED = 0, 1, 2, 3, 4
_KEYWORDS = {_V: ("v", (3, 4, 6)), _VT: ("vt", (2, 3))}
_SLASH = ord("/")
_MIXED = "f records mix the forms a, a/t, a//n and a/t/n"


@dataclass
class ObjRecords:
    """The records of one OBJ file; ``uv_corners`` is None for the ``a`` and ``a//n`` forms."""

    vertices: np.ndarray  # (n, 3 | 4 | 6) float64: x y z [w | r g b]
    uv: np.ndarray  # (k, 2 | 3) float64
    corners: np.ndarray  # (c,) int64, 0-based vertex of each face corner, faces in order
    uv_corners: np.ndarray | None  # (c,) int64 into uv
    lengths: np.ndarray  # (m,) int64 corners per face
    libraries: list[str]  # mtllib names, in order
    materials: list[str]  # usemtl names, in order


@dataclass
class _Parts:
    """What the chunks read so far."""

    values: dict[int, list[np.ndarray]] = field(default_factory=lambda: {_V: [], _VT: []})
    corners: list[np.ndarray] = field(default_factory=list)
    uv_corners: list[np.ndarray] = field(default_factory=list)
    lengths: list[np.ndarray] = field(default_factory=list)
    face_lines: list[np.ndarray] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)  # record kind → values per line
    form: tuple[int, bool] | None = None  # (fields per corner, written a//n)
    lines: int = 0  # lines before the chunk
    before: dict[int, int] = field(default_factory=lambda: {_V: 0, _VT: 0})  # records before


@dataclass
class _Chunk:
    """One chunk's tokens and lines."""

    data: bytes
    b: np.ndarray  # data as bytes
    starts: np.ndarray  # token starts (absolute)
    ends: np.ndarray
    kind: np.ndarray  # record kind of each line
    token_kind: np.ndarray  # record kind of each value token (keywords: _OTHER)
    count: np.ndarray  # tokens on each line, keyword included
    line_no: np.ndarray  # 1-based number of each line in the file
    line_starts: np.ndarray
    stop: int  # end of the chunk in data


def read_records(path: Path) -> ObjRecords:
    """Read and parse the OBJ file ``path`` (a UTF-8 BOM is skipped)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if len(data) < 4 * len(_PAD):  # the word views of numeric_text need a few bytes
        data, start = _PAD + data, start + len(_PAD)
    parts, scanner = _Parts(), TokenScanner("OBJ records", path, separator=b"/")
    size, chunk = FIRST_CHUNK, None
    while start < len(data):
        stop = _line_end(data, start + size) if len(data) - start > size * 3 // 2 else len(data)
        chunk = _tokenize(scanner, parts, *_clean(data, start, stop))
        _read_chunk(path, chunk, parts)
        size = next_chunk(stop - start, len(chunk.starts))
        start = stop
    del chunk
    del data  # the arrays are joined without the file's bytes alongside
    return _join(path, parts)


def _line_end(data: bytes, at: int) -> int:
    """End of the line running through ``at`` (past a ``\\`` continuation)."""
    while (match := _LINE_BREAK.search(data, at)) is not None:
        end = match.end()
        if data[end - 1 : end + 1] == b"\r\n":
            end += 1
        if data[match.start() - 1 : match.start()] != b"\\":
            return end
        at = end
    return len(data)


def _clean(data: bytes, start: int, stop: int) -> tuple[bytes, int, int]:
    """``data[start:stop]`` without CR line ends, continuations and comments (copied only
    if the chunk has any)."""
    if all(data.find(c, start, stop) < 0 for c in (b"\r", b"\\", b"#")):
        return data, start, stop
    text = data[start:stop]
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\\\n" in text:
        text = text.replace(b"\\\n", b" ")
    if b"#" in text:
        text = _COMMENT.sub(b"", text)
    return _PAD + text, len(_PAD), len(_PAD) + len(text)


def _tokenize(scanner: TokenScanner, parts: _Parts, data: bytes, start: int, stop: int) -> _Chunk:
    starts, ends = scanner.bounds(data, start, stop)
    b = np.frombuffer(data, np.uint8)
    line_starts = np.concatenate(([start], np.flatnonzero(b[start:stop] == 10) + start + 1))
    first = np.searchsorted(starts, line_starts)  # first token of each line
    count = np.diff(first, append=len(starts))
    has = np.flatnonzero(count > 0)
    k = first[has]
    length, c0 = ends[k] - starts[k], b[starts[k]]
    c1 = b[np.minimum(starts[k] + 1, len(b) - 1)]
    one, v = length == 1, c0 == ord("v")
    code = (one & v).view(np.int8) * np.int8(_V)
    code += ((length == 2) & v & (c1 == ord("t"))).view(np.int8) * np.int8(_VT)
    code += (one & (c0 == ord("f"))).view(np.int8) * np.int8(_F)
    code += ((length == 6) & ((c0 == ord("m")) | (c0 == ord("u")))).view(np.int8) * np.int8(_NAMED)
    kind = np.zeros(len(first), dtype=np.int8)
    kind[has] = code
    token_kind = np.repeat(kind, count)
    token_kind[k] = _OTHER
    line_no = parts.lines + 1 + np.arange(len(line_starts))
    return _Chunk(data, b, starts, ends, kind, token_kind, count, line_no, line_starts, stop)


def _read_chunk(path: Path, chunk: _Chunk, parts: _Parts) -> None:
    face_slashes = _faces(path, chunk, parts) if (chunk.kind == _F).any() else 0
    # a slash outside the f records may sit in a v or vt record (a name may hold one too)
    stray_slash = chunk.data.count(b"/", chunk.line_starts[0], chunk.stop) > face_slashes
    for record in (_V, _VT):
        if (chunk.kind == record).any():
            values = _values(path, chunk, parts, record, stray_slash)
            parts.values[record].append(values)
    for i in np.flatnonzero(chunk.kind == _NAMED).tolist():
        at = int(chunk.line_starts[i])
        end = chunk.data.find(b"\n", at)
        words = chunk.data[at : end if end >= 0 else len(chunk.data)].split(None, 1)
        rest = words[1].decode("utf-8", "replace").strip() if len(words) == 2 else ""
        if words[0] == b"mtllib":
            parts.libraries.extend(rest.split())
        elif words[0] == b"usemtl":
            parts.materials.append(rest)
    parts.lines += len(chunk.line_starts) - 1
    for record in (_V, _VT):
        parts.before[record] += int(np.count_nonzero(chunk.kind == record))


def _values(path: Path, chunk: _Chunk, parts: _Parts, record: int, stray_slash: bool) -> np.ndarray:
    """The (lines, width) values of one record kind; every line of the file has one width."""
    keyword, widths = _KEYWORDS[record]
    lines = np.flatnonzero(chunk.kind == record)
    per_line = chunk.count[lines] - 1
    width = parts.widths.setdefault(record, int(per_line[0]))
    if width not in widths or (per_line != width).any():
        k = int(np.flatnonzero((per_line != width) | (width not in widths))[0])
        raise ScanFormatError(
            path,
            f"{keyword} record on line {chunk.line_no[lines[k]]} has {per_line[k]} values "
            f"(expected {' or '.join(map(str, widths))}, the same on every line)",
        )
    which = np.flatnonzero(chunk.token_kind == record)
    starts, ends = chunk.starts[which], chunk.ends[which]
    if stray_slash:
        slash = (chunk.b[starts - 1] == _SLASH) | (_after(chunk.b, ends) == _SLASH)
        if slash.any():
            line = chunk.line_no[lines[int(np.argmax(slash)) // width]]
            raise ScanFormatError(path, f"{keyword} record on line {line} has a '/'")
    values = parse_tokens(chunk.data, starts, ends, np.float64, keyword, path)
    values = values.reshape(len(lines), width)
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        line = chunk.line_no[lines[bad[0]]]
        raise ScanFormatError(path, f"{keyword} record on line {line} has NaN or inf")
    return values


def _after(b: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The byte after each token (a token's own last byte at the end of the data)."""
    return b[np.minimum(ends, len(b) - 1)]


def _faces(path: Path, chunk: _Chunk, parts: _Parts) -> int:
    """Append the chunk's faces (corner fields checked against one form, indices resolved);
    return the number of slashes in its f records."""
    which = np.flatnonzero(chunk.token_kind == _F)
    starts, ends, b = chunk.starts[which], chunk.ends[which], chunk.b
    lines = np.flatnonzero(chunk.kind == _F)
    fields = chunk.count[lines] - 1
    slashes = 0
    if len(which) == 0:
        lengths = fields
    else:
        after = _after(b, ends) == _SLASH  # a field ends at a slash only inside a corner
        before = b[starts - 1] == _SLASH
        double = before & (b[starts - 2] == _SLASH)
        gap = starts[1:] - ends[:-1]
        if (
            before[0]
            or after[-1]
            or not np.array_equal(after[:-1], before[1:])
            or (before[1:] & (gap != 1 + double[1:])).any()
        ):
            raise ScanFormatError(path, _MIXED)
        form = _form(path, ~before, double)
        if parts.form is not None and parts.form != form:
            raise ScanFormatError(path, _MIXED)
        parts.form = form
        lengths = fields // form[0]
        slashes = int(np.count_nonzero(before)) + int(np.count_nonzero(double))
    short = np.flatnonzero(lengths < 3)
    if len(short):
        k = int(short[0])
        raise ScanFormatError(
            path, f"face on line {chunk.line_no[lines[k]]} has {lengths[k]} vertices (< 3)"
        )
    width, written_double = parts.form
    values = parse_tokens(chunk.data, starts, ends, np.int64, "f", path).reshape(-1, width)
    face_lines = chunk.line_no[lines]
    for record, column, out in ((_V, 0, parts.corners), (_VT, 1, parts.uv_corners)):
        if record == _VT and (width == 1 or written_double):
            continue
        what = "vertex" if record == _V else "vt"
        out.append(_resolve(path, values[:, column], chunk, parts, record, lines, lengths, what))
    parts.lengths.append(lengths)
    parts.face_lines.append(face_lines.astype(np.int32))
    return slashes


def _form(path: Path, corner_start: np.ndarray, double: np.ndarray) -> tuple[int, bool]:
    """(fields per corner, written a//n) of a chunk's f fields, one form for all."""
    n_corners = int(np.count_nonzero(corner_start))
    width = len(corner_start) // n_corners
    written_double = bool(double.any())
    if (
        width * n_corners != len(corner_start)
        or width > 3
        or not corner_start[::width].all()  # with the count: a start exactly every width
        or (written_double and (width != 2 or not double[1::2].all()))
    ):
        raise ScanFormatError(path, _MIXED)
    return width, written_double


def _resolve(
    path: Path,
    index: np.ndarray,
    chunk: _Chunk,
    parts: _Parts,
    record: int,
    lines: np.ndarray,
    lengths: np.ndarray,
    what: str,
) -> np.ndarray:
    """0-based indices; a negative one counts back from the records before its face's line.
    An index past the last record of the file is checked once all are read."""
    low = index.min()
    if low > 0:  # the usual case
        return index - 1
    line = np.repeat(chunk.line_no[lines], lengths)
    if low == 0:
        k = int(np.argmax(index == 0))
        raise ScanFormatError(path, f"{what} index 0 on line {line[k]} (OBJ indices are 1-based)")
    seen = np.repeat(parts.before[record] + np.cumsum(chunk.kind == record)[lines], lengths)
    resolved = np.where(index < 0, seen + index, index - 1)
    bad = np.flatnonzero(resolved < 0)
    if len(bad):
        k = int(bad[0])
        raise ScanFormatError(
            path, f"{what} index {index[k]} on line {line[k]} is out of range ({seen[k]} defined)"
        )
    return resolved


def _join(path: Path, parts: _Parts) -> ObjRecords:
    """One array per record list, each list freed as soon as it is joined."""
    v = _stack(parts.values[_V], 3)
    vt = _stack(parts.values[_VT], 2)
    if len(v) == 0:
        raise ScanFormatError(path, "no vertices (v records)")
    if not parts.lengths:
        raise ScanFormatError(path, "no faces (f records)")
    lengths = _stack(parts.lengths, 0)
    corners = _stack(parts.corners, 0)
    uv_corners = _stack(parts.uv_corners, 0) if parts.uv_corners else None
    for index, count, what in ((corners, len(v), "vertex"), (uv_corners, len(vt), "vt")):
        if index is not None and len(index) and index.max() >= count:
            k = int(np.argmax(index >= count))
            face = int(np.searchsorted(np.cumsum(lengths), k, side="right"))
            line = np.concatenate(parts.face_lines)[face]
            raise ScanFormatError(
                path,
                f"{what} index {index[k] + 1} on line {line} is out of range ({count} defined)",
            )
    return ObjRecords(v, vt, corners, uv_corners, lengths, parts.libraries, parts.materials)


def _stack(values: list[np.ndarray], width: int) -> np.ndarray:
    """The arrays of ``values`` joined (``width`` columns if there are none); empties it."""
    if not values:
        return np.zeros((0, width) if width else 0)
    joined = values[0] if len(values) == 1 else np.concatenate(values)
    values.clear()
    return joined

"""Stanford ``.ply`` meshes (ASCII, binary little/big endian) for generic user scans.

Vertex ``x y z`` with optional ``red green blue`` (uchar → /255, or float in [0, 1]) and
per-vertex ``s t``/``u v``/``texture_u texture_v``; faces as a ``vertex_indices`` (or
``vertex_index``) list, fan-triangulated, with an optional per-corner ``texcoord`` list
(MeshLab style). A ``comment TextureFile <name>`` names the texture; if it is missing this
is noted, not fatal. Other elements and properties are skipped.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.numeric_text import parse_numbers
from affectvlm.io.polygons import fan_triangulate
from affectvlm.io.registry import register_reader
from affectvlm.io.scan import Scan
from affectvlm.io.texture import load_texture_image, resolve_texture

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_FORMATS = {"ascii": "", "binary_little_endian": "<", "binary_big_endian": ">"}
_END_HEADER = re.compile(rb"end_header[ \t]*\r?\n")
_UV_NAMES = (("s", "t"), ("u", "v"), ("texture_u", "texture_v"), ("texture_s", "texture_t"))


@dataclass
class _Property:
    name: str
    dtype: str
    count_dtype: str | None = None  # set for list properties


@dataclass
class _Element:
    name: str
    count: int
    props: list[_Property]


def _parse_header(path: Path, data: bytes) -> tuple[str, list[_Element], list[str], int]:
    end = _END_HEADER.search(data, 0, 1 << 16)
    if not data.startswith(b"ply") or end is None:
        raise ScanFormatError(path, "not a PLY file (missing 'ply' magic or 'end_header')")
    fmt, elements, comments = None, [], []
    for i, line in enumerate(data[: end.start()].decode("ascii", "replace").splitlines()[1:], 2):
        f = line.split()
        if not f:
            continue
        try:
            if f[0] == "format":
                fmt = _FORMATS[f[1]]
            elif f[0] == "comment":
                comments.append(line.partition("comment")[2].strip())
            elif f[0] == "element":
                elements.append(_Element(f[1], int(f[2]), []))
            elif f[0] == "property" and f[1] == "list":
                elements[-1].props.append(_Property(f[4], _TYPES[f[3]], _TYPES[f[2]]))
            elif f[0] == "property":
                elements[-1].props.append(_Property(f[2], _TYPES[f[1]]))
            elif f[0] != "obj_info":
                raise ValueError
        except (KeyError, IndexError, ValueError):
            raise ScanFormatError(path, f"bad PLY header line {i}: {line!r}") from None
    if fmt is None:
        raise ScanFormatError(path, "PLY header has no 'format' line")
    for el in elements:
        _check_count(path, el, len(data))
        names = [p.name for p in el.props]
        if len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise ScanFormatError(path, f"element {el.name!r} declares property {twice!r} twice")
    return fmt, elements, comments, end.end()


def _check_count(path: Path, el: _Element, size: int) -> None:
    """A row takes at least one byte, so a count beyond the file size cannot be honest."""
    if el.count < 0:
        raise ScanFormatError(path, f"element {el.name!r} has a negative count ({el.count})")
    if el.count > size:
        raise ScanFormatError(
            path, f"element {el.name!r} declares {el.count} rows but the file has {size} bytes"
        )


Columns = dict[str, "np.ndarray | tuple[np.ndarray, np.ndarray]"]  # lists: (flat, lengths)


def _row_layout(el: _Element, first_lengths: list[int]) -> list[tuple[str, int, int]]:
    """(name, start, width) of each property's values in a row, list counts included."""
    layout, at, lists = [], 0, iter(first_lengths)
    for p in el.props:
        if p.count_dtype is None:
            layout.append((p.name, at, 1))
            at += 1
        else:
            n = next(lists)
            layout.append((p.name, at, n + 1))
            at += n + 1
    return layout


def _columns(rows: np.ndarray, el: _Element, layout: list[tuple[str, int, int]]) -> Columns:
    out: Columns = {}
    for p, (name, start, width) in zip(el.props, layout, strict=True):
        if p.count_dtype is None:
            out[name] = rows[:, start]
        else:
            flat = rows[:, start + 1 : start + width].reshape(-1)
            out[name] = (flat, np.full(len(rows), width - 1, dtype=np.int64))
    return out


def _read_ascii(path: Path, values: np.ndarray, pos: int, el: _Element) -> tuple[Columns, int]:
    """One element from the ASCII value stream; constant list lengths take a vectorised path."""
    if el.count == 0:
        return {p.name: np.zeros(0) for p in el.props}, pos
    lengths, at = [], pos
    for p in el.props:
        if p.count_dtype is not None:
            if at >= len(values):
                break
            lengths.append(_list_length(path, el, values[at]))
            at += lengths[-1] + 1
        else:
            at += 1
    layout = _row_layout(el, lengths) if len(lengths) == _n_lists(el) else None
    stride = at - pos
    if layout is not None and pos + stride * el.count <= len(values):
        rows = values[pos : pos + stride * el.count].reshape(el.count, stride)
        if all(
            (rows[:, s] == w - 1).all()
            for (_, s, w), p in zip(layout, el.props, strict=True)
            if p.count_dtype is not None
        ):
            return _columns(rows, el, layout), pos + stride * el.count
    return _walk(path, el, values, pos)


def _read_binary(
    path: Path, data: bytes, pos: int, el: _Element, order: str
) -> tuple[Columns, int]:
    """One element from binary data; constant list lengths take a vectorised path."""
    fields, lengths, at = [], [], pos
    for p in el.props:
        item = np.dtype(order + p.dtype)
        if p.count_dtype is None:
            fields.append((p.name, item))
            at += item.itemsize
            continue
        count = np.dtype(order + p.count_dtype)
        if el.count == 0 or at + count.itemsize > len(data):
            break
        n = int(np.frombuffer(data, count, 1, at)[0])
        lengths.append(n)
        fields += [(p.name + "#n", count), (p.name, item, (n,))]
        at += count.itemsize + n * item.itemsize
    if el.count == 0:
        return {p.name: np.zeros(0) for p in el.props}, pos
    if len(lengths) == _n_lists(el):
        rows_dtype = np.dtype(fields)
        end = pos + rows_dtype.itemsize * el.count
        if end <= len(data):
            rows = np.frombuffer(data, rows_dtype, el.count, pos)
            if all(
                (rows[name] == n).all()
                for name, n in zip(
                    [p.name + "#n" for p in el.props if p.count_dtype], lengths, strict=True
                )
            ):
                out: Columns = {}
                for p in el.props:
                    if p.count_dtype is None:
                        out[p.name] = rows[p.name]
                    else:
                        flat = rows[p.name].reshape(-1)
                        out[p.name] = (flat, np.full(el.count, flat.size // el.count))
                return out, end
    scalars = {p.name: np.dtype(order + p.dtype) for p in el.props}
    counts = {p.name: np.dtype(order + p.count_dtype) for p in el.props if p.count_dtype}
    cursor = [pos]

    def read(dtype: np.dtype, n: int) -> np.ndarray:
        if cursor[0] + dtype.itemsize * n > len(data):
            raise ScanFormatError(path, f"binary data ends inside element {el.name!r} (truncated)")
        out = np.frombuffer(data, dtype, n, cursor[0])
        cursor[0] += dtype.itemsize * n
        return out

    columns: dict[str, list] = {p.name: [] for p in el.props}
    for _ in range(el.count):
        for p in el.props:
            if p.count_dtype is None:
                columns[p.name].append(read(scalars[p.name], 1)[0])
            else:
                n = int(read(counts[p.name], 1)[0])
                columns[p.name].append(read(scalars[p.name], n))
    return _pack(el, columns), cursor[0]


def _as_declared(path: Path, el: _Element, p: _Property, column: np.ndarray) -> np.ndarray:
    """An ASCII column in its declared type: integers must be whole and in the type's range
    (a ``uchar`` 300 would wrap to 44); a float overflowing float32 becomes inf, rejected later."""
    kind = np.dtype(p.dtype)
    if kind.kind in "iu" and len(column):
        info = np.iinfo(kind)
        fits = np.isfinite(column) & (column == np.round(column))
        fits &= (column >= info.min) & (column <= info.max)
        if not fits.all():
            bad = float(column[~fits][0])
            raise ScanFormatError(path, f"{el.name} property {p.name!r} ({kind}) holds {bad}")
    with np.errstate(over="ignore"):
        return column.astype(kind)


def _list_length(path: Path, el: _Element, value: float) -> int:
    """An ASCII list's length field, which must be a whole number ≥ 0."""
    if not (np.isfinite(value) and value >= 0 and value == int(value)):
        raise ScanFormatError(path, f"element {el.name!r} has a list length of {float(value)}")
    return int(value)


def _walk(path: Path, el: _Element, values: np.ndarray, pos: int) -> tuple[Columns, int]:
    """Row-by-row fallback for ASCII elements whose list lengths vary."""
    columns: dict[str, list] = {p.name: [] for p in el.props}
    for _ in range(el.count):
        for p in el.props:
            if pos >= len(values):
                raise ScanFormatError(path, f"data ends inside element {el.name!r} (truncated)")
            if p.count_dtype is None:
                columns[p.name].append(values[pos])
                pos += 1
            else:
                n = _list_length(path, el, values[pos])
                if pos + 1 + n > len(values):
                    raise ScanFormatError(path, f"data ends inside element {el.name!r}")
                columns[p.name].append(values[pos + 1 : pos + 1 + n])
                pos += 1 + n
    return _pack(el, columns), pos


def _pack(el: _Element, columns: dict[str, list]) -> Columns:
    out: Columns = {}
    for p in el.props:
        col = columns[p.name]
        if p.count_dtype is None:
            out[p.name] = np.asarray(col)
        else:
            lengths = np.array([len(c) for c in col], dtype=np.int64)
            out[p.name] = (np.concatenate(col) if col else np.zeros(0), lengths)
    return out


def _n_lists(el: _Element) -> int:
    return sum(p.count_dtype is not None for p in el.props)


def _sniff(head: bytes) -> bool:
    head = head.removeprefix(codecs.BOM_UTF8)
    return head.startswith(b"ply\n") or head.startswith(b"ply\r\n")


@register_reader("ply", (".ply",), sniff=_sniff)
def read_ply(path: str | Path, *, load_texture: bool = True, landmarks: bool = True) -> Scan:
    """Read a PLY mesh (``landmarks`` is accepted for a uniform reader interface)."""
    path = Path(path)
    try:
        data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    order, elements, comments, pos = _parse_header(path, data)
    values = None
    if order == "":  # ASCII: parsed in place, and the text dropped once it is numbers
        values = parse_numbers(data, np.float64, "PLY body", path, pos)
        data = b""
    found: dict[str, Columns] = {}
    at = 0
    for el in elements:
        if values is not None:
            found[el.name], at = _read_ascii(path, values, at, el)
            for p in el.props:  # keep the declared type (uchar colours are scaled by type)
                if p.count_dtype is None:
                    found[el.name][p.name] = _as_declared(path, el, p, found[el.name][p.name])
        else:
            found[el.name], pos = _read_binary(path, data, pos, el, order)
    if values is not None and at != len(values):
        raise ScanFormatError(path, f"{len(values) - at} values after the last element")
    if values is None and pos != len(data):
        raise ScanFormatError(path, f"{len(data) - pos} bytes after the last element")
    del values, data  # the columns are copies: keep the file's numbers out of the peak
    return _assemble(path, found, comments, load_texture)


def _assemble(path: Path, found: dict[str, Columns], comments: list[str], load: bool) -> Scan:
    vertex, face = found.get("vertex", {}), found.get("face", {})
    if not all(isinstance(vertex.get(k), np.ndarray) for k in "xyz"):
        raise ScanFormatError(path, "no vertex element with x, y, z properties")
    with np.errstate(invalid="ignore"):  # a signalling NaN in the file: rejected just below
        vertices = np.stack([vertex[k] for k in "xyz"], axis=1).astype(np.float64)
    if len(vertices) == 0:
        raise ScanFormatError(path, "zero vertices")
    if not np.isfinite(vertices).all():
        raise ScanFormatError(path, "vertex coordinates contain NaN or infinite values")
    key = next((k for k in ("vertex_indices", "vertex_index") if k in face), None)
    if key is None or not isinstance(face[key], tuple):
        raise ScanFormatError(path, "no face element with a vertex_indices list (zero faces)")
    flat, lengths = face[key]
    if len(lengths) == 0:
        raise ScanFormatError(path, "zero faces")
    if lengths.min() < 3:
        k = int(np.argmin(lengths))
        raise ScanFormatError(path, f"face {k} has {lengths[k]} vertices (need at least 3)")
    if flat.dtype.kind == "f" and not (np.isfinite(flat) & (flat == np.round(flat))).all():
        bad = flat[~(np.isfinite(flat) & (flat == np.round(flat)))][0]
        raise ScanFormatError(path, f"face index {float(bad)} is not an integer")
    if flat.min() < 0 or flat.max() >= len(vertices):  # before the cast: 1e30 would wrap
        bad = flat[(flat < 0) | (flat >= len(vertices))][0]
        raise ScanFormatError(
            path, f"face index {bad:.15g} out of range ({len(vertices)} vertices)"
        )
    flat = flat.astype(np.int64)
    faces = fan_triangulate(flat, lengths)
    colors = None
    if all(isinstance(vertex.get(k), np.ndarray) for k in ("red", "green", "blue")):
        raw = np.stack([vertex[k] for k in ("red", "green", "blue")], axis=1)
        with np.errstate(invalid="ignore"):  # NaN colours: check_geometry rejects them
            colors = raw / 255.0 if np.issubdtype(raw.dtype, np.integer) else raw.astype(np.float64)
        if colors.min() < 0 or colors.max() > 1:
            raise ScanFormatError(path, "vertex colours outside [0, 1] (or 0..255 for uchar)")
    uv = uv_faces = None
    if isinstance(face.get("texcoord"), tuple):
        t_flat, t_lengths = face["texcoord"]
        if not np.array_equal(t_lengths, 2 * lengths):
            raise ScanFormatError(path, "face texcoord lists do not hold 2 values per corner")
        uv = t_flat.reshape(-1, 2)
        uv_faces = fan_triangulate(np.arange(len(uv)), lengths)
    else:
        names = next((n for n in _UV_NAMES if all(k in vertex for k in n)), None)
        if names is not None:
            uv, uv_faces = np.stack([vertex[k] for k in names], axis=1), faces
    notes: list[str] = []
    texture_path = texture = None
    if uv is not None:
        if not np.isfinite(uv).all():
            raise ScanFormatError(path, "texture coordinates contain NaN or infinite values")
        named = [c.split(None, 1)[1] for c in comments if c.startswith("TextureFile ")]
        texture_path, note = resolve_texture(path.parent, named, [], "TextureFile comment")
        notes.append(note)
        if load and texture_path is not None:
            texture = load_texture_image(texture_path)
    return Scan(
        vertices,
        faces,
        colors=colors,
        uv=uv,
        uv_faces=uv_faces,
        texture=texture,
        texture_path=texture_path,
        path=path,
        notes=notes,
    )


def write_ply(path: str | Path, scan: Scan, texture_name: str | None = None) -> Path:
    """Write ``scan`` as binary little-endian PLY (colours as uchar, UVs per corner); atomic."""
    vertex = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if scan.colors is not None:
        vertex += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    face = [("n", "u1"), ("vertex_indices", "<i4", (3,))]
    has_uv = scan.uv is not None and scan.uv_faces is not None
    if has_uv:
        face += [("nt", "u1"), ("texcoord", "<f4", (6,))]
    header = ["ply", "format binary_little_endian 1.0"]
    if texture_name:
        header.append(f"comment TextureFile {texture_name}")
    header.append(f"element vertex {len(scan.vertices)}")
    header += [f"property {'float' if t == '<f4' else 'uchar'} {n}" for n, t in vertex]
    header += [f"element face {len(scan.faces)}", "property list uchar int vertex_indices"]
    if has_uv:
        header.append("property list uchar float texcoord")
    header.append("end_header\n")
    v = np.zeros(len(scan.vertices), dtype=vertex)
    for i, axis in enumerate("xyz"):
        v[axis] = scan.vertices[:, i]
    if scan.colors is not None:
        rgb = np.clip(np.round(scan.colors * 255), 0, 255).astype(np.uint8)
        v["red"], v["green"], v["blue"] = rgb.T
    f = np.zeros(len(scan.faces), dtype=face)
    f["n"], f["vertex_indices"] = 3, scan.faces
    if has_uv:
        f["nt"], f["texcoord"] = 6, scan.uv[scan.uv_faces].reshape(-1, 6)
    out = io.BytesIO()
    out.write("\n".join(header).encode("ascii"))
    out.write(v.tobytes())
    out.write(f.tobytes())
    return atomic_write_bytes(path, out.getvalue())

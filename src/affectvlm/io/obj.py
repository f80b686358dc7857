"""Wavefront ``.obj`` meshes: generic scans and BP4D frames (FORMATS §4).

Records: ``v x y z [r g b]``, ``vt u v``, ``f`` in the forms ``a``, ``a/t``, ``a//n`` and
``a/t/n`` (1-based or negative indices; one form per file), ``mtllib`` + ``usemtl`` with
``map_Kd`` for the texture; ``vn`` and other records are ignored. Parsing is vectorised
over whole record blocks. Texture policy: a missing ``.mtl`` or ``map_Kd`` file is an
error (the file names it); without ``mtllib`` a sibling ``<stem>.jpg``/``.png`` is used
and noted (BP4D pairs frames with images by name).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.numeric_text import parse_numbers
from affectvlm.io.polygons import fan_triangulate
from affectvlm.io.registry import register_reader
from affectvlm.io.scan import Scan
from affectvlm.io.texture import find_file, load_texture_image, resolve_texture

_COMMENT = re.compile(rb"#[^\n]*")
_LEADING_BLANKS = re.compile(rb"(?m)^[ \t]+")
_SLASH = bytes.maketrans(b"/", b" ")
_SNIFF = re.compile(rb"(?m)^(?:v|vt|vn|f|o|g|mtllib)[ \t]")


class _Lines:
    """Start/end offsets of every line and the record keyword class of each."""

    def __init__(self, data: bytes) -> None:
        b = np.frombuffer(data + b"\n\n\n", dtype=np.uint8)
        breaks = np.flatnonzero(b[: len(data)] == 10)
        self.starts = np.concatenate(([0], breaks + 1))
        self.ends = np.concatenate((breaks, [len(data)]))
        c0, c1, c2 = b[self.starts], b[self.starts + 1], b[self.starts + 2]
        blank1, blank2 = (c1 == 32) | (c1 == 9), (c2 == 32) | (c2 == 9)
        self.is_v = (c0 == ord("v")) & blank1
        self.is_vt = (c0 == ord("v")) & (c1 == ord("t")) & blank2
        self.is_f = (c0 == ord("f")) & blank1
        self.first = c0
        self.indented = bool(((c0 == 32) | (c0 == 9)).any())
        self.data = data

    def block(self, mask: np.ndarray) -> bytes:
        """The selected lines joined by newlines (contiguous runs are sliced, not copied)."""
        edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
        runs = zip(edges[0::2], edges[1::2] - 1, strict=True)
        return b"\n".join(self.data[self.starts[i] : self.ends[j]] for i, j in runs)

    def text(self, first_char: str, keyword: str) -> list[tuple[int, str]]:
        """(line number, rest of line) of every ``keyword`` record (few: mtllib, usemtl)."""
        out = []
        for i in np.flatnonzero(self.first == ord(first_char)):
            line = self.data[self.starts[i] : self.ends[i]].decode("utf-8", "replace")
            head, _, rest = line.partition(" ")
            if head == keyword:
                out.append((int(i) + 1, rest.strip()))
        return out


def _values_per_line(block: bytes) -> np.ndarray:
    """Number of values after the keyword on each line of a record block."""
    b = np.frombuffer(block, dtype=np.uint8)
    space = (b == 32) | (b == 9)
    starts = np.flatnonzero(space[:-1] & ~space[1:] & (b[1:] != 10)) + 1
    breaks = np.flatnonzero(b == 10)
    return np.bincount(np.searchsorted(breaks, starts), minlength=len(breaks) + 1)


def _sniff(head: bytes) -> bool:
    return _SNIFF.search(head) is not None and b"\0" not in head


def _records(
    path: Path, lines: _Lines, mask: np.ndarray, keyword: str, widths: tuple[int, ...]
) -> np.ndarray:
    """All ``keyword`` records as an (n, width) float array; every line must have one width."""
    if not mask.any():
        return np.zeros((0, widths[0]))
    block = lines.block(mask)
    counts = _values_per_line(block)
    line_no = np.flatnonzero(mask) + 1
    bad = np.flatnonzero((counts != counts[0]) | ~np.isin(counts, widths))
    if len(bad):
        k = int(bad[0])
        raise ScanFormatError(
            path,
            f"{keyword} record on line {line_no[k]} has {counts[k]} values "
            f"(expected {' or '.join(map(str, widths))}, the same on every line)",
        )
    values = parse_numbers(block.translate(None, keyword.encode()), np.float64, keyword, path)
    values = values.reshape(len(counts), int(counts[0]))
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        raise ScanFormatError(path, f"{keyword} record on line {line_no[bad[0]]} has NaN or inf")
    return values


def _faces(path: Path, lines: _Lines, n_v: int, n_vt: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(faces, uv_faces or None) from the ``f`` records, resolved and fan-triangulated."""
    if not lines.is_f.any():
        raise ScanFormatError(path, "no faces (f records)")
    block = lines.block(lines.is_f).translate(None, b"f")
    lengths = _values_per_line(block)
    line_no = np.flatnonzero(lines.is_f) + 1
    if lengths.min() < 3:
        k = int(np.argmin(lengths))
        raise ScanFormatError(path, f"face on line {line_no[k]} has {lengths[k]} vertices (< 3)")
    n_corners = int(lengths.sum())
    slashes, doubles = block.count(b"/"), block.count(b"//")
    forms = {(0, 0): 1, (n_corners, 0): 2, (2 * n_corners, 0): 3, (2 * n_corners, n_corners): 2}
    width = forms.get((slashes, doubles))
    if width is None:
        raise ScanFormatError(path, "f records mix the forms a, a/t, a//n and a/t/n")
    if doubles:
        block = block.replace(b"//", b" ")
    values = parse_numbers(block.translate(_SLASH), np.int64, "f", path)
    if values.size != n_corners * width:
        raise ScanFormatError(path, "malformed f records (corner fields do not line up)")
    values = values.reshape(n_corners, width)
    corner_line = np.repeat(line_no, lengths)
    # a negative index counts back from the records defined before that face's line
    v_before = np.repeat(np.cumsum(lines.is_v)[line_no - 1], lengths)
    faces = _resolve(path, values[:, 0], v_before, n_v, corner_line, "vertex")
    uv_faces = None
    if width == 3 or (width == 2 and not doubles):
        vt_before = np.repeat(np.cumsum(lines.is_vt)[line_no - 1], lengths)
        uv_corners = _resolve(path, values[:, 1], vt_before, n_vt, corner_line, "vt")
        uv_faces = fan_triangulate(uv_corners, lengths)
    return fan_triangulate(faces, lengths), uv_faces


def _resolve(
    path: Path, index: np.ndarray, before: np.ndarray, count: int, line: np.ndarray, what: str
) -> np.ndarray:
    if (index == 0).any():
        k = int(np.flatnonzero(index == 0)[0])
        raise ScanFormatError(path, f"{what} index 0 on line {line[k]} (OBJ indices are 1-based)")
    resolved = np.where(index < 0, before + index, index - 1)
    bad = np.flatnonzero((resolved < 0) | (resolved >= count))
    if len(bad):
        k = int(bad[0])
        raise ScanFormatError(
            path, f"{what} index {index[k]} on line {line[k]} is out of range ({count} defined)"
        )
    return resolved


def _material_texture(path: Path, lines: _Lines, notes: list[str]) -> tuple[Path | None, bool]:
    """(texture file, whether a material named it) from ``mtllib``/``usemtl``/``map_Kd``."""
    libraries = [name for _, rest in lines.text("m", "mtllib") for name in rest.split()]
    if not libraries:
        return None, False
    maps: dict[str, tuple[str, Path]] = {}
    for name in libraries:
        mtl, _ = find_file(path.parent, name)
        if mtl is None:
            raise ScanFormatError(path, f"mtllib {name!r} not found")
        material = None
        for line in mtl.read_text(encoding="utf-8", errors="replace").splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0] == "newmtl":
                material = fields[1]
                maps.setdefault(material, ("", mtl))
            elif len(fields) >= 2 and fields[0] == "map_Kd" and material is not None:
                maps[material] = (fields[-1], mtl)
    used = [rest for _, rest in lines.text("u", "usemtl")] or list(maps)
    for name in used:
        if name not in maps:
            raise ScanFormatError(path, f"usemtl {name!r} is not defined in {', '.join(libraries)}")
    textures = {maps[name] for name in used if maps[name][0]}
    if len(textures) > 1:
        notes.append(f"{len(textures)} different map_Kd textures; no texture attached")
        return None, True
    if not textures:
        return None, True
    ((image, mtl),) = textures
    found, _ = find_file(mtl.parent, image)
    if found is None:
        raise ScanFormatError(path, f"texture {image!r} named by map_Kd in {mtl.name} not found")
    notes.append(f"texture from map_Kd {image!r} in {mtl.name}")
    return found, True


@register_reader("obj", (".obj",), sniff=_sniff)
def read_obj(path: str | Path, *, load_texture: bool = True, landmarks: bool = True) -> Scan:
    """Read an OBJ mesh (``landmarks`` is accepted for a uniform reader interface)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\\\n" in data:
        data = data.replace(b"\\\n", b" ")
    if b"#" in data:
        data = _COMMENT.sub(b"", data)
    lines = _Lines(data)
    if lines.indented:
        lines = _Lines(_LEADING_BLANKS.sub(b"", data))
    v = _records(path, lines, lines.is_v, "v", (3, 4, 6))
    if len(v) == 0:
        raise ScanFormatError(path, "no vertices (v records)")
    vt = _records(path, lines, lines.is_vt, "vt", (2, 3))
    faces, uv_faces = _faces(path, lines, len(v), len(vt))
    notes: list[str] = []
    colors = None
    if v.shape[1] == 6:
        colors = v[:, 3:]
        if colors.min() < 0 or colors.max() > 255:
            raise ScanFormatError(path, "v colours outside [0, 1] (or [0, 255])")
        if colors.max() > 1:
            colors = colors / 255.0
            notes.append("v colours in [0, 255] scaled to [0, 1]")
    texture_path = texture = None
    if uv_faces is not None:
        texture_path, from_material = _material_texture(path, lines, notes)
        if not from_material:
            siblings = [f"{path.stem}.jpg", f"{path.stem}.png"]
            texture_path, note = resolve_texture(path.parent, [], siblings, "mtllib")
            notes.append(note)
        if load_texture and texture_path is not None:
            texture = load_texture_image(texture_path)
    return Scan(
        v[:, :3],
        faces,
        colors=colors,
        uv=vt[:, :2] if uv_faces is not None else None,
        uv_faces=uv_faces,
        texture=texture,
        texture_path=texture_path,
        path=path,
        notes=notes,
    )


def write_obj(path: str | Path, scan: Scan) -> Path:
    """Write ``scan`` as OBJ (``v`` with colours if any, ``vt`` + ``f a/t`` if UVs); atomic."""
    out = io.BytesIO()
    if scan.colors is not None:
        np.savetxt(out, np.hstack([scan.vertices, scan.colors]), fmt="v" + " %.9g" * 6)
    else:
        np.savetxt(out, scan.vertices, fmt="v" + " %.9g" * 3)
    faces = scan.faces + 1
    if scan.uv is not None and scan.uv_faces is not None:
        np.savetxt(out, scan.uv, fmt="vt %.9g %.9g")
        corners = np.stack([faces, scan.uv_faces + 1], axis=2).reshape(-1, 6)
        np.savetxt(out, corners, fmt="f %d/%d %d/%d %d/%d")
    else:
        np.savetxt(out, faces, fmt="f %d %d %d")
    return atomic_write_bytes(path, out.getvalue())

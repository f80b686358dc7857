"""VRML 2.0 ``.wrl`` face meshes of BU-3DFE and BU-4DFE (FORMATS §0, §1.4–1.7, §2.3–2.4).

Shapes are found through any grouping node (``Transform``, ``Group``, ...); several Shapes
are merged explicitly and noted. Polygons are fan-triangulated with ``uv_faces`` kept
aligned. The texture is the ``ImageTexture`` url if that file exists, else the sibling
``<stem>.jpg`` (BU-4DFE); ``scan.notes`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.io.bnd import read_bnd
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.polygons import fan_triangulate, split_terminated
from affectvlm.io.registry import register_reader
from affectvlm.io.scan import Scan
from affectvlm.io.texture import (
    OUTSIDE_NOTE,
    find_file,
    load_texture_image,
    outside_folder,
    resolve_texture,
)
from affectvlm.io.vrml_syntax import Node, NumberList, Parser, check_header

_BOM = b"\xef\xbb\xbf"
_GROUPS = ("Group", "Collision", "Anchor", "Billboard")
MAX_NODE_VISITS = 100_000
"""Most grouping/Shape nodes visited while collecting Shapes (a face file has a handful)."""
MAX_INSTANCED_VERTICES = 10_000
"""Vertices that ``USE`` of a geometry may add beyond doubling the file's own: keeps memory
within a small multiple of the file however often a small file repeats one Shape."""


@dataclass
class _Part:
    """One IndexedFaceSet as arrays, already in world coordinates."""

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray | None
    uv_faces: np.ndarray | None
    colors: np.ndarray | None
    urls: tuple[str, ...]


def _sniff(head: bytes) -> bool:
    return head.removeprefix(_BOM).startswith(b"#VRML")


@register_reader("vrml", (".wrl", ".vrml"), sniff=_sniff)
def read_wrl(path: str | Path, *, load_texture: bool = True, landmarks: bool = True) -> Scan:
    """Read a VRML 2.0 face mesh; with ``landmarks`` attach a sibling ``<stem>.bnd``."""
    path = Path(path)
    try:
        data = path.read_bytes().removeprefix(_BOM)
    except OSError as exc:
        raise ScanFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    check_header(data, path)
    parser = Parser(data, path)
    shapes = _collect_shapes(parser.parse(), path)
    notes: list[str] = []
    parts = _read_parts(shapes, parser, notes)
    if not parts:
        raise ScanFormatError(path, "no IndexedFaceSet found")
    if any(not np.allclose(m, np.eye(4)) for _, m in shapes):
        notes.append("applied a non-identity Transform to the vertices")
    part = _merge(parts, notes)
    texture_path = texture = None
    if part.uv is not None:
        siblings = [f"{path.stem}.jpg"]
        texture_path, note = resolve_texture(path.parent, part.urls, siblings, "ImageTexture url")
        notes.append(note)
        if load_texture and texture_path is not None:
            texture = load_texture_image(texture_path)
    elif part.urls:
        notes.append("ImageTexture ignored: the IndexedFaceSet has no texCoord")
    scan = Scan(
        part.vertices,
        part.faces,
        colors=part.colors,
        uv=part.uv,
        uv_faces=part.uv_faces,
        texture=texture,
        texture_path=texture_path,
        path=path,
        notes=notes,
    )
    if landmarks:
        bnd, _ = find_file(path.parent, f"{path.stem}.bnd")
        if bnd is not None:
            scan.landmarks = read_bnd(bnd, n_vertices=len(scan.vertices)).points
            notes.append(f"landmarks from {bnd.name}")
        elif outside_folder(path.parent, f"{path.stem}.bnd"):
            notes.append(f"landmarks {path.stem}.bnd {OUTSIDE_NOTE}")
    return scan


def _read_parts(
    shapes: list[tuple[Node, np.ndarray]], parser: Parser, notes: list[str]
) -> list[_Part]:
    """Each Shape's IndexedFaceSet in world coordinates; ``USE`` repeats are budgeted."""
    parts, first_count, repeated = [], {}, 0
    for shape, matrix in shapes:
        geometry = shape.fields.get("geometry")
        if not (isinstance(geometry, Node) and geometry.type == "IndexedFaceSet"):
            kind = geometry.type if isinstance(geometry, Node) else "missing"
            notes.append(f"skipped a Shape whose geometry is {kind}, not IndexedFaceSet")
            continue
        if id(geometry) in first_count:
            repeated += first_count[id(geometry)]
            own = sum(first_count.values())
            if repeated > own + MAX_INSTANCED_VERTICES:
                raise ScanFormatError(
                    parser.path,
                    f"USE repeats geometry into {repeated} extra vertices, more than the "
                    f"file's own {own} + {MAX_INSTANCED_VERTICES} (MAX_INSTANCED_VERTICES)",
                )
        parts.append(_read_face_set(geometry, shape, matrix, parser))
        first_count.setdefault(id(geometry), len(parts[-1].vertices))
    return parts


def _children(value: Any) -> list[Node]:
    if isinstance(value, Node):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Node)]
    return []


def _collect_shapes(nodes: list[Node], path: Path) -> list[tuple[Node, np.ndarray]]:
    """Depth-first, in file order: every Shape reachable through grouping nodes, with its
    world matrix. Iterative, and bounded: ``USE`` can make a small file reach a node
    exponentially often (see also :data:`MAX_INSTANCED_VERTICES`)."""
    out: list[tuple[Node, np.ndarray]] = []
    stack = [(node, np.eye(4)) for node in reversed(nodes)]
    visits = 0
    while stack:
        node, matrix = stack.pop()
        visits += 1
        if visits > MAX_NODE_VISITS:
            raise ScanFormatError(
                path, f"more than {MAX_NODE_VISITS} nodes reached (USE repeats a group too often)"
            )
        fields = node.fields
        if node.type == "Shape":
            out.append((node, matrix))
            continue
        if node.type == "Transform":
            with np.errstate(over="ignore", invalid="ignore"):
                matrix = matrix @ _transform_matrix(fields, path)
            if not np.isfinite(matrix).all():
                raise ScanFormatError(path, "nested Transforms overflow (non-finite matrix)")
            children = _children(fields.get("children"))
        elif node.type in _GROUPS:
            children = _children(fields.get("children"))
        elif node.type == "Switch":
            which = _vector(fields, "whichChoice", (-1.0,), path)[0]
            if which != int(which):
                raise ScanFormatError(path, f"Switch whichChoice {which} is not an integer")
            choice = _children(fields.get("choice"))
            children = choice[int(which) : int(which) + 1] if which >= 0 else []
        elif node.type == "LOD":  # the first level is the most detailed
            children = _children(fields.get("level"))[:1]
        else:
            continue
        stack.extend((child, matrix) for child in reversed(children))
    return out


def _vector(fields: dict, name: str, default: tuple[float, ...], path: Path) -> np.ndarray:
    value = fields.get(name, default)
    if not isinstance(value, tuple) or len(value) != len(default):
        raise ScanFormatError(path, f"field {name} needs {len(default)} numbers, got {value!r}")
    vector = np.asarray(value, dtype=np.float64)
    if not np.isfinite(vector).all():
        raise ScanFormatError(path, f"field {name} has a NaN or infinite value: {value!r}")
    return vector


def _rotation(axis_angle: np.ndarray) -> np.ndarray:
    axis, angle = axis_angle[:3], axis_angle[3]
    norm = np.linalg.norm(axis)
    if norm == 0 or angle == 0:
        return np.eye(3)
    x, y, z = axis / norm
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _transform_matrix(fields: dict, path: Path) -> np.ndarray:
    """VRML97 Transform: T · C · R · SR · S · SR⁻¹ · C⁻¹."""
    center = _vector(fields, "center", (0.0, 0.0, 0.0), path)
    orient = _rotation(_vector(fields, "scaleOrientation", (0.0, 0.0, 1.0, 0.0), path))
    scale = np.diag(_vector(fields, "scale", (1.0, 1.0, 1.0), path))
    linear = _rotation(_vector(fields, "rotation", (0.0, 0.0, 1.0, 0.0), path))
    linear = linear @ orient @ scale @ orient.T
    out = np.eye(4)
    out[:3, :3] = linear
    out[:3, 3] = _vector(fields, "translation", (0.0, 0.0, 0.0), path) + center - linear @ center
    return out


def _numbers(value: Any, dtype: type, what: str, parser: Parser, pos: int) -> np.ndarray:
    if isinstance(value, NumberList):
        return value.parse(dtype, what, parser.path)
    if isinstance(value, tuple):  # a single value written without brackets
        return np.asarray(value, dtype=dtype)
    parser.fail(f"{what} is not a list of numbers", pos)


def _points(node: Any, field: str, width: int, what: str, parser: Parser, pos: int) -> np.ndarray:
    if not isinstance(node, Node) or field not in node.fields:
        parser.fail(f"IndexedFaceSet has no {what}", pos)
    values = _numbers(node.fields[field], np.float64, what, parser, node.pos)
    if values.size % width:
        parser.fail(f"{what} has {values.size} numbers, not a multiple of {width}", node.pos)
    if not np.isfinite(values).all():
        parser.fail(f"{what} has a NaN or infinite value", node.pos)
    return values.reshape(-1, width)


def _absent(index: Any) -> bool:
    """Whether an optional index field is missing or an empty list."""
    return index is None or (isinstance(index, NumberList) and index.is_blank())


def _polygons(
    value: Any, what: str, n_targets: int, target: str, parser: Parser, pos: int
) -> tuple[np.ndarray, np.ndarray]:
    """(corners, lengths) of a ``-1``-terminated index list, range-checked against ``target``."""
    indices = _numbers(value, np.int64, what, parser, pos)
    if indices.size == 0 or (indices == -1).all():
        parser.fail(f"{what} is empty (zero faces)", pos)
    if indices.min() < -1:
        parser.fail(f"{what} has index {indices.min()} < -1", pos)
    if indices.max() >= n_targets:
        parser.fail(
            f"{what} refers to index {indices.max()} but {target} has {n_targets} entries", pos
        )
    corners, lengths = split_terminated(indices)
    if (lengths < 3).any():
        k = int(np.flatnonzero(lengths < 3)[0])
        parser.fail(f"{what} polygon {k} has {lengths[k]} vertices (need at least 3)", pos)
    return corners, lengths


def _aligned(
    corners: np.ndarray, lengths: np.ndarray, ref: np.ndarray, what: str, parser: Parser, pos: int
) -> None:
    if len(lengths) != len(ref):
        parser.fail(f"{what} has {len(lengths)} polygons but coordIndex has {len(ref)}", pos)
    if (lengths != ref).any():
        k = int(np.flatnonzero(lengths != ref)[0])
        parser.fail(
            f"{what} polygon {k} has {lengths[k]} vertices but coordIndex polygon has {ref[k]}",
            pos,
        )


def _read_face_set(ifs: Node, shape: Node, matrix: np.ndarray, parser: Parser) -> _Part:
    f = ifs.fields
    vertices = _points(f.get("coord"), "point", 3, "coord point", parser, ifs.pos)
    if len(vertices) == 0:
        parser.fail("coord has no points (zero vertices)", ifs.pos)
    if "coordIndex" not in f:
        parser.fail("IndexedFaceSet has no coordIndex", ifs.pos)
    n = len(vertices)
    corners, lengths = _polygons(f["coordIndex"], "coordIndex", n, "coord", parser, ifs.pos)
    faces = fan_triangulate(corners, lengths)
    uv = uv_faces = None
    if "texCoord" in f:
        uv = _points(f["texCoord"], "point", 2, "texCoord point", parser, ifs.pos)
        tex_index = f.get("texCoordIndex")
        if _absent(tex_index):
            if len(uv) < n:  # texCoordIndex absent: texCoord is indexed by coordIndex
                parser.fail(f"texCoord has {len(uv)} points, fewer than coord ({n})", ifs.pos)
            uv_faces = faces.copy()
        else:
            t_corners, t_lengths = _polygons(
                tex_index, "texCoordIndex", len(uv), "texCoord", parser, ifs.pos
            )
            _aligned(t_corners, t_lengths, lengths, "texCoordIndex", parser, ifs.pos)
            uv_faces = fan_triangulate(t_corners, lengths)
    colors = _vertex_colors(f, corners, lengths, n, parser, ifs.pos) if "color" in f else None
    if not np.allclose(matrix, np.eye(4)):
        with np.errstate(over="ignore", invalid="ignore"):
            vertices = vertices @ matrix[:3, :3].T + matrix[:3, 3]
        if not np.isfinite(vertices).all():
            parser.fail("coord point is NaN or infinite after its Transform", ifs.pos)
    return _Part(vertices, faces, uv, uv_faces, colors, _texture_urls(shape))


def _vertex_colors(
    f: dict, corners: np.ndarray, lengths: np.ndarray, n: int, parser: Parser, pos: int
) -> np.ndarray:
    if f.get("colorPerVertex", "TRUE") == "FALSE":
        parser.fail("per-face colours (colorPerVertex FALSE) are not supported", pos)
    colors = _points(f["color"], "color", 3, "Color color", parser, pos)
    if colors.size and (colors.min() < 0 or colors.max() > 1):
        parser.fail("Color values must lie in [0, 1]", pos)
    color_index = f.get("colorIndex")
    if _absent(color_index):
        if len(colors) < n:
            parser.fail(f"Color has {len(colors)} colours for {n} vertices", pos)
        return colors[:n]
    c_corners, c_lengths = _polygons(color_index, "colorIndex", len(colors), "Color", parser, pos)
    _aligned(c_corners, c_lengths, lengths, "colorIndex", parser, pos)
    per_vertex = np.zeros((n, 3))
    per_vertex[corners] = colors[c_corners]
    if np.abs(per_vertex[corners] - colors[c_corners]).max() > 1e-6:
        parser.fail("colorIndex gives one vertex several colours (unsupported)", pos)
    return per_vertex


def _texture_urls(shape: Node) -> tuple[str, ...]:
    appearance = shape.fields.get("appearance")
    texture = appearance.fields.get("texture") if isinstance(appearance, Node) else None
    if isinstance(texture, Node) and texture.type == "ImageTexture":
        url = texture.fields.get("url", [])
        return tuple(u for u in url if isinstance(u, str)) if isinstance(url, list) else ()
    return ()


def _merge(parts: list[_Part], notes: list[str]) -> _Part:
    """One mesh from several Shapes: indices offset, UVs/colours kept only if all agree."""
    if len(parts) == 1:
        return parts[0]
    sizes = ", ".join(str(len(p.vertices)) for p in parts)
    notes.append(f"merged {len(parts)} Shapes ({sizes} vertices) into one mesh")
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    faces = np.concatenate([p.faces + o for p, o in zip(parts, offsets, strict=True)])
    merged = _Part(np.concatenate([p.vertices for p in parts]), faces, None, None, None, ())
    if all(p.uv is not None and p.urls == parts[0].urls for p in parts):
        uv_offsets = np.cumsum([0] + [len(p.uv) for p in parts[:-1]])
        merged.uv = np.concatenate([p.uv for p in parts])
        merged.uv_faces = np.concatenate(
            [p.uv_faces + o for p, o in zip(parts, uv_offsets, strict=True)]
        )
        merged.urls = parts[0].urls
    elif any(p.uv is not None for p in parts):
        notes.append("dropped texture coordinates: the Shapes do not all share one texture")
    if all(p.colors is not None for p in parts):
        merged.colors = np.concatenate([p.colors for p in parts])
    elif any(p.colors is not None for p in parts):
        notes.append("dropped vertex colours: not every Shape has them")
    return merged

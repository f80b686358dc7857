"""Byte-exact writers for the datasets' file formats (FORMATS.md §1–§4), vectorised.

Numbers are formatted with one ``%`` of a repeated template over a flattened array. Text that
depends only on the mesh topology (index lists, UVs) is formatted once per face model.
"""

from __future__ import annotations

import io
import struct
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image

from affectvlm.synth.face import FaceModel

VrmlStyle = Literal["bu3dfe", "bu4dfe"]
BNT_BACKGROUND = -1.0e9
BP4D_AUS: tuple[int, ...] = (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24)

_VIEWPOINTS = {
    "Front": "0 0 600",
    "Back": "0 0 -600",
    "Left": "-600 0 0",
    "Right": "600 0 0",
    "Top": "0 600 0",
    "Bottom": "0 -600 0",
}
_ORIENT = {
    "Front": "0 1 0 0",
    "Back": "0 1 0 3.14159",
    "Left": "0 1 0 -1.5708",
    "Right": "0 1 0 1.5708",
    "Top": "1 0 0 -1.5708",
    "Bottom": "1 0 0 1.5708",
}


def format_rows(template: str, values: np.ndarray, last: str | None = None) -> str:
    """``template`` repeated per row of ``values`` and filled in one ``%``.

    ``last`` replaces the template for the final row (e.g. without the trailing comma).
    """
    values = np.asarray(values)
    n = len(values)
    if n == 0:
        return ""
    body = (template * (n - 1) + (last if last is not None else template)) % tuple(
        values.ravel().tolist()
    )
    return body


def _indent(level: int) -> str:
    return " " * (8 * level)


@lru_cache(maxsize=16)
def _vrml_topology(model: FaceModel, style: VrmlStyle) -> tuple[str, str, str]:
    """``coordIndex``, ``texCoord`` points and ``texCoordIndex`` bodies (shared by a model)."""
    if style == "bu3dfe":
        index = format_rows("%d %d %d -1,\n", model.faces, "%d %d %d -1\n")
    else:
        index = format_rows("%d, %d, %d, -1,\n", model.faces, "%d, %d, %d, -1\n")
    uv = format_rows("%.6f %.6f,\n", model.uv, "%.6f %.6f\n")
    return index, uv, index


def format_vrml(
    vertices: np.ndarray, model: FaceModel, texture_name: str, style: VrmlStyle = "bu3dfe"
) -> bytes:
    """A VRML 2.0 face: BU-3DFE ``Transform`` + Viewpoints, or BU-4DFE ``Group`` + commas."""
    index, uv, uv_index = _vrml_topology(model, style)
    points = format_rows("%.3f %.3f %.3f,\n", vertices, "%.3f %.3f %.3f\n")
    i = _indent
    if style == "bu3dfe":
        head = ["#VRML V2.0 utf8", "# AffectVLM synthetic face (Tricorder-style layout)"]
        head.append("DEF Tricorder_object Transform {")
    else:
        head = ["#VRML V2.0 utf8", "# AffectVLM synthetic 4D frame", "Group {"]
    parts = [
        "\n".join(head),
        f"{i(1)}children [",
        f"{i(2)}Shape {{",
        f"{i(3)}appearance Appearance {{",
        f"{i(4)}texture ImageTexture {{",
        f'{i(5)}url "{texture_name}"',
        f"{i(5)}repeatS FALSE",
        f"{i(5)}repeatT FALSE",
        f"{i(4)}}}",
        f"{i(3)}}}",
        f"{i(3)}geometry IndexedFaceSet {{",
        f"{i(4)}ccw TRUE",
        f"{i(4)}solid FALSE",
        f"{i(4)}convex TRUE",
        f"{i(4)}creaseAngle 1.57",
        f"{i(4)}coord Coordinate {{",
        f"{i(5)}point [",
        points + f"{i(5)}]",
        f"{i(4)}}}",
        f"{i(4)}coordIndex [",
        index + f"{i(4)}]",
        f"{i(4)}texCoord TextureCoordinate {{",
        f"{i(5)}point [",
        uv + f"{i(5)}]",
        f"{i(4)}}}",
        f"{i(4)}texCoordIndex [",
        uv_index + f"{i(4)}]",
        f"{i(3)}}}",
        f"{i(2)}}}",
        f"{i(1)}]",
        "}",
    ]
    if style == "bu3dfe":
        for name, position in _VIEWPOINTS.items():
            fields = [
                f"position {position}",
                f"orientation {_ORIENT[name]}",
                "fieldOfView 0.5",
                f'description "{name}"',
            ]
            body = "".join(f"{i(1)}{line}\n" for line in fields)
            parts.append(f"DEF Tricorder_Camera_{name} Viewpoint {{\n{body}}}")
    return ("\n".join(parts) + "\n").encode("ascii")


def format_bnd(indices: np.ndarray, points: np.ndarray) -> bytes:
    """BU-3DFE ``.bnd``: one ``index<TAB><TAB>x<TAB><TAB>y<TAB><TAB>z`` line per landmark."""
    rows = np.empty((len(indices), 4), dtype=object)
    rows[:, 0] = np.asarray(indices, dtype=np.int64).tolist()
    rows[:, 1:] = np.asarray(points, dtype=np.float64).tolist()
    return format_rows("%d\t\t%.3f\t\t%.3f\t\t%.3f\n", rows).encode("ascii")


def format_bnt(xyz: np.ndarray, uv: np.ndarray, image_name: str) -> bytes:
    """Bosphorus ``.bnt`` (little-endian): grid ``(rows, cols, 3)`` with NaN for background.

    Row 0 of the grid is the chin side (the file stores the range image bottom→top).
    """
    rows, cols = xyz.shape[:2]
    name = image_name.encode("ascii")
    missing = np.isnan(xyz).any(axis=2)
    xyz = np.where(missing[..., None], BNT_BACKGROUND, xyz)
    blocks = np.concatenate([xyz.transpose(2, 0, 1), uv.transpose(2, 0, 1)], axis=0)
    count = blocks.size
    header = struct.pack("<HHdH", rows, cols, BNT_BACKGROUND, len(name)) + name
    return header + struct.pack("<I", count) + blocks.astype("<f8").tobytes()


def format_lm3(labels: list[str], points: np.ndarray) -> bytes:
    """Bosphorus ``.lm3``: header, count line, then label / ``x y z`` line pairs."""
    rows = np.empty((len(labels), 4), dtype=object)
    rows[:, 0] = labels
    rows[:, 1:] = np.asarray(points, dtype=np.float64).tolist()
    body = format_rows("%s\n%.3f %.3f %.3f\n", rows)
    return f"# 3D Landmark File\n\n{len(labels)} landmarks:\n{body}".encode("ascii")


def format_lm2(labels: list[str], pixels: np.ndarray) -> bytes:
    """Bosphorus ``.lm2``: header, count, labels, then ``x y`` image coordinates."""
    coords = format_rows("%.6f %.6f\n", np.asarray(pixels, dtype=np.float64))
    text = (
        f"# 2D Landmark File\n\n{len(labels)} landmarks\n\nLabels:\n"
        + "".join(f"{label}\n" for label in labels)
        + f"\n2D Image coordinates:\n{coords}"
    )
    return text.encode("ascii")


@lru_cache(maxsize=16)
def _obj_topology(model: FaceModel) -> tuple[str, str]:
    uv = format_rows("vt %.6f %.6f\n", model.uv)
    one_based = np.repeat(model.faces + 1, 2, axis=1)
    faces = format_rows("f %d/%d %d/%d %d/%d\n", one_based)
    return uv, faces


def format_obj(vertices: np.ndarray, model: FaceModel, mtl_name: str) -> bytes:
    """Wavefront OBJ with ``v``, ``vt`` and ``f a/t b/t c/t`` records and an ``mtllib``."""
    uv, faces = _obj_topology(model)
    head = f"# AffectVLM synthetic frame\nmtllib {mtl_name}\n"
    points = format_rows("v %.3f %.3f %.3f\n", vertices)
    return (head + points + uv + "usemtl face\n" + faces).encode("ascii")


def format_mtl(texture_name: str) -> bytes:
    return (
        f"newmtl face\nKa 1.000 1.000 1.000\nKd 1.000 1.000 1.000\nmap_Kd {texture_name}\n"
    ).encode("ascii")


def format_au_csv(frame_numbers: np.ndarray, occurrence: np.ndarray) -> bytes:
    """BP4D ``AU_OCC`` CSV: header ``Frame,1,2,…``, one 0/1 row per frame."""
    table = np.column_stack([frame_numbers, occurrence]).astype(np.int64)
    header = "Frame," + ",".join(str(au) for au in BP4D_AUS) + "\n"
    row = ",".join(["%d"] * table.shape[1]) + "\n"
    return (header + format_rows(row, table)).encode("ascii")


def encode_image(image: np.ndarray, fmt: Literal["BMP", "JPEG", "PNG"]) -> bytes:
    """Encode an ``(H, W, 3) uint8`` image; deterministic bytes for the same pixels."""
    buffer = io.BytesIO()
    options = {"quality": 92} if fmt == "JPEG" else {}
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format=fmt, **options)
    return buffer.getvalue()

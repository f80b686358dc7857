"""Seed files, mutations and the soundness check of the reader fuzz suite (``test_fuzz.py``).

Seeds are small valid scans of every format, each with its companion files (texture,
landmarks, material): one face-sized mesh (a 9 × 8 grid in millimetres, a bump for a nose)
written in the layout of each dataset and in the generic formats, with the fixture helpers of
``make_fixtures.py`` where they exist. Mutations are the damage a truncated, corrupted or
hostile file shows.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from make_fixtures import VIEWPOINT, bnt_bytes, shape, wrl
from PIL import Image

from affectvlm.io import Scan, ScanFormatError, read_scan, write_ply

MEMORY_FACTOR = 3  # peak traced memory of one read ≤ MEMORY_FACTOR × input bytes + MEMORY_SLACK,
MEMORY_SLACK = 4 << 20  # plus MEMORY_FACTOR × the decoded size of the texture images
_IMAGES = (".bmp", ".jpg", ".png")


@dataclass(frozen=True)
class Seed:
    """A valid scan: ``files[main]`` is read with ``read_scan``, the others are its companions."""

    name: str
    main: str
    files: dict[str, bytes]


def face_mesh(rows: int = 9, cols: int = 8) -> Scan:
    """A face-sized height field (140 × 180 mm, nose 25 mm high) with grid UVs and colours."""
    u, v = np.meshgrid(np.linspace(0, 1, cols), np.linspace(0, 1, rows))
    x, y = 140 * u - 70, 180 * v - 90
    z = 30 * np.exp(-(x**2 + y**2) / 6000) + 25 * np.exp(-(x**2 + (y - 10) ** 2) / 150)
    cell = np.arange(rows * cols).reshape(rows, cols)
    a, b, c, d = cell[:-1, :-1], cell[:-1, 1:], cell[1:, :-1], cell[1:, 1:]
    faces = np.concatenate([np.stack([a, b, d], -1), np.stack([a, d, c], -1)]).reshape(-1, 3)
    return Scan(
        np.round(np.stack([x, y, z], -1).reshape(-1, 3), 3),
        faces,
        colors=np.linspace(0.0, 1.0, 3 * rows * cols).reshape(-1, 3),
        uv=np.stack([u, v], -1).reshape(-1, 2),
        uv_faces=faces,
    )


def _image(fmt: str) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def _rows(values: np.ndarray, template: str, sep: str = ",\n") -> str:
    return sep.join(template % tuple(row) for row in np.asarray(values).tolist())


def _vrml(scan: Scan, url: str, commas: bool) -> bytes:
    """The BU-3DFE layout (``Transform`` + Viewpoint), or BU-4DFE's (``Group``, comma lists)."""
    index = _rows(scan.faces, "%d, %d, %d, -1" if commas else "%d %d %d -1", ",\n")
    points, uv = _rows(scan.vertices, "%.3f %.3f %.3f"), _rows(scan.uv, "%.6f %.6f")
    body = shape(points, index, uv, index, url=url)
    if commas:
        return wrl(body, container="Group")
    return wrl(body, tail=VIEWPOINT)


def _vrml_kitchen_sink(scan: Scan, texture: str) -> bytes:
    """The face in the VRML a generic exporter writes: DEF/USE, PROTO, Switch, LOD, a rotating
    Transform, per-vertex colours, comments inside lists, strings with brackets, a ROUTE."""
    points = _rows(scan.vertices, "%.3f %.3f %.3f  # p")
    index = _rows(scan.faces, "%d, %d, %d, -1,", " ")
    body = (
        f'DEF S Shape {{ appearance Appearance {{ texture ImageTexture {{ url [ "{texture}" ] }} }}'
        f"\n geometry IndexedFaceSet {{ coord DEF C Coordinate {{ point [\n{points}\n] }}\n"
        f"coordIndex [ {index} ]\ncolor Color {{ color [ {_rows(scan.colors, '%.2f %.2f %.2f')}"
        " ] } colorPerVertex TRUE\n"
        f"texCoord TextureCoordinate {{ point [ {_rows(scan.uv, '%.4f %.4f')} ] }} }} }}"
    )
    text = (
        "#VRML V2.0 utf8\n# exported by a generic tool\n"
        "PROTO Marker [ field SFFloat size 1 ] { Group { children [ ] } }\n"
        'WorldInfo { title "face {1}" info [ "a ] b" ] }\n'
        "DEF T Transform { translation 0 0 -5 rotation 0 1 0 0.1 scale 1 1 1 center 0 0 1\n"
        f" children [ {body} ] }}\n"
        "Switch { whichChoice 0 choice [ Group { children [ USE S ] } ] }\n"
        "LOD { level [ Transform { translation 1 0 0 children USE S } Group { } ] }\n"
        "DEF V Viewpoint { position 0 0 600 }\nROUTE V.isBound TO T.set_translation\n"
    )
    return text.encode()


def _bnt(scan: Scan, rows: int = 9, cols: int = 8) -> bytes:
    """Bosphorus planes (rows bottom→top) with the two top corners as background."""
    background = -1e9
    xyz = scan.vertices.astype(np.float64).reshape(rows, cols, 3)[::-1].copy()
    xyz[-1, [0, -1]] = background
    uv = scan.uv.astype(np.float64).reshape(rows, cols, 2)[::-1]
    planes = np.concatenate([xyz.transpose(2, 0, 1), uv.transpose(2, 0, 1)])
    values = planes.ravel().tolist()
    return bnt_bytes(rows, cols, background, b"bs000_N_N_0.png", values=values)


def landmark_files(scan: Scan | None = None) -> dict[str, bytes]:
    """A valid ``.bnd`` (83 rows), ``.lm3`` and ``.lm2`` for ``scan``, by suffix."""
    scan = scan or face_mesh()
    index = np.arange(83) % len(scan.vertices)
    bnd = _rows(np.column_stack([index, scan.vertices[index]]), "%d\t\t%.3f\t\t%.3f\t\t%.3f", "\n")
    labels = ["Outer left eyebrow", "Nose tip", "Chin middle"]
    points = scan.vertices[[40, 36, 4]]
    lm3 = "".join(
        f"{k}\n{p[0]:.3f} {p[1]:.3f} {p[2]:.3f}\n" for k, p in zip(labels, points, strict=True)
    )
    lm2 = "".join(f"{k}\n" for k in labels) + "\n2D Image coordinates:\n12.5 3.25\n7 11\n6 1\n"
    return {
        ".bnd": (bnd + "\n").encode(),
        ".lm3": f"# 3D Landmark File\n\n3 landmarks:\n{lm3}".encode(),
        ".lm2": f"# 2D Landmark File\n\n3 landmarks\n\nLabels:\n{lm2}".encode(),
    }


def _ply_bytes(scan: Scan, fmt: str, texture: str) -> bytes:
    """``scan`` as PLY (``ascii`` or ``binary_big_endian``) with per-vertex colours and ``s t``."""
    rgb = np.round(np.asarray(scan.colors) * 255).astype(np.uint8)
    props = [("x", "f4"), ("y", "f4"), ("z", "f4"), ("red", "u1"), ("green", "u1")]
    props += [("blue", "u1"), ("s", "f4"), ("t", "f4")]
    names = {"f4": "float", "u1": "uchar"}
    header = [f"ply\nformat {fmt} 1.0\ncomment TextureFile {texture}"]
    header.append(f"element vertex {len(scan.vertices)}")
    header += [f"property {names[t]} {n}" for n, t in props]
    header += [f"element face {len(scan.faces)}", "property list uchar int vertex_indices"]
    head = ("\n".join(header) + "\nend_header\n").encode()
    columns = [*scan.vertices.T, *rgb.T, *scan.uv.T]
    if fmt == "ascii":
        rows = [_rows(np.column_stack(columns), "%.6g" + " %.6g" * 7, "\n")]
        rows.append(_rows(scan.faces, "3 %d %d %d", "\n"))
        return head + ("\n".join(rows) + "\n").encode()
    vertex = np.zeros(len(scan.vertices), dtype=[(n, ">" + t) for n, t in props])
    for (name, _), column in zip(props, columns, strict=True):
        vertex[name] = column
    face = np.zeros(len(scan.faces), dtype=[("n", "u1"), ("i", ">i4", (3,))])
    face["n"], face["i"] = 3, scan.faces
    return head + vertex.tobytes() + face.tobytes()


def _obj(scan: Scan, mtl: str | None) -> bytes:
    """BP4D-style ``v``/``vt``/``f a/t`` with a material, or colours, normals and negative
    ``a//n`` indices without one."""
    if mtl is not None:
        v = _rows(scan.vertices, "v %.3f %.3f %.3f", "\n")
        f = _rows(np.repeat(scan.faces + 1, 2, axis=1), "f %d/%d %d/%d %d/%d", "\n")
        vt = _rows(scan.uv, "vt %.6f %.6f", "\n")
        return f"mtllib {mtl}\n{v}\n{vt}\nusemtl face\n{f}\n".encode()
    v = _rows(np.hstack([scan.vertices, scan.colors]), "v %.3f %.3f %.3f %.3f %.3f %.3f", "\n")
    f = _rows(scan.faces - len(scan.vertices), "f %d//1 %d//1 %d//1", "\n")
    return f"# colours, normals, negative indices\n{v}\nvn 0 0 1\n{f}\n".encode()


@cache
def seeds() -> dict[str, Seed]:
    """Every seed by name (built once per session, in well under a second)."""
    face = face_mesh()
    marks = landmark_files(face)
    png, jpg = {"face.png": _image("PNG")}, _image("JPEG")
    with tempfile.TemporaryDirectory() as tmp:
        ply_le = write_ply(Path(tmp) / "face.ply", face, texture_name="face.png").read_bytes()
    bu3dfe = "F0001_NE00WH_F3D"
    out = [
        Seed(
            "bu3dfe_wrl",
            f"{bu3dfe}.wrl",
            {
                f"{bu3dfe}.wrl": _vrml(face, f"{bu3dfe}.bmp", commas=False),
                f"{bu3dfe}.bmp": _image("BMP"),
                f"{bu3dfe}.bnd": marks[".bnd"],
            },
        ),
        Seed("bu4dfe_wrl", "000.wrl", {"000.wrl": _vrml(face, "000.jpg", True), "000.jpg": jpg}),
        Seed(
            "vrml_syntax_wrl", "face.wrl", {"face.wrl": _vrml_kitchen_sink(face, "face.png"), **png}
        ),
        Seed(
            "bosphorus_bnt",
            "bs000_N_N_0.bnt",
            {
                "bs000_N_N_0.bnt": _bnt(face),
                "bs000_N_N_0.png": png["face.png"],
                "bs000_N_N_0.lm3": marks[".lm3"],
            },
        ),
        Seed(
            "bp4d_obj",
            "0001.obj",
            {
                "0001.obj": _obj(face, "0001.mtl"),
                "0001.mtl": b"newmtl face\nKd 1 1 1\nmap_Kd 0001.jpg\n",
                "0001.jpg": jpg,
            },
        ),
        Seed("colors_obj", "face.obj", {"face.obj": _obj(face, None)}),
        Seed("binary_le_ply", "face.ply", {"face.ply": ply_le, **png}),
        Seed(
            "binary_be_ply",
            "face.ply",
            {"face.ply": _ply_bytes(face, "binary_big_endian", "face.png"), **png},
        ),
        Seed("ascii_ply", "face.ply", {"face.ply": _ply_bytes(face, "ascii", "face.png"), **png}),
    ]
    return {s.name: s for s in out}


# --- mutations -------------------------------------------------------------------------------

NUMBERS = (
    b"nan", b"-nan", b"NaN", b"inf", b"-inf", b"1e39", b"-1e39", b"3.5e38", b"1e30", b"1e308",
    b"1e400", b"1e-400", b"-1", b"-2", b"-5", b"0", b"-0", b"1.5", b"2147483648", b"4294967296",
    b"9223372036854775808", b"99999999999999999999", b"0x10", b"1e", b"--1", b".", b"1,5",
)  # fmt: skip
BINARY = tuple(
    struct.pack(f, v)
    for f, v in (
        ("<d", float("nan")), ("<d", float("inf")), ("<d", -1e9), ("<d", 1e308), ("<d", 1e30),
        ("<f", float("nan")), ("<f", float("-inf")), ("<f", 3.4e38), (">f", float("nan")),
        ("<i", -5), ("<i", 2**31 - 1), ("<I", 2**32 - 1), (">i", -1), (">i", 2**30),
        ("<H", 0), ("<H", 65535), ("<B", 0), ("<B", 255), ("<B", 2),
    )
)  # fmt: skip
TOKENS = (
    b"[", b"]", b"{", b"}", b'"', b"#", b"\0", b"\xff\xfe", b"\xef\xbb\xbf", b"-1", b",", b"\r",
    b"\n", b"\t", b" ", b"/", b"//", b"\\\n", b"f 1 2 3\n", b"v 1 2 3\n", b"vt 0 0\n",
    b"mtllib /etc/passwd\n", b"Group { children [", b"DEF X ", b"USE X ", b"IndexedFaceSet {",
    b"element vertex 99999999\n", b"property list uchar int vertex_indices\n", b"end_header\n",
    b'url "../../../../etc/hostname"', b"whichChoice 5 ", b"Switch { whichChoice -nan }",
)  # fmt: skip
_GROWTH = 256 << 10  # most bytes one repeat_line adds (a mutant stays around 1 MB at most)
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
KINDS = (
    "truncate", "flip", "insert", "delete", "duplicate", "number", "binary", "bom", "crlf", "cr",
    "delete_line", "repeat_line",
)  # fmt: skip


@dataclass(frozen=True)
class Mutation:
    """One edit of a file's bytes; positions are taken modulo the current length, so any
    integer is valid and the ``repr`` is a complete reproducer."""

    kind: str
    at: int = 0
    size: int = 0
    payload: bytes = b""

    def apply(self, data: bytes) -> bytes:
        n = len(data)
        at = self.at % (n + 1)
        if self.kind == "truncate":
            return data[:at]
        if self.kind == "flip":
            if not n:
                return data
            at %= n
            return data[:at] + bytes([data[at] ^ (self.size % 255 + 1)]) + data[at + 1 :]
        if self.kind == "insert":
            return data[:at] + self.payload + data[at:]
        if self.kind == "binary":  # overwrite in place: a header field or a sample
            return data[:at] + self.payload + data[at + len(self.payload) :]
        if self.kind == "delete":
            return data[:at] + data[at + self.size :]
        if self.kind == "duplicate":  # the block before ``at`` once more: repeated records
            block = data[max(0, at - self.size) : at]
            return data[:at] + block + data[at:]
        if self.kind == "number":
            matches = list(_NUMBER.finditer(data))
            if not matches:
                return data
            m = matches[self.at % len(matches)]
            return data[: m.start()] + self.payload + data[m.end() :]
        if self.kind == "bom":
            return b"\xef\xbb\xbf" + data
        if self.kind == "crlf":
            return data.replace(b"\n", b"\r\n")
        if self.kind == "cr":
            return data.replace(b"\n", b"\r")
        lines = data.splitlines(keepends=True) or [b""]
        k = self.at % len(lines)
        if self.kind == "delete_line":
            return b"".join(lines[:k] + lines[k + 1 :])
        if self.kind == "repeat_line":  # at most _GROWTH more bytes: the last line has no
            # newline, so its copies make one longer line, which a second repeat would multiply
            copies = min(1 + self.size % 1000, max(1, _GROWTH // max(1, len(lines[k]))))
            return b"".join(lines[:k] + [lines[k]] * copies + lines[k + 1 :])
        raise ValueError(f"unknown mutation {self.kind!r}")


@cache
def mutations(max_size: int = 4) -> st.SearchStrategy[list[Mutation]]:
    """One to ``max_size`` mutations, applied in order."""
    at = st.integers(0, 1 << 24)
    one = st.one_of(
        st.builds(Mutation, st.just("truncate"), at),
        st.builds(Mutation, st.just("flip"), at, st.integers(0, 254)),
        st.builds(
            Mutation,
            st.just("insert"),
            at,
            payload=st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=12)),
        ),
        st.builds(Mutation, st.just("delete"), at, st.integers(1, 64)),
        st.builds(Mutation, st.just("duplicate"), at, st.integers(1, 4096)),
        st.builds(Mutation, st.just("number"), at, payload=st.sampled_from(NUMBERS)),
        st.builds(Mutation, st.just("binary"), at, payload=st.sampled_from(BINARY)),
        st.sampled_from([Mutation("bom"), Mutation("crlf"), Mutation("cr")]),
        st.builds(Mutation, st.just("delete_line"), at),
        st.builds(Mutation, st.just("repeat_line"), at, st.integers(1, 999)),
    )
    return st.lists(one, min_size=1, max_size=max_size)


def mutate(data: bytes, edits: list[Mutation]) -> bytes:
    for edit in edits:
        data = edit.apply(data)
    return data


# --- the property ----------------------------------------------------------------------------


@contextmanager
def traced_peak() -> Iterator[list[int]]:
    """Peak traced (Python + numpy) memory inside the block, in bytes, as ``box[0]``."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    box = [0]
    try:
        yield box
    finally:
        box[0] = tracemalloc.get_traced_memory()[1] - base
        if started:
            tracemalloc.stop()


def check_scan(scan: Scan) -> None:
    """A Scan the renderer can trust: finite float32 vertices, non-empty in-range faces."""
    assert isinstance(scan, Scan)
    v, f = scan.vertices, scan.faces
    assert v.dtype == np.float32 and v.ndim == 2 and v.shape[1] == 3 and len(v) > 0, v.shape
    assert np.isfinite(v).all(), "non-finite vertices"
    assert f.dtype == np.int64 and f.ndim == 2 and f.shape[1] == 3 and len(f) > 0, f.shape
    assert f.min() >= 0 and f.max() < len(v), (f.min(), f.max(), len(v))
    assert (scan.uv is None) == (scan.uv_faces is None)
    if scan.uv is not None:
        assert scan.uv.ndim == 2 and scan.uv.shape[1] == 2 and np.isfinite(scan.uv).all()
        assert scan.uv_faces.shape == f.shape
        assert scan.uv_faces.min() >= 0 and scan.uv_faces.max() < len(scan.uv)
    if scan.colors is not None:
        assert scan.colors.shape == v.shape and np.isfinite(scan.colors).all()
        assert scan.colors.min() >= 0 and scan.colors.max() <= 1
    if scan.landmarks is not None:
        assert scan.landmarks.ndim == 2 and scan.landmarks.shape[1] == 3
        assert np.isfinite(scan.landmarks).all()
    if scan.texture is not None:
        assert scan.texture.dtype == np.uint8 and scan.texture.ndim == 3
        assert scan.texture.shape[2] == 3


def _declared_pixels(path: Path) -> int:
    """Pixels an image's header declares: a small compressed file may rightly decode large
    (the readers cap that with a pixel limit, not with the file size)."""
    try:
        with Image.open(path) as img:
            return img.width * img.height
    except Exception:  # not an image any more: the reader must reject it
        return 0


def read_within_bounds(folder: Path, main: str) -> tuple[Scan | ScanFormatError, int]:
    """Read ``folder/main``; return the Scan or the ScanFormatError, and the traced peak.

    Any other exception propagates (that is the bug the fuzz suite looks for).
    """
    path = folder / main
    size = sum(p.stat().st_size for p in folder.iterdir())
    pixels = sum(_declared_pixels(p) for p in folder.iterdir() if p.suffix in _IMAGES)
    with traced_peak() as peak:
        try:
            result: Scan | ScanFormatError = read_scan(path)
        except ScanFormatError as exc:
            result = exc
    bound = MEMORY_FACTOR * (size + 3 * pixels) + MEMORY_SLACK
    assert peak[0] <= bound, f"peak {peak[0]} bytes > bound {bound} ({size}-byte input)"
    if isinstance(result, ScanFormatError):
        assert result.path is not None and result.path.parent == folder, result.path
        assert str(result.path) in str(result)
    else:
        check_scan(result)
        if result.texture_path is not None:  # companions are read only from the scan's folder
            assert result.texture_path.resolve().parent == folder.resolve(), result.texture_path
    return result, peak[0]


def write_case(folder: Path, seed: Seed, target: str, data: bytes) -> None:
    for name, content in seed.files.items():
        (folder / name).write_bytes(data if name == target else content)

"""Write the reader fixtures of tests/fixtures/io (FORMATS §1.8, §2.5, §3.5, §4 + malformed twins).

Run ``python tests/io/make_fixtures.py`` after changing a fixture here; a test checks that
the committed files still match this script.
"""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
HEADER = "#VRML V2.0 utf8\n"
TRI = dict(points="0 0 0,\n1 0 0,\n0 1 0", index="0 1 2 -1", uv="0 0,\n1 0,\n0 1")


def shape(
    points: str = TRI["points"],
    index: str = TRI["index"],
    uv: str | None = TRI["uv"],
    uv_index: str | None = TRI["index"],
    url: str | None = "F0001_NE00WH_F3D.bmp",
    extra: str = "",
) -> str:
    """One Shape in the BU-3DFE layout (fields in the sample's order)."""
    appearance = (
        f'appearance Appearance {{ texture ImageTexture {{ url "{url}" repeatS FALSE }} }}\n'
        if url
        else ""
    )
    tex = f"texCoord TextureCoordinate {{ point [\n{uv}\n] }}\n" if uv is not None else ""
    tex += f"texCoordIndex [ {uv_index} ]\n" if uv_index is not None else ""
    return (
        f"Shape {{\n{appearance}geometry IndexedFaceSet {{\nccw TRUE\nsolid FALSE\n"
        f"convex TRUE\ncreaseAngle 1.57\ncoord Coordinate {{\npoint [\n{points}\n]\n}}\n"
        f"coordIndex [ {index} ]\n{tex}{extra}}}\n}}\n"
    )


def wrl(
    *shapes: str,
    container: str = "DEF Tricorder_object Transform",
    fields: str = "",
    tail: str = "",
) -> bytes:
    body = "".join(shapes)
    text = (
        f"{HEADER}# Produced by a test script\n{container} {{\n{fields}children [\n{body}]\n}}\n"
        f"{tail}"
    )
    return text.encode()


VIEWPOINT = 'DEF Tricorder_Camera_Front Viewpoint { position 0 0 400 description "Front" }\n'
QUAD = dict(points="0 0 0,\n1 0 0,\n1 1 0,\n0 1 0", index="0 1 2 3 -1", uv="0 0,\n1 0,\n1 1,\n0 1")
PENTA = "0 0 0,\n2 0 0,\n2 1 0,\n1 2 0,\n0 1 0"


def bu3dfe() -> dict[str, bytes]:
    ok = shape()
    files = {
        "F0001_NE00WH_F3D.wrl": wrl(ok),
        "F0001_NE00WH_F3D.bnd": b"0\t\t0.0\t\t0.0\t\t0.0\n" * 83 + b"\n",
        "variant_quad.wrl": wrl(
            shape(QUAD["points"], QUAD["index"], QUAD["uv"], QUAD["index"], url=None)
        ),
        "variant_commas.wrl": wrl(shape(index="0, 1, 2, -1,", uv_index="0, 1, 2, -1,")),
        "variant_viewpoint.wrl": wrl(ok, tail=VIEWPOINT),
        "variant_group.wrl": wrl(ok, container="Group"),
        "variant_pentagon.wrl": wrl(shape(PENTA, "0 1 2 3 4 -1", None, None, url=None)),
        "variant_no_final_terminator.wrl": wrl(shape(index="0 1 2", uv_index="0 1 2")),
        "variant_shapes.wrl": wrl(ok, shape(points="5 5 5,\n6 5 5,\n5 6 5")),
        "variant_colors.wrl": wrl(
            shape(
                uv=None,
                uv_index=None,
                url=None,
                extra="color Color { color [ 1 0 0, 0 1 0, 0 0 1 ] }\ncolorPerVertex TRUE\n",
            )
        ),
        "variant_transform.wrl": wrl(
            ok, container="Transform", fields="translation 10 0 0 scale 2 2 2\n"
        ),
        "bad_header_vrml1.wrl": b"#VRML V1.0 ascii\n" + wrl(ok)[len(HEADER) :],
        "bad_no_header.wrl": wrl(ok)[len(HEADER) :],
        "bad_no_ifs.wrl": (HEADER + VIEWPOINT).encode(),
        "bad_no_coord.wrl": wrl(ok).replace(b"coord Coordinate", b"normal Normal"),
        "bad_no_coordindex.wrl": wrl(ok).replace(b"coordIndex [ 0 1 2 -1 ]", b""),
        "bad_point_count.wrl": wrl(shape(points="0 0 0,\n1 0 0,\n0 1")),
        "bad_nonnumeric.wrl": wrl(shape(points="0 0 0,\n1 x 0,\n0 1 0")),
        "bad_nan.wrl": wrl(shape(points="0 0 0,\n1 nan 0,\n0 1 0")),
        "bad_inf.wrl": wrl(shape(points="0 0 0,\n1 inf 0,\n0 1 0")),
        "bad_index_below.wrl": wrl(shape(index="0 1 -2 -1")),
        "bad_index_range.wrl": wrl(shape(index="0 1 3 -1")),
        "bad_short_polygon.wrl": wrl(shape(index="0 1 -1 0 1 2 -1", uv_index=None)),
        "bad_double_terminator.wrl": wrl(shape(index="0 1 2 -1 -1", uv_index=None)),
        "bad_texindex_count.wrl": wrl(shape(index="0 1 2 -1 2 1 0 -1")),
        "bad_texindex_arity.wrl": wrl(
            shape(QUAD["points"], "0 1 2 -1 0 2 3 -1", QUAD["uv"], "0 1 2 3 -1 0 1 2 -1")
        ),
        "bad_texindex_range.wrl": wrl(shape(uv_index="0 1 7 -1")),
        "bad_zero_vertices.wrl": wrl(shape(points="", index="", uv=None, uv_index=None)),
        "bad_zero_faces.wrl": wrl(shape(index="", uv=None, uv_index=None)),
        "bad_unbalanced_brace.wrl": wrl(ok).replace(b"ccw TRUE", b"ccw TRUE }"),
        "bad_unbalanced_bracket.wrl": wrl(ok).replace(
            b"coordIndex [ 0 1 2 -1 ]", b"coordIndex [ 0 1 2 -1"
        ),
        "bad_truncated.wrl": wrl(ok)[: wrl(ok).index(b"1 0 0") + 5],
        "bad_rows.bnd": b"0\t\t0.0\t\t0.0\t\t0.0\n" * 82,
        "bad_fields.bnd": b"0\t\t0.0\t\t0.0\t\t0.0\n" * 40 + b"0 0.0 0.0\n" + b"0 0 0 0\n" * 42,
        "bad_index.bnd": b"0 0 0 0\n" * 82 + b"5 0 0 0\n",
    }
    return files


def bu4dfe() -> dict[str, bytes]:
    frame = wrl(
        shape(index="0, 1, 2, -1", uv_index="0, 1, 2, -1", url="000.jpg"), container="Group"
    )
    return {
        "F001/Angry/000.wrl": frame,
        "F001/Angry/001.wrl": frame.replace(b"000.jpg", b"001.jpg"),
        "BU_WrlViewer_V2/readme.txt": b"viewer, not a subject\n",
    }


def bnt_bytes(
    nrows: int = 2,
    ncols: int = 2,
    zmin: float = -1e9,
    name: bytes = b"bs000_N_N_0.png",
    count: int | None = None,
    values: list[float] | None = None,
) -> bytes:
    """The §3.5 fixture by default; every argument can be bent to make a malformed twin."""
    b = -1e9
    if values is None:
        # planar blocks:  x              y              z              u           v
        values = [b, 1, 0, 1, b, 0, 1, 1, b, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0]
    count = len(values) if count is None else count
    head = struct.pack("<HHdH", nrows, ncols, zmin, len(name)) + name
    return head + struct.pack("<I", count) + struct.pack(f"<{len(values)}d", *values)


LM3 = b"# 3D Landmark File\n\n1 landmarks:\nNose tip\n1 1 0\n"
LM2 = (
    b"# 2D Landmark File\n\n2 landmarks\n\nLabels:\nNose tip\nChin middle\n\n"
    b"2D Image coordinates:\n6.5 3.25\n7 11\n"
)


def bosphorus() -> dict[str, bytes]:
    b = -1e9
    good = bnt_bytes()
    return {
        "bs000/bs000_N_N_0.bnt": good,
        "bs000/bs000_N_N_0.lm3": LM3,
        "bs000/bs000_N_N_0.lm2": LM2,
        "bad_short.bnt": good[:10],
        "bad_name_length.bnt": good[:12] + struct.pack("<H", 500) + good[14:40],
        "bad_name_ascii.bnt": bnt_bytes(name="bs000_N_N_é.png".encode("latin-1")),
        "bad_count_multiple.bnt": bnt_bytes(values=[0.0] * 21),
        "bad_truncated.bnt": good[:-8],
        "bad_trailing.bnt": good + b"\0" * 8,
        "bad_zero_rows.bnt": bnt_bytes(nrows=0),
        "bad_grid_mismatch.bnt": bnt_bytes(nrows=3),
        "bad_nan_zmin.bnt": bnt_bytes(zmin=float("nan")),
        "bad_nan_coord.bnt": bnt_bytes(
            values=[b, 1, 0, 1] + [b, 0, float("nan"), 1] + [b, 0, 0, 0] + [0] * 8
        ),
        "bad_all_background.bnt": bnt_bytes(values=[b] * 12 + [0] * 8),
        "bad_header.lm3": LM3.replace(b"# 3D Landmark File\n", b""),
        "bad_count_line.lm3": LM3.replace(b"1 landmarks:", b"landmarks"),
        "bad_count.lm3": LM3.replace(b"1 landmarks:", b"2 landmarks:"),
        "bad_coord.lm3": LM3.replace(b"1 1 0", b"1 1"),
        "bad_duplicate.lm3": LM3.replace(b"1 landmarks:", b"2 landmarks:") + b"Nose tip\n0 0 0\n",
        "bad_nan.lm3": LM3.replace(b"1 1 0", b"1 nan 0"),
        "bad_count.lm2": LM2.replace(b"2 landmarks", b"3 landmarks"),
        "bad_coord.lm2": LM2.replace(b"7 11", b"7 11 2"),
    }


OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"


def obj() -> dict[str, bytes]:
    mtl = b"newmtl skin\nKd 1 1 1\nmap_Kd 0001.jpg\n"
    return {
        "bp4d/F001/T1/0001.obj": OBJ,
        "obj/form_v.obj": b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n",
        "obj/form_vn.obj": b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\n",
        "obj/form_vtn.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"vn 0 0 1\nf 1/1/1 2/2/1 3/3/1"),
        "obj/negative.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f -3/-3 -2/-2 -1/-1"),
        "obj/colors.obj": b"v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\nf 1 2 3\n",
        "obj/comments.obj": b"# header\r\nv 0 0 0 # origin\r\n  v 1 0 0\r\nv 0 1 0\r\nf 1 2 3\r\n",
        "obj/material.obj": b"mtllib material.mtl\n" + OBJ.replace(b"f ", b"usemtl skin\nf "),
        "obj/material.mtl": mtl,
        "obj/bad_index_zero.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f 0/1 2/2 3/3"),
        "obj/bad_index_range.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f 1/1 2/2 4/3"),
        "obj/bad_negative_range.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f -4/1 2/2 3/3"),
        "obj/bad_vt_range.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f 1/1 2/2 3/9"),
        "obj/bad_missing_mtl.obj": b"mtllib nowhere.mtl\n" + OBJ,
        "obj/bad_missing_texture.obj": b"mtllib bad_missing_texture.mtl\nusemtl skin\n" + OBJ,
        "obj/bad_missing_texture.mtl": mtl.replace(b"0001.jpg", b"absent.jpg"),
        "obj/bad_nan.obj": OBJ.replace(b"v 1 0 0", b"v 1 nan 0"),
        "obj/bad_zero_faces.obj": OBJ.replace(b"f 1/1 2/2 3/3\n", b""),
        "obj/bad_short_face.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f 1/1 2/2"),
        "obj/bad_mixed_forms.obj": OBJ.replace(b"f 1/1 2/2 3/3", b"f 1/1 2 3/3"),
    }


PLY_ASCII = (
    b"ply\nformat ascii 1.0\ncomment made by hand\nelement vertex 4\nproperty float x\n"
    b"property float y\nproperty float z\nproperty uchar red\nproperty uchar green\n"
    b"property uchar blue\nelement face 2\nproperty list uchar int vertex_indices\nend_header\n"
    b"0 0 0 255 0 0\n1 0 0 0 255 0\n1 1 0 0 0 255\n0 1 0 255 255 255\n4 0 1 2 3\n3 0 2 3\n"
)


def ply() -> dict[str, bytes]:
    return {
        "ply/ascii_mixed.ply": PLY_ASCII,
        "ply/bad_index.ply": PLY_ASCII.replace(b"3 0 2 3\n", b"3 0 2 9\n"),
        "ply/bad_magic.ply": b"plx\n" + PLY_ASCII[4:],
        "ply/bad_truncated.ply": PLY_ASCII.replace(b"3 0 2 3\n", b"3 0 2\n"),
    }


def images() -> dict[str, bytes]:
    from PIL import Image

    out = {}
    for name, fmt in (
        ("bu3dfe/F0001_NE00WH_F3D.bmp", "BMP"),
        ("bu4dfe/F001/Angry/000.jpg", "JPEG"),
        ("bu4dfe/F001/Angry/001.jpg", "JPEG"),
        ("bosphorus/bs000/bs000_N_N_0.png", "PNG"),
        ("bp4d/F001/T1/0001.jpg", "JPEG"),
        ("obj/0001.jpg", "JPEG"),
    ):
        pixels = np.zeros((12, 12, 3), dtype=np.uint8)
        pixels[:6, :, 0] = 255  # red top half: tests check the orientation
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format=fmt)
        out[name] = buf.getvalue()
    return out


def all_fixtures() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for prefix, files in (("bu3dfe", bu3dfe()), ("bu4dfe", bu4dfe()), ("bosphorus", bosphorus())):
        out.update({f"{prefix}/{k}": v for k, v in files.items()})
    out.update(obj())
    out.update(ply())
    return out


def main(root: Path = FIXTURES) -> int:
    for rel, data in {**all_fixtures(), **images()}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

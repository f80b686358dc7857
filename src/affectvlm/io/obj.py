"""Wavefront ``.obj`` meshes: generic scans and BP4D frames (FORMATS §4).

Records: ``v x y z [r g b]``, ``vt u v``, ``f`` in the forms ``a``, ``a/t``, ``a//n`` and
``a/t/n`` (1-based or negative indices; one form per file), ``mtllib`` + ``usemtl`` with
``map_Kd`` for the texture; ``vn`` and other records are ignored. The records are parsed in
chunks at C speed and bounded memory (:mod:`affectvlm.io.obj_records`). Texture policy: a
missing ``.mtl`` or ``map_Kd`` file is an error (the file names it); without ``mtllib`` a
sibling ``<stem>.jpg``/``.png`` is used and noted (BP4D pairs frames with images by name).
An ``mtllib`` or ``map_Kd`` name outside the scan's folder is ignored, as if unwritten, with
a note.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.obj_records import read_records
from affectvlm.io.polygons import fan_triangulate
from affectvlm.io.registry import register_reader
from affectvlm.io.scan import Scan
from affectvlm.io.texture import (
    OUTSIDE_NOTE,
    find_file,
    load_texture_image,
    outside_folder,
    resolve_texture,
)

_SNIFF = re.compile(rb"(?m)^(?:v|vt|vn|f|o|g|mtllib)[ \t]")


def _sniff(head: bytes) -> bool:
    return _SNIFF.search(head) is not None and b"\0" not in head


def _material_texture(
    path: Path, libraries: list[str], materials: list[str], notes: list[str]
) -> tuple[Path | None, bool]:
    """(texture file, whether a material named it) from ``mtllib``/``usemtl``/``map_Kd``."""
    refused = [name for name in libraries if outside_folder(path.parent, name)]
    if refused:
        notes.append(f"mtllib {', '.join(map(repr, refused))} {OUTSIDE_NOTE}")
        libraries = [name for name in libraries if name not in refused]
    if not libraries:
        return None, False
    maps: dict[str, tuple[str, Path]] = {}
    for name in libraries:
        mtl, _ = find_file(path.parent, name)
        if mtl is None:
            raise ScanFormatError(path, f"mtllib {name!r} not found")
        try:
            text = mtl.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise ScanFormatError(mtl, f"cannot read: {exc.strerror or exc}") from exc
        material = None
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0] == "newmtl":
                material = fields[1]
                maps.setdefault(material, ("", mtl))
            elif len(fields) >= 2 and fields[0] == "map_Kd" and material is not None:
                maps[material] = (fields[-1], mtl)
    used = materials or list(maps)
    undefined = [name for name in used if name not in maps]
    if undefined and not refused:  # else it may live in a refused library
        raise ScanFormatError(
            path, f"usemtl {undefined[0]!r} is not defined in {', '.join(libraries)}"
        )
    textures = {maps[name] for name in used if name in maps and maps[name][0]}
    if len(textures) > 1:
        notes.append(f"{len(textures)} different map_Kd textures; no texture attached")
        return None, True
    if not textures:
        return None, True
    ((image, mtl),) = textures
    if outside_folder(mtl.parent, image):
        notes.append(f"map_Kd {image!r} in {mtl.name} {OUTSIDE_NOTE}")
        return None, True
    found, _ = find_file(mtl.parent, image)
    if found is None:
        raise ScanFormatError(path, f"texture {image!r} named by map_Kd in {mtl.name} not found")
    notes.append(f"texture from map_Kd {image!r} in {mtl.name}")
    return found, True


@register_reader("obj", (".obj",), sniff=_sniff)
def read_obj(path: str | Path, *, load_texture: bool = True, landmarks: bool = True) -> Scan:
    """Read an OBJ mesh (``landmarks`` is accepted for a uniform reader interface)."""
    path = Path(path)
    records = read_records(path)
    v, vt = records.vertices, records.uv
    faces = fan_triangulate(records.corners, records.lengths)
    uv_faces = None
    if records.uv_corners is not None:
        uv_faces = fan_triangulate(records.uv_corners, records.lengths)
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
        texture_path, from_material = _material_texture(
            path, records.libraries, records.materials, notes
        )
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

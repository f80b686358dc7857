"""Per-pixel channels from rasterized fragments: texture colour, Lambert shading, depth, normal-z.

The covered pixels come as flat lists: their face corners (3 × (K,) vertex indices), their
barycentric weights ``(K, 3)``; each function returns float values in [0, 1] for those
pixels only. Gathers are done column by column (1-D gathers are far faster on CPU).
"""

from __future__ import annotations

import torch

from affectvlm.io.scan import Scan


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Area-weighted unit vertex normals ``(N, 3)`` (zero for isolated vertices)."""
    corner = [faces[:, c].contiguous() for c in range(3)]
    x, y, z = (vertices[:, d].contiguous() for d in range(3))
    v = [[col.index_select(0, i) for col in (x, y, z)] for i in corner]
    e1 = [b - a for a, b in zip(v[0], v[1], strict=True)]
    e2 = [c - a for a, c in zip(v[0], v[2], strict=True)]
    face_n = [
        torch.mul(e1[1], e2[2]).addcmul_(e1[2], e2[1], value=-1.0),
        torch.mul(e1[2], e2[0]).addcmul_(e1[0], e2[2], value=-1.0),
        torch.mul(e1[0], e2[1]).addcmul_(e1[1], e2[0], value=-1.0),
    ]
    normals = torch.zeros_like(vertices.T)  # (3, N): 1-D scatters are faster
    for d in range(3):
        for i in corner:
            normals[d].index_add_(0, i, face_n[d])
    return (normals / normals.norm(dim=0, keepdim=True).clamp_min(1e-12)).T


def _blend(
    values: torch.Tensor, corners: list[torch.Tensor], bary: torch.Tensor
) -> list[torch.Tensor]:
    """Barycentric blend of per-vertex ``values (N, D)``: D contiguous ``(K,)`` columns."""
    weights = [w.contiguous() for w in bary.unbind(1)]
    columns = []
    for d in range(values.shape[1]):
        col = values[:, d].contiguous()
        acc = col.index_select(0, corners[0]).mul_(weights[0])
        for c in (1, 2):
            acc = acc.add_(col.index_select(0, corners[c]).mul_(weights[c]))
        columns.append(acc)
    return columns


def interpolate(
    values: torch.Tensor, corners: list[torch.Tensor], bary: torch.Tensor
) -> torch.Tensor:
    """Barycentric blend of per-vertex ``values (N, D)`` at 3 × (K,) corners: ``(K, D)``."""
    return torch.stack(_blend(values, corners, bary), dim=1)


def view_normals(
    normals_view: torch.Tensor, corners: list[torch.Tensor], bary: torch.Tensor
) -> torch.Tensor:
    """Unit normals in view space facing the camera (two-sided surfaces): ``(K, 3)``.

    ``normals_view`` is ``(V * N, 3)`` and ``corners`` index it (view offset included).
    """
    n = interpolate(normals_view, corners, bary)
    n = n / n.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return n * torch.sign(n[:, 2:3] + 1e-12)


def lambert(
    normals: torch.Tensor, light: tuple[float, float, float], ambient: float
) -> torch.Tensor:
    """Grey Lambert shading of unit normals under a fixed directional light."""
    direction = torch.tensor(light, dtype=normals.dtype, device=normals.device)
    direction = direction / direction.norm().clamp_min(1e-12)
    diffuse = (normals @ direction).clamp_min(0.0)
    return ambient + (1.0 - ambient) * diffuse


def sample_bilinear(texture: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Bilinear lookup in a ``(H, W, 3) uint8`` image at ``uv (K, 2)``; v = 1 is the top row.

    Coordinates are clamped to the image (edge texels repeat). Returns ``(K, 3)`` in [0, 1].
    """
    return _sample_columns(texture, uv[:, 0].contiguous(), uv[:, 1].contiguous())


def _sample_columns(texture: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """:func:`sample_bilinear` at coordinates given as two ``(K,)`` columns."""
    height, width = texture.shape[:2]
    planes = texture.permute(2, 0, 1).reshape(3, -1).float()  # 1-D float gathers are fastest
    x = (u.clamp(0, 1) * width - 0.5).clamp_(0, width - 1)
    y = ((1.0 - v.clamp(0, 1)) * height - 0.5).clamp_(0, height - 1)
    x0, y0 = x.floor(), y.floor()
    fx, fy = x - x0, y - y0
    gx, gy = 1 - fx, 1 - fy
    x0, y0 = x0.int(), y0.int()  # int32 indices: half the memory traffic of int64
    x1, y1 = (x0 + 1).clamp_(max=width - 1), (y0 + 1).clamp_(max=height - 1)
    y0, y1 = y0.mul_(width), y1.mul_(width)
    out: list[torch.Tensor] = []  # per channel: contiguous 1-D sums are much faster
    for yy, xx, weight in (
        (y0, x0, gx.mul(gy)),
        (y0, x1, fx.mul(gy)),
        (y1, x0, gx.mul_(fy)),
        (y1, x1, fx.mul_(fy)),
    ):
        index = yy + xx
        for c in range(3):
            value = planes[c].index_select(0, index)
            if len(out) < 3:
                out.append(value.mul_(weight))
            else:
                out[c].addcmul_(value, weight)
    return torch.stack(out, dim=1).div_(255.0)


def texture_colour(
    scan: Scan,
    face_idx: torch.Tensor,
    corners: list[torch.Tensor],
    bary: torch.Tensor,
    grey: float,
) -> torch.Tensor:
    """Surface colour ``(K, 3)``: UV texture, else vertex colours, else constant grey.

    ``face_idx`` indexes ``scan.faces``/``uv_faces``; ``corners`` index ``scan.vertices``.
    """
    device = bary.device
    if scan.has_texture:
        uv = torch.tensor(scan.uv, device=device)
        if scan.uv_faces is scan.faces:  # per-vertex UVs: the corners are the vertices
            uv_corners = corners
        else:
            uv_faces = torch.tensor(scan.uv_faces, device=device)
            uv_corners = [uv_faces[:, c].index_select(0, face_idx) for c in range(3)]
        texture = torch.tensor(scan.texture, device=device)
        if texture.ndim == 2:  # greyscale image
            texture = texture[..., None].expand(-1, -1, 3)
        texture = texture[..., :3].contiguous()
        return _sample_columns(texture, *_blend(uv, uv_corners, bary))
    if scan.has_colors:
        colours = torch.tensor(scan.colors, device=device)
        return interpolate(colours, corners, bary).clamp(0, 1)
    return torch.full((len(face_idx), 3), grey, dtype=torch.float32, device=device)

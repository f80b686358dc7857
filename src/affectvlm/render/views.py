"""Render one scan as several 2D views: the entry point the data pipeline and the CLI call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from affectvlm.io.scan import Scan
from affectvlm.render.camera import Normalisation, normalise, project, view_rotations
from affectvlm.render.channels import (
    interpolate,
    lambert,
    texture_colour,
    vertex_normals,
    view_normals,
)
from affectvlm.render.config import MODEL_INPUT_CHANNELS, RenderConfig
from affectvlm.render.errors import RenderError
from affectvlm.render.rasterizer import rasterize


@dataclass
class RenderedViews:
    """Images of one scan. ``channels['texture']`` is ``(V, H, W, 3)`` uint8; ``shading``,
    ``depth`` and ``normal`` are ``(V, H, W)`` uint8; ``mask`` marks covered pixels."""

    view_names: list[str]
    channels: dict[str, np.ndarray]
    mask: np.ndarray  # (V, H, W) bool
    normalisation: Normalisation

    def model_input(self, mode: str) -> np.ndarray:
        """The three channels the model consumes, ``(V, 3, H, W)`` uint8 (see RenderConfig)."""
        if mode not in MODEL_INPUT_CHANNELS:
            raise ValueError(f"unknown model input {mode!r} (one of {list(MODEL_INPUT_CHANNELS)})")
        missing = [c for c in MODEL_INPUT_CHANNELS[mode] if c not in self.channels]
        if missing:
            raise ValueError(f"model input {mode!r} needs channels {missing}, not rendered")
        if mode == "texture":
            return np.ascontiguousarray(self.channels["texture"].transpose(0, 3, 1, 2))
        if mode == "stack":
            return np.stack([self.channels[c] for c in MODEL_INPUT_CHANNELS["stack"]], axis=1)
        return np.repeat(self.channels[mode][:, None], 3, axis=1)


def _prepare(scan: Scan, norm: Normalisation, device: torch.device):
    """Normalised vertices, all faces, and the ids of faces with finite corners (None: all)."""
    vertices = norm.apply(scan.vertices)
    finite = np.isfinite(vertices).all(axis=1)
    faces = scan.faces
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise RenderError(scan.path or "scan", "face index out of range")
    all_faces = torch.tensor(faces, device=device)
    if finite.all():
        return torch.as_tensor(vertices, device=device), all_faces, None
    keep = finite[faces].all(axis=1) if len(faces) else np.zeros(0, dtype=bool)
    vertices = np.where(finite[:, None], vertices, 0.0).astype(np.float32)
    face_ids = torch.as_tensor(np.nonzero(keep)[0], device=device)
    return torch.as_tensor(vertices, device=device), all_faces, face_ids


@torch.no_grad()
def render_views(
    scan: Scan,
    config: RenderConfig | None = None,
    device: str | torch.device = "cpu",
    normalisation: Normalisation | None = None,
) -> RenderedViews:
    """Render ``scan`` from every view of ``config`` into the channels it asks for.

    A scan that covers no pixel in any view raises :class:`RenderError`: a blank render is
    a failure, never an input.

    ``normalisation`` overrides the per-scan framing (a sequence renders all its frames
    with the framing of one, so the face does not jitter).
    """
    config = config or RenderConfig()
    device = torch.device(device)
    norm = normalisation or normalise(scan, config.normalisation, config.bbox_percentile)
    vertices, all_faces, face_ids = _prepare(scan, norm, device)
    faces = all_faces if face_ids is None else all_faces.index_select(0, face_ids)
    size = config.image_size * config.supersample
    proj = project(vertices, config, size)
    if config.projection == "perspective":
        frags = rasterize(proj.xy, proj.inv_w, proj.inv_w, faces, size)
    else:
        frags = rasterize(proj.xy, proj.z, None, faces, size)
    if frags.pixels.numel() == 0:
        raise RenderError(
            scan.path or "scan",
            "renders blank: no view shows any of the surface (degenerate, non-finite or "
            "out-of-frame geometry)",
        )

    n_views, n_vert = len(config.views), vertices.shape[0]
    pixels = frags.pixels
    view_idx = torch.div(pixels, size * size, rounding_mode="floor")
    local_face = frags.face.reshape(-1).index_select(0, pixels)
    corners = [faces[:, c].index_select(0, local_face) for c in range(3)]
    view_corners = [view_idx * n_vert + c for c in corners]  # into (V * N) arrays
    bary = frags.bary
    wanted = config.needed_channels
    values: dict[str, torch.Tensor] = {}
    if "texture" in wanted:
        face_idx = local_face if face_ids is None else face_ids.index_select(0, local_face)
        values["texture"] = texture_colour(scan, face_idx, corners, bary, config.grey)
    if "shading" in wanted or "normal" in wanted:
        rot = torch.as_tensor(view_rotations(config.views), device=device)
        normals = torch.einsum("vij,nj->vni", rot, vertex_normals(vertices, faces))
        n = view_normals(normals.reshape(-1, 3), view_corners, bary)
        if "shading" in wanted:
            values["shading"] = lambert(n, config.light, config.ambient)[:, None]
        if "normal" in wanted:
            values["normal"] = n[:, 2:3]
    if "depth" in wanted:
        z = interpolate(proj.z.reshape(-1, 1), view_corners, bary)
        values["depth"] = (z + config.depth_range) / (2 * config.depth_range)

    channels = {}
    for name in wanted:
        value = values[name]
        value = value.clamp(0, 1) * 254.0 + 1.0 if name == "depth" else value.clamp(0, 1) * 255.0
        bg = 0 if name == "depth" else config.background
        if config.supersample > 1:
            image = torch.full((n_views * size * size, value.shape[1]), float(bg), device=device)
            image.index_copy_(0, pixels, value.float())
            image = _downsample(image.view(n_views, size, size, -1), config.supersample)
        else:  # quantise the covered pixels only
            image = torch.full(
                (n_views * size * size, value.shape[1]), bg, dtype=torch.uint8, device=device
            )
            image.index_copy_(0, pixels, value.round_().to(torch.uint8))
            image = image.view(n_views, size, size, -1).cpu().numpy()
        channels[name] = image if name == "texture" else image[..., 0]
    mask = frags.mask
    if config.supersample > 1:
        mask = _downsample(mask[..., None].float() * 255, config.supersample)[..., 0] >= 128
    else:
        mask = mask.cpu().numpy()
    names = [v.name for v in config.views]
    return RenderedViews(view_names=names, channels=channels, mask=mask, normalisation=norm)


def _downsample(image: torch.Tensor, factor: int) -> np.ndarray:
    """Average ``factor``² blocks of a ``(V, H, W, C)`` float image and round to uint8."""
    if factor > 1:
        image = F.avg_pool2d(image.permute(0, 3, 1, 2), factor).permute(0, 2, 3, 1)
    return image.round().clamp(0, 255).to(torch.uint8).cpu().numpy()

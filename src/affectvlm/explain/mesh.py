"""Saliency projected back onto the scan's vertices, and drawn on the mesh.

Each view is rasterized again with the same camera as :func:`affectvlm.render.render_views`
(same framing, projection and supersampling), which gives the face seen at every pixel.
A pixel's saliency goes to the three corners of its face, weighted by the pixel's
barycentric coordinates; a vertex's value is the weighted mean over all pixels of all views
that see it. Vertices no view sees get 0 and ``visible = False``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from affectvlm.io.scan import Scan
from affectvlm.render.camera import Normalisation, normalise, project
from affectvlm.render.config import RenderConfig
from affectvlm.render.rasterizer import Fragments, rasterize


@dataclass
class VertexSaliency:
    """Per-vertex saliency of a scan: ``values (N,)`` and ``visible (N,)`` (seen by a view)."""

    values: np.ndarray
    visible: np.ndarray


@torch.no_grad()
def rasterize_views(
    scan: Scan, config: RenderConfig, normalisation: Normalisation | None = None
) -> tuple[Fragments, np.ndarray]:
    """The fragments of every view of ``config`` at ``image_size * supersample`` pixels and
    the scan face ids they index (faces with non-finite corners are not drawn, as in
    ``render_views``)."""
    norm = normalisation or normalise(scan, config.normalisation, config.bbox_percentile)
    vertices = norm.apply(scan.vertices)
    finite = np.isfinite(vertices).all(axis=1)
    keep = finite[scan.faces].all(axis=1) if len(scan.faces) else np.zeros(0, dtype=bool)
    face_ids = np.nonzero(keep)[0]
    vertices = torch.as_tensor(np.where(finite[:, None], vertices, 0.0).astype(np.float32))
    faces = torch.as_tensor(scan.faces[face_ids])
    size = config.image_size * config.supersample
    proj = project(vertices, config, size)
    if config.projection == "perspective":
        frags = rasterize(proj.xy, proj.inv_w, proj.inv_w, faces, size)
    else:
        frags = rasterize(proj.xy, proj.z, None, faces, size)
    return frags, face_ids


def vertex_saliency(
    scan: Scan,
    maps: np.ndarray | torch.Tensor,
    config: RenderConfig,
    normalisation: Normalisation | None = None,
) -> VertexSaliency:
    """Project per-view saliency ``maps (V, H, W)`` (views of ``config``, any resolution:
    resized to the render size) onto the vertices of ``scan``."""
    maps = torch.as_tensor(np.asarray(maps, dtype=np.float32))
    if maps.ndim != 3 or maps.shape[0] != len(config.views):
        raise ValueError(
            f"maps must be (V, H, W) with V = {len(config.views)} views, got {tuple(maps.shape)}"
        )
    frags, face_ids = rasterize_views(scan, config, normalisation)
    size = frags.face.shape[-1]
    if maps.shape[-2:] != (size, size):
        maps = F.interpolate(maps[:, None], size=(size, size), mode="bilinear")[:, 0]
    pixel_values = maps.reshape(-1).index_select(0, frags.pixels).double().numpy()
    local = frags.face.reshape(-1).index_select(0, frags.pixels).numpy()
    corners = scan.faces[face_ids[local]]  # (K, 3) vertex ids
    bary = frags.bary.double().numpy()
    n = len(scan.vertices)
    num = np.zeros(n)
    den = np.zeros(n)
    for c in range(3):
        num += np.bincount(corners[:, c], weights=bary[:, c] * pixel_values, minlength=n)
        den += np.bincount(corners[:, c], weights=bary[:, c], minlength=n)
    visible = den > 0
    values = np.divide(num, den, out=np.zeros(n), where=visible)
    return VertexSaliency(values=values, visible=visible)


def render_vertex_heatmap(
    scan: Scan,
    saliency: VertexSaliency,
    config: RenderConfig,
    normalisation: Normalisation | None = None,
    cmap: str = "inferno",
    unseen_grey: float = 0.6,
) -> np.ndarray:
    """The scan rendered from the views of ``config`` with vertices coloured by saliency
    (scaled to its 99.5th percentile) and shaded, ``(V, H, W, 3)`` uint8."""
    from affectvlm.explain.overlay import colourise, normalise_maps
    from affectvlm.render.views import render_views

    scaled = normalise_maps(saliency.values[None, None, :])[0, 0]
    colours = colourise(scaled, cmap).astype(np.float32) / 255.0
    colours[~saliency.visible] = unseen_grey
    painted = dataclasses.replace(
        scan, colors=colours, texture=None, uv=None, uv_faces=None, texture_path=None
    )
    settings = dataclasses.replace(config, channels=["texture", "shading"], model_input="texture")
    norm = normalisation or normalise(scan, config.normalisation, config.bbox_percentile)
    rendered = render_views(painted, settings, normalisation=norm)
    shade = rendered.channels["shading"][..., None].astype(np.float32) / 255.0
    image = rendered.channels["texture"].astype(np.float32) * (0.4 + 0.6 * shade)
    image[~rendered.mask] = config.background
    return image.round().clip(0, 255).astype(np.uint8)

"""Explanations of AffectVLM predictions: how much each view contributes to the fused
score, saliency maps per view (input gradients, SmoothGrad, ViT attention rollout), overlays
on the rendered views, and saliency projected back onto the scan's vertices."""

from affectvlm.explain.contributions import ViewContributions, view_contributions
from affectvlm.explain.explanation import (
    Explanation,
    explain,
    overlay_images,
    save_explanation,
    save_mesh_explanation,
)
from affectvlm.explain.mesh import VertexSaliency, render_vertex_heatmap, vertex_saliency
from affectvlm.explain.overlay import normalise_maps, overlay, save_png
from affectvlm.explain.saliency import SaliencyConfig, attention_rollout, saliency_maps

__all__ = [
    "Explanation",
    "SaliencyConfig",
    "VertexSaliency",
    "ViewContributions",
    "attention_rollout",
    "explain",
    "normalise_maps",
    "overlay",
    "overlay_images",
    "render_vertex_heatmap",
    "saliency_maps",
    "save_explanation",
    "save_mesh_explanation",
    "save_png",
    "vertex_saliency",
    "view_contributions",
]

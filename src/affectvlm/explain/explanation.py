"""One call that explains a prediction: probabilities, view contributions, saliency maps —
and the files that show them (overlay PNGs per view, a JSON of the numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from affectvlm.explain.contributions import ViewContributions, contributions_from_output
from affectvlm.explain.overlay import normalise_maps, overlay, save_png, side_by_side
from affectvlm.explain.saliency import SaliencyConfig, saliency_maps
from affectvlm.fileio import atomic_write_json


@dataclass
class Explanation:
    """Why one sample got its score for text row ``target`` (a class or a prompt).

    ``saliency`` is ``(V, H, W)`` for a scan, ``(T, V, H, W)`` for a sequence (raw values;
    :func:`affectvlm.explain.overlay.normalise_maps` scales them for display).
    """

    labels: list[str]
    target: int
    probabilities: np.ndarray  # (C,) softmax over the text rows
    contributions: ViewContributions
    saliency: np.ndarray
    method: str

    @property
    def target_label(self) -> str:
        return self.labels[self.target]

    def to_dict(self) -> dict[str, Any]:
        """The numbers (no maps) as JSON-able data."""
        return {
            "target": self.target_label,
            "target_index": self.target,
            "probabilities": dict(
                zip(self.labels, (float(p) for p in self.probabilities), strict=True)
            ),
            "contributions": self.contributions.to_dict(),
            "saliency_method": self.method,
            "saliency_total_per_view": [
                float(v) for v in _per_view(self.saliency).sum(axis=(-2, -1))
            ],
        }


def _per_view(saliency: np.ndarray) -> np.ndarray:
    """``(V, H, W)``: a sequence's maps summed over frames."""
    return saliency.sum(axis=0) if saliency.ndim == 4 else saliency


def explain(
    model: Any,
    views: torch.Tensor,
    text_embeds: torch.Tensor,
    labels: Sequence[str],
    target: int | str | None = None,
    config: SaliencyConfig | None = None,
    view_names: Sequence[str] | None = None,
) -> Explanation:
    """Explain the fused score of one sample ``views`` (``(V, 3, H, W)`` or ``(T, V, 3, H,
    W)`` in [0, 1]) against ``text_embeds (C, D)`` whose rows are named ``labels``.

    For classes pass ``model.class_text_embeddings(bank, classes)``; for free-text prompts
    ``model.encode_text(prompts)`` and the prompts as labels. ``target`` (index or label;
    None = the top-scoring row) picks the score that is explained.
    """
    labels = list(labels)
    if len(labels) != text_embeds.shape[0]:
        raise ValueError(f"{len(labels)} labels for {text_embeds.shape[0]} text rows")
    model.eval()
    with torch.no_grad():
        output = model(views.unsqueeze(0).to(model.device), text_embeds.to(model.device))
    if target is None:
        target = int(output.logits[0].argmax())
    elif isinstance(target, str):
        if target not in labels:
            raise ValueError(f"target {target!r} is not one of {labels}")
        target = labels.index(target)
    config = config or SaliencyConfig()
    names = list(view_names) if view_names else None
    return Explanation(
        labels=labels,
        target=int(target),
        probabilities=torch.softmax(output.logits[0].float(), dim=-1).cpu().numpy(),
        contributions=contributions_from_output(output, model.fusion, int(target), names),
        saliency=saliency_maps(model, views, text_embeds, int(target), config).numpy(),
        method=config.method,
    )


def overlay_images(
    explanation: Explanation, images: Sequence[np.ndarray], alpha: float = 0.6
) -> list[np.ndarray]:
    """One overlay per view on ``images`` (the rendered views, any size; a sequence's maps
    are summed over frames), scaled by one shared factor so views stay comparable."""
    maps = normalise_maps(_per_view(explanation.saliency))
    if len(images) != len(maps):
        raise ValueError(f"{len(images)} images for {len(maps)} saliency maps")
    return [overlay(image, heat, alpha) for image, heat in zip(images, maps, strict=True)]


def save_explanation(
    out_dir: str | Path,
    explanation: Explanation,
    images: Sequence[np.ndarray],
    stem: str = "explain",
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``<stem>_<view>.png`` per view, ``<stem>_views.png`` (all views side by side)
    and ``<stem>.json`` (probabilities, contributions, file names) to ``out_dir``."""
    out = Path(out_dir)
    names = explanation.contributions.view_names
    pictures = overlay_images(explanation, images)
    written = [
        save_png(out / f"{stem}_{name}.png", picture)
        for name, picture in zip(names, pictures, strict=True)
    ]
    written.append(save_png(out / f"{stem}_views.png", side_by_side(pictures)))
    data = {**explanation.to_dict(), "images": [p.name for p in written], **(extra or {})}
    written.append(atomic_write_json(out / f"{stem}.json", data))
    return written


def save_mesh_explanation(
    out_dir: str | Path,
    explanation: Explanation,
    scan: Any,
    render_config: Any,
    normalisation: Any = None,
    stem: str = "explain",
) -> list[Path]:
    """Project a scan's saliency onto its vertices and write ``<stem>_vertices.npy`` (one
    value per vertex, NaN where no view sees it) and ``<stem>_mesh.png`` (the scan rendered
    from each view, coloured by vertex saliency). ``render_config``/``normalisation`` must
    be the ones the views were rendered with."""
    import io

    from affectvlm.explain.mesh import render_vertex_heatmap, vertex_saliency
    from affectvlm.fileio import atomic_write_bytes

    if explanation.saliency.ndim != 3:
        raise ValueError("mesh projection needs the maps of one scan (V, H, W), not a sequence")
    out = Path(out_dir)
    result = vertex_saliency(scan, explanation.saliency, render_config, normalisation)
    values = np.where(result.visible, result.values, np.nan)
    buf = io.BytesIO()
    np.save(buf, values.astype(np.float32))
    heat = render_vertex_heatmap(scan, result, render_config, normalisation)
    return [
        atomic_write_bytes(out / f"{stem}_vertices.npy", buf.getvalue()),
        save_png(out / f"{stem}_mesh.png", side_by_side(list(heat))),
    ]

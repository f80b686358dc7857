"""Explanation files for predictions (``affectvlm predict --explain OUT_DIR``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from affectvlm.explain import SaliencyConfig, save_explanation, save_mesh_explanation
from affectvlm.infer.inputs import InputItem, open_input
from affectvlm.infer.outputs import Prediction
from affectvlm.infer.predictor import Predictor
from affectvlm.io.scan import Scan


def explanation_stem(index: int, source: str) -> str:
    """A file-name stem unique within one run: ``003_F0001_HA04WH_F3D``."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source).stem or "input").strip("._")
    return f"{index:03d}_{name or 'input'}"


def write_explanations(
    predictor: Predictor,
    prediction: Prediction,
    out_dir: str | Path,
    stem: str,
    prompts: Sequence[str] = (),
    config: SaliencyConfig | None = None,
    item: InputItem | None = None,
    channel: str = "texture",
) -> list[Path]:
    """Write the explanation of the predicted class (``<stem>_*``) and, with ``prompts``,
    of the best-scoring prompt (``<stem>_prompt_*``): an overlay PNG per view on
    ``channel``, all views side by side, and a JSON of probabilities and view
    contributions. For a static scan given as ``item`` the saliency is also projected
    onto its vertices (``<stem>_vertices.npy``, ``<stem>_mesh.png``)."""
    frame = prediction.views[len(prediction.views) // 2]
    if channel not in frame.channels:
        channel = next(iter(frame.channels))
    images = list(frame.channels[channel])
    extra = {"source": prediction.source, "overlay_channel": channel}
    explanation = predictor.explain(prediction, config=config)
    written = save_explanation(out_dir, explanation, images, stem, extra)
    if prompts:
        best = predictor.explain(prediction, prompts=prompts, config=config)
        written += save_explanation(out_dir, best, images, f"{stem}_prompt", extra)
    if item is not None and prediction.kind == "scan":
        with open_input(item) as data:
            if isinstance(data, Scan):
                written += save_mesh_explanation(
                    out_dir,
                    explanation,
                    data,
                    predictor.display_render_config,
                    prediction.views[0].normalisation,
                    stem,
                )
    return written

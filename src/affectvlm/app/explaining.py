"""The page's "why" view: saliency overlays beside the views and the view contributions,
for a class or a free-text prompt (thin over :meth:`Predictor.explain`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from affectvlm.explain import Explanation, SaliencyConfig, normalise_maps, overlay
from affectvlm.infer import Prediction, Predictor

CLASS_PREFIX, PROMPT_PREFIX = "class: ", "prompt: "


def target_options(class_names: Sequence[str], prompts: Sequence[str]) -> list[str]:
    """What can be explained: each class, then each free-text prompt."""
    return [CLASS_PREFIX + c for c in class_names] + [PROMPT_PREFIX + p for p in prompts]


def explain_choice(
    predictor: Predictor,
    prediction: Prediction,
    choice: str,
    prompts: Sequence[str],
    method: str,
    samples: int = 8,
) -> Explanation:
    """The explanation of one option of :func:`target_options`."""
    config = SaliencyConfig(method=method, samples=samples)
    if choice.startswith(PROMPT_PREFIX):
        target = choice[len(PROMPT_PREFIX) :]
        return predictor.explain(prediction, target=target, prompts=prompts, config=config)
    return predictor.explain(prediction, target=choice[len(CLASS_PREFIX) :], config=config)


def overlay_images(
    explanation: Explanation, images: Sequence[np.ndarray], frame: int = 0
) -> list[np.ndarray]:
    """Overlays of frame ``frame``'s maps on its views; one scale for all views and frames.
    The maps have the model's render size and are upsampled smoothly to the shown views."""
    maps = normalise_maps(explanation.saliency)
    if maps.ndim == 4:
        maps = maps[frame]
    return [overlay(image, heat) for image, heat in zip(images, maps, strict=True)]


def contribution_table(explanation: Explanation) -> pd.DataFrame:
    """One row per view: its share of the fused score and what leaving it out costs."""
    c = explanation.contributions
    table = pd.DataFrame(
        {
            "share of score": np.round(c.relative, 3),
            f"{c.score_kind} share": np.round(c.share, 3),
        },
        index=pd.Index(c.view_names, name="view"),
    )
    if c.leave_one_out is not None:
        table["prob. drop without view"] = np.round(c.leave_one_out, 3)
    return table

"""Prediction → the tables and images the page shows (pandas frames, uint8 arrays)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from affectvlm.infer.outputs import Prediction, PromptScore
from affectvlm.render.views import RenderedViews

VIEW_CHANNELS = ("texture", "shading", "depth")


def result_line(prediction: Prediction) -> str:
    """The headline the page (and the browser test) looks for."""
    return f"Prediction: {prediction.label} ({prediction.confidence:.1%})"


def shown_path(path: str | Path, cwd: Path | None = None) -> str:
    """``path`` relative to the working folder when it lies inside it (the page need not show
    the server's folder layout), else as it is."""
    here = (cwd or Path.cwd()).resolve()
    try:
        return Path(path).resolve().relative_to(here).as_posix()
    except ValueError:
        return str(path)


def shown_views(prediction: Prediction) -> list[RenderedViews]:
    """The views people see: the display-size renders when the predictor made them (the app's
    does, at ``DISPLAY_SIZE``), else the model-size ones."""
    return prediction.display_views or prediction.views


def channels_of(prediction: Prediction) -> list[str]:
    return [c for c in VIEW_CHANNELS if c in shown_views(prediction)[0].channels]


def view_images(prediction: Prediction, channel: str, frame: int = 0) -> list[np.ndarray]:
    """One uint8 image per view of rendered frame ``frame`` (an index into ``views``), at
    display size."""
    return list(shown_views(prediction)[frame].channels[channel])


def class_probs(prediction: Prediction) -> pd.DataFrame:
    """Fused probabilities, one row per class in the model's order."""
    return pd.DataFrame(
        {"emotion": prediction.class_names, "probability": prediction.probs.astype(float)}
    )


def view_table(prediction: Prediction) -> pd.DataFrame:
    """Per-view probabilities: one row per class, one column per view."""
    return pd.DataFrame(
        prediction.view_probs.T.round(3),
        index=prediction.class_names,
        columns=prediction.view_names,
    )


def frame_table(prediction: Prediction) -> pd.DataFrame | None:
    """Per-frame probabilities indexed by the sequence's frame index (None for scans)."""
    if prediction.frame_probs is None or prediction.frame_indices is None:
        return None
    table = pd.DataFrame(prediction.frame_probs, columns=prediction.class_names)
    table.index = pd.Index(prediction.frame_indices, name="frame")
    return table


def prompt_table(scores: list[PromptScore]) -> pd.DataFrame:
    """Free-text prompts ranked by score (rank 1 is the best match)."""
    table = pd.DataFrame(
        {
            "prompt": [s.prompt for s in scores],
            "score": [round(s.score, 3) for s in scores],
            "share": [round(s.prob, 3) for s in scores],
        }
    )
    table.index = pd.RangeIndex(1, len(scores) + 1, name="rank")
    return table


def prompt_lines(text: str) -> list[str]:
    """Non-empty lines of the prompts text area."""
    return [line.strip() for line in text.splitlines() if line.strip()]

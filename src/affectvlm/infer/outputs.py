"""Typed results of :class:`affectvlm.infer.Predictor`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from affectvlm.render.views import RenderedViews


@dataclass
class PromptScore:
    """One free-text prompt scored against a sample (zero-shot).

    ``score`` is the similarity (cosine × the model's logit scale, averaged over the views),
    meaningful for one prompt alone; ``prob`` is the fused probability over the prompts given
    together (as the model's fusion fuses class scores), which ranks them against each other.
    """

    prompt: str
    score: float
    prob: float


@dataclass
class Prediction:
    """What the model says about one scan or sequence.

    ``probs (C,)`` are the fused class probabilities over ``class_names``; ``view_probs
    (V, C)`` score each view alone; for sequences rendered as frames, ``frame_probs (T, C)``
    score each sampled frame (``frame_indices`` into the sequence). ``views`` holds the
    rendered images (one :class:`RenderedViews` per sampled frame, or one), at the model's
    render size; ``display_views`` the same frames rendered larger for people to look at
    (only from a predictor with a ``display_size``). ``class_prompts`` are the exact prompts
    whose ensembled embedding defines each class.
    """

    source: str
    kind: str  # "scan" or "sequence"
    class_names: list[str]
    probs: np.ndarray
    view_names: list[str]
    view_probs: np.ndarray
    embedding: np.ndarray  # (D,) fused, L2-normalised
    view_embeddings: np.ndarray  # (V, D)
    views: list[RenderedViews]
    class_prompts: dict[str, list[str]]
    display_views: list[RenderedViews] | None = None
    frame_probs: np.ndarray | None = None
    frame_indices: list[int] | None = None
    frame_embeddings: np.ndarray | None = None  # (T, V, D)
    prompt_scores: list[PromptScore] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.class_names[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probs))

    def ranked(self) -> list[tuple[str, float]]:
        """Classes and probabilities, most likely first."""
        order = np.argsort(-self.probs, kind="stable")
        return [(self.class_names[i], float(self.probs[i])) for i in order]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no images, no embeddings)."""
        out: dict[str, Any] = {
            "input": self.source,
            "kind": self.kind,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "probs": _named(self.class_names, self.probs),
            "view_probs": {
                v: _named(self.class_names, p)
                for v, p in zip(self.view_names, self.view_probs, strict=True)
            },
        }
        if self.frame_probs is not None and self.frame_indices is not None:
            out["frame_probs"] = [
                {"frame": int(i), "probs": _named(self.class_names, p)}
                for i, p in zip(self.frame_indices, self.frame_probs, strict=True)
            ]
        if self.prompt_scores:
            out["prompts"] = [
                {"prompt": s.prompt, "score": round(s.score, 6), "prob": round(s.prob, 6)}
                for s in self.prompt_scores
            ]
        return out


def _named(names: list[str], values: np.ndarray) -> dict[str, float]:
    return {n: round(float(v), 6) for n, v in zip(names, values, strict=True)}

"""AffectVLM: facial emotion recognition from 3D scans and 4D sequences with a CLIP-style model."""

__version__ = "0.1.0"

EMOTIONS: tuple[str, ...] = (
    "neutral",
    "anger",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
)
"""Canonical emotion names, in the one order used everywhere (labels, reports, prompts)."""

BASIC_EMOTIONS: tuple[str, ...] = EMOTIONS[1:]
"""The six basic expressions used by the usual 3D/4D FER protocols (no neutral)."""

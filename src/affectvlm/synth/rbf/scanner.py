"""The ``rbf`` family's scanner: noise along the surface normal that grows at grazing angles,
structured-light stripes, and sparse depth outliers (the ``base`` family adds plain Gaussian
noise along the view axis)."""

from __future__ import annotations

import numpy as np

from affectvlm.synth.face import FaceModel, vertex_normals

OUTLIER_FRACTION = 0.002


def rbf_scanner_noise(
    model: FaceModel, vertices: np.ndarray, noise_mm: float, rng: np.random.Generator
) -> None:
    """Add this scanner's noise (scale ``noise_mm``) to ``vertices`` in place."""
    normals = vertex_normals(vertices, model.faces)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    grazing = 1.0 - np.clip(normals[:, 2], 0.0, 1.0)
    sigma = noise_mm * (0.8 + 2.5 * grazing**2)
    vertices += normals * (rng.normal(0.0, 1.0, len(vertices)) * sigma)[:, None]
    period, phase, tilt = rng.uniform(6.0, 12.0), rng.uniform(0.0, 2.0 * np.pi), rng.normal(0, 0.1)
    stripes = np.sin(2.0 * np.pi * (vertices[:, 1] + tilt * vertices[:, 0]) / period + phase)
    vertices[:, 2] += 0.6 * noise_mm * stripes
    outliers = rng.random(len(vertices)) < OUTLIER_FRACTION
    vertices[outliers, 2] += rng.normal(0.0, 6.0 * noise_mm, int(outliers.sum()))

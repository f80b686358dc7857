"""Golden images: a fixed small mesh rendered to every channel matches stored PNGs.

Regenerate after an intended change with ``AFFECTVLM_UPDATE_GOLDEN=1 pytest tests/render``
(and bump ``RENDERER_VERSION``); look at the PNGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_meshes import bumped_face, two_colour_quad

from affectvlm.render import RenderConfig, render_views

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("AFFECTVLM_UPDATE_GOLDEN") == "1"
CASES = {
    "bump_orthographic": (bumped_face(n=24), RenderConfig(image_size=48)),
    "bump_perspective": (
        bumped_face(n=24),
        RenderConfig(image_size=48, projection="perspective", focal_length=2.5),
    ),
    "quad_texture": (two_colour_quad(), RenderConfig(image_size=32)),
}


def _tiles(case: str) -> dict[str, np.ndarray]:
    scan, config = CASES[case]
    config.channels = ["texture", "shading", "depth", "normal"]
    out = render_views(scan, config)
    return {name: np.concatenate(list(img), axis=1) for name, img in out.channels.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_matches_golden_images(case):
    for channel, image in _tiles(case).items():
        path = GOLDEN / f"{case}_{channel}.png"
        if UPDATE:
            Image.fromarray(image).save(path)
            continue
        expected = np.asarray(Image.open(path))
        assert expected.shape == image.shape, path.name
        diff = np.abs(expected.astype(int) - image.astype(int))
        assert diff.mean() < 0.5, path.name
        assert np.mean(diff > 8) < 0.01, path.name

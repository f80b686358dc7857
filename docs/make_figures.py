"""Make the README's figures from the synthetic generator and the renderer.

    .venv/bin/python docs/make_figures.py

Writes docs/images/expressions.png (one synthetic identity, the seven expressions at
intensity 4, frontal view, every channel), docs/images/families.png (two identities of each
face family, shading) and docs/images/views.png (the contact sheet that ``affectvlm views``
writes, for one happy scan).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from affectvlm import EMOTIONS
from affectvlm.render import RenderConfig, ViewSpec, contact_sheet, render_views
from affectvlm.synth import make_face, make_identity

OUT = Path(__file__).resolve().parent / "images"
CHANNELS = ["texture", "shading", "depth", "normal"]


def expressions_grid(rows: list[tuple[str, str, object]], size: int = 160) -> Image.Image:
    """One column per expression (intensity 4, frontal view); ``rows`` are ``(label, channel,
    identity)``."""
    config = RenderConfig(views=[ViewSpec("frontal", 0, 0)], image_size=size, channels=CHANNELS)
    label_w, head_h, gap = 72, 18, 2
    sheet = Image.new(
        "RGB",
        (label_w + len(EMOTIONS) * (size + gap), head_h + len(rows) * (size + gap)),
        (32, 32, 32),
    )
    draw = ImageDraw.Draw(sheet)
    for col, emotion in enumerate(EMOTIONS):
        x = label_w + col * (size + gap)
        draw.text((x + 2, 3), emotion, fill=(230, 230, 230))
        for row, (_, channel, identity) in enumerate(rows):
            rendered = render_views(make_face(identity, emotion, 4.0), config)
            tile = rendered.channels[channel][0]
            tile = tile if tile.ndim == 3 else np.repeat(tile[..., None], 3, axis=2)
            sheet.paste(Image.fromarray(tile), (x, head_h + row * (size + gap)))
    for row, (label, _, _) in enumerate(rows):
        draw.text((4, head_h + row * (size + gap) + size // 2 - 6), label, fill=(230, 230, 230))
    return sheet


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    identity = make_identity(7, sex="F")
    expressions_grid([(c, c, identity) for c in CHANNELS]).save(OUT / "expressions.png")
    families = [
        (f"{family} {i}", "shading", make_identity(i, sex=sex, family=family))
        for family in ("base", "rbf")
        for i, sex in ((7, "F"), (12, "M"))
    ]
    expressions_grid(families).save(OUT / "families.png")
    scan = make_face(make_identity(3, sex="M"), "happiness", 4.0, rng=1)
    config = RenderConfig(image_size=160, channels=CHANNELS)
    contact_sheet(render_views(scan, config)).save(OUT / "views.png")
    print(f"wrote {OUT / 'expressions.png'}, {OUT / 'families.png'} and {OUT / 'views.png'}")


if __name__ == "__main__":
    main()

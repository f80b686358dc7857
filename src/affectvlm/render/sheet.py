"""Contact sheets: every view side by side, one labelled row per channel (for eyes, not models)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from affectvlm.io.scan import Scan
from affectvlm.render.config import RenderConfig
from affectvlm.render.views import RenderedViews

_LABEL_W, _HEADER_H, _GAP = 72, 16, 2


def _rgb(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def contact_sheet(rendered: RenderedViews, channels: Sequence[str] | None = None) -> Image.Image:
    """Views in columns (headed by view name), channels in rows (labelled on the left)."""
    channels = list(channels or rendered.channels)
    missing = [c for c in channels if c not in rendered.channels]
    if missing:
        raise ValueError(f"channels {missing} were not rendered (have {list(rendered.channels)})")
    n_views = len(rendered.view_names)
    height, width = rendered.mask.shape[1:]
    sheet_w = _LABEL_W + n_views * (width + _GAP)
    sheet_h = _HEADER_H + len(channels) * (height + _GAP)
    sheet = Image.new("RGB", (sheet_w, sheet_h), (32, 32, 32))
    draw = ImageDraw.Draw(sheet)
    for col, name in enumerate(rendered.view_names):
        draw.text((_LABEL_W + col * (width + _GAP) + 2, 2), name, fill=(230, 230, 230))
    for row, channel in enumerate(channels):
        top = _HEADER_H + row * (height + _GAP)
        draw.text((4, top + height // 2 - 6), channel, fill=(230, 230, 230))
        for col in range(n_views):
            tile = Image.fromarray(_rgb(rendered.channels[channel][col]))
            sheet.paste(tile, (_LABEL_W + col * (width + _GAP), top))
    return sheet


def render_contact_sheet(
    source: str | Path | Scan,
    out_png: str | Path,
    config: RenderConfig | None = None,
    device: str = "cpu",
) -> Path:
    """Render a scan file, a sequence folder (as dynamic images) or a Scan to a PNG sheet of
    all channels; the file is written atomically. Returns its path."""
    from affectvlm.fileio import atomic_write
    from affectvlm.render.views import render_views

    config = config or RenderConfig(channels=["texture", "shading", "depth", "normal"])
    if isinstance(source, Scan):
        rendered = render_views(source, config, device=device)
    elif Path(source).is_dir():
        from dataclasses import replace

        from affectvlm.io.sequence import read_sequence
        from affectvlm.render.sequence import render_sequence

        dynamic = replace(config, temporal="dynamic")
        rendered = render_sequence(read_sequence(Path(source)), dynamic, device=device)[0]
    else:
        from affectvlm.io import read_scan

        rendered = render_views(read_scan(source), config, device=device)
    image = contact_sheet(rendered)
    return atomic_write(Path(out_png), lambda fh: image.save(fh, format="PNG"))

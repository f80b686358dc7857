"""Saliency drawn over the rendered views: heat-map overlays as uint8 RGB arrays and PNGs."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from affectvlm.fileio import atomic_write_bytes


def normalise_maps(maps: np.ndarray, shared: bool = True, percentile: float = 99.5) -> np.ndarray:
    """Scale maps ``(..., H, W)`` to [0, 1] by a high percentile (robust to single hot
    pixels): one scale for all maps when ``shared`` (views stay comparable), else per map."""
    maps = np.asarray(maps, dtype=np.float64)
    if shared:
        top = np.percentile(maps, percentile) if maps.size else 0.0
        return np.clip(maps / top, 0, 1) if top > 0 else np.zeros_like(maps)
    flat = maps.reshape(-1, *maps.shape[-2:])
    out = np.stack([normalise_maps(m, True, percentile) for m in flat])
    return out.reshape(maps.shape)


def colourise(values: np.ndarray, cmap: str = "inferno") -> np.ndarray:
    """Values in [0, 1] → uint8 RGB through a matplotlib colour map."""
    from matplotlib import colormaps

    rgba = colormaps[cmap](np.clip(np.asarray(values, dtype=np.float64), 0, 1))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def to_rgb(image: np.ndarray) -> np.ndarray:
    """A view as ``(H, W, 3)`` uint8 from ``(H, W)``, ``(H, W, 3)`` or ``(3, H, W)``, uint8 or
    float in [0, 1]."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] == 3 and image.shape[-1] != 3:
        image = image.transpose(1, 2, 0)
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected a grey or RGB image, got shape {image.shape}")
    return image


def resize_map(heat: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A map ``(h, w)`` resized to ``size = (H, W)`` bilinearly (antialiased when shrinking),
    so an upsampled saliency map is a smooth field, not blocks of model pixels."""
    from PIL import Image

    heat = np.asarray(heat, dtype=np.float64)
    if heat.shape == tuple(size):
        return heat
    resized = Image.fromarray(heat.astype(np.float32)).resize(
        (size[1], size[0]), Image.Resampling.BILINEAR
    )
    return np.asarray(resized, dtype=np.float64)


def overlay(
    image: np.ndarray, heat: np.ndarray, alpha: float = 0.6, cmap: str = "inferno"
) -> np.ndarray:
    """Blend heat ``(h, w)`` in [0, 1] over ``image``: the colour's opacity grows with the
    heat (cold pixels show the view), so the face stays readable. Heat of another size is
    resized smoothly (:func:`resize_map`), e.g. model-size maps over larger display views."""
    rgb = to_rgb(image).astype(np.float64)
    heat = resize_map(np.asarray(heat, dtype=np.float64), rgb.shape[:2])
    weight = alpha * np.clip(heat, 0, 1)[..., None]
    blended = (1 - weight) * rgb + weight * colourise(heat, cmap)
    return blended.round().clip(0, 255).astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_rgb(image)).save(buf, format="PNG")
    return buf.getvalue()


def save_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an image as PNG atomically."""
    return atomic_write_bytes(path, encode_png(image))


def side_by_side(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images of one height next to each other with a white gap (for a contact strip)."""
    rgbs = [to_rgb(im) for im in images]
    height = max(im.shape[0] for im in rgbs)
    parts = []
    for k, im in enumerate(rgbs):
        if im.shape[0] < height:
            im = np.pad(im, ((0, height - im.shape[0]), (0, 0), (0, 0)), constant_values=255)
        parts.append(im)
        if k + 1 < len(rgbs):
            parts.append(np.full((height, gap, 3), 255, dtype=np.uint8))
    return np.concatenate(parts, axis=1)

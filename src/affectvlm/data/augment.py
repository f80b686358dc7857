"""Mixed view augmentation: every view of a sample gets its own random geometric and colour change.

Torch only (no torchvision). One affine warp per view combines rotation, scale (zoom out)
and crop-and-resize (zoom in + offset); texture views also get a mild colour jitter. For
4D samples the frames of one view share that view's transform, so motion is untouched.

Horizontal flips and side views: mirroring a left view (yaw −20°) makes it look like a
right view, so flipping side views independently would put right-looking images in the
left slot. Two policies keep the geometry consistent:

* ``flip = "frontal"`` (default): only views whose yaw is 0° (their mirror is themselves)
  are flipped, each independently.
* ``flip = "mirror"``: the whole sample is mirrored at once — every view is flipped AND each
  view trades places with its mirror view (yaw −y ↔ +y), which is what a mirrored face
  rendered with the same cameras would give. Needs a mirror-symmetric view list.

Face-shape jitter (``max_aspect``, ``depth_shift``, ``depth_contrast``) is drawn once per
sample, shared by all its views and frames: a wider or narrower face in the framed image, and
a depth channel moved or stretched about its mean over the face. People's faces (and another
face model's) differ in exactly these global ways; the jitter keeps a model from reading an
expression off them.

Augmentation is applied to training samples only; evaluation builds datasets without it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F


@dataclass
class AugmentConfig:
    """Random per-view augmentation of training samples (all ranges symmetric around identity)."""

    enabled: bool = True
    flip: Literal["none", "frontal", "mirror"] = "frontal"
    flip_prob: float = 0.5
    max_rotation: float = 8.0  # degrees
    zoom_min: float = 0.9  # < 1 zooms out (smaller face, scale augmentation)
    zoom_max: float = 1.15  # > 1 zooms in (crop-and-resize)
    max_shift: float = 0.05  # fraction of the image size
    brightness: float = 0.15  # texture views only: factor in [1 - b, 1 + b]
    contrast: float = 0.15
    saturation: float = 0.15
    max_aspect: float = 1.0  # per sample: width/height stretched by a factor in [1/a, a]
    depth_shift: float = 0.0  # per sample: depth moved by up to this (fraction of its range)
    depth_contrast: float = 0.0  # per sample: depth stretched about its face mean by 1 ± this

    def __post_init__(self) -> None:
        if not 0.0 <= self.flip_prob <= 1.0:
            raise ValueError(f"flip_prob must lie in [0, 1], got {self.flip_prob}")
        if not 0.0 < self.zoom_min <= self.zoom_max:
            raise ValueError(f"need 0 < zoom_min <= zoom_max, got {self.zoom_min}, {self.zoom_max}")
        if self.max_aspect < 1.0 or self.depth_shift < 0.0 or not 0 <= self.depth_contrast < 1:
            raise ValueError(
                "need max_aspect >= 1, depth_shift >= 0 and 0 <= depth_contrast < 1, got "
                f"{self.max_aspect}, {self.depth_shift}, {self.depth_contrast}"
            )


def mirror_permutation(yaws: Sequence[float], tol: float = 1e-6) -> list[int]:
    """For each view, the index of the view whose yaw is its negative; ValueError if missing."""
    perm = []
    for yaw in yaws:
        matches = [j for j, other in enumerate(yaws) if abs(other + yaw) <= tol]
        if not matches:
            raise ValueError(
                f"flip='mirror' needs a mirror-symmetric view list; no view at yaw {-yaw:g} "
                f"mirrors the view at {yaw:g} (views: {list(yaws)})"
            )
        perm.append(matches[0])
    return perm


class MixedViewAugment:
    """Callable ``(views, generator) -> views`` on float images in [0, 1].

    ``views`` is ``(V, 3, H, W)`` or ``(T, V, 3, H, W)``; the output has the same shape.
    ``view_yaws`` are the render yaws in degrees, in view order; ``texture`` says whether
    the 3 channels are colour (jittered) or geometry (shading/depth/normals, never
    colour-jittered); ``depth_channels`` are the channels holding depth (none: no depth
    jitter).
    """

    def __init__(
        self,
        config: AugmentConfig,
        view_yaws: Sequence[float],
        texture: bool,
        depth_channels: Sequence[int] = (),
    ) -> None:
        self.config = config
        self.yaws = [float(y) for y in view_yaws]
        self.texture = texture
        self.depth_channels = list(depth_channels)
        self.frontal = torch.tensor([abs(y) < 1e-6 for y in self.yaws])
        self.mirror = mirror_permutation(self.yaws) if config.flip == "mirror" else None

    def __call__(self, views: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not self.config.enabled:
            return views
        static = views.dim() == 4
        x = views.unsqueeze(0) if static else views  # (T, V, 3, H, W)
        t, v = x.shape[:2]
        if v != len(self.yaws):
            raise ValueError(f"got {v} views but the render config has {len(self.yaws)}")
        x = self._flip(x, generator)
        x = self._depth(x, generator)
        theta = self._affine(v, generator, x.dtype)  # (V, 2, 3)
        flat = x.transpose(0, 1).reshape(v, t * 3, *x.shape[-2:])  # one warp per view
        grid = F.affine_grid(theta, list(flat.shape), align_corners=False)
        flat = F.grid_sample(
            flat, grid, mode="bilinear", padding_mode="border", align_corners=False
        )
        x = flat.reshape(v, t, 3, *x.shape[-2:]).transpose(0, 1)
        if self.texture:
            x = self._colour(x, generator)
        x = x.clamp(0.0, 1.0)
        return x[0] if static else x

    def _uniform(self, n: int, low: float, high: float, g: torch.Generator) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=g, dtype=torch.float64)

    def _flip(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        cfg = self.config
        v = x.shape[1]
        if cfg.flip == "mirror":
            if torch.rand(1, generator=g).item() < cfg.flip_prob:
                x = x[:, self.mirror].flip(-1)
            return x
        draw = torch.rand(v, generator=g) < cfg.flip_prob
        if cfg.flip == "frontal":
            flip = draw & self.frontal
            if flip.any():
                x = torch.where(flip.view(1, v, 1, 1, 1), x.flip(-1), x)
        return x

    def _affine(self, v: int, g: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
        cfg = self.config
        angle = self._uniform(v, -cfg.max_rotation, cfg.max_rotation, g) * math.pi / 180
        zoom = torch.exp(self._uniform(v, math.log(cfg.zoom_min), math.log(cfg.zoom_max), g))
        shift = self._uniform(2 * v, -2 * cfg.max_shift, 2 * cfg.max_shift, g).view(v, 2)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.stack(
            [torch.stack([cos, -sin, shift[:, 0]], -1), torch.stack([sin, cos, shift[:, 1]], -1)],
            dim=1,
        )
        if cfg.max_aspect > 1.0:  # one stretch for the whole sample: it is the face's shape
            log_a = math.log(cfg.max_aspect)
            aspect = torch.exp(self._uniform(1, -log_a, log_a, g))
            theta = theta * torch.cat([1.0 / aspect, aspect]).view(1, 2, 1)
        return theta.to(dtype)

    def _depth(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Shift and stretch the depth channel on the face (background, depth 0, stays)."""
        cfg = self.config
        if not self.depth_channels or (cfg.depth_shift == 0.0 and cfg.depth_contrast == 0.0):
            return x
        shift = self._uniform(1, -cfg.depth_shift, cfg.depth_shift, g).item()
        gain = self._uniform(1, 1 - cfg.depth_contrast, 1 + cfg.depth_contrast, g).item()
        x = x.clone()
        for c in self.depth_channels:
            depth = x[:, :, c]
            face = depth > 0
            mean = depth[face].mean() if face.any() else depth.new_tensor(0.0)
            moved = ((depth - mean) * gain + mean + shift).clamp(1.0 / 255.0, 1.0)
            x[:, :, c] = torch.where(face, moved, depth)
        return x

    def _colour(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        cfg = self.config
        v = x.shape[1]
        shape = (1, v, 1, 1, 1)
        bright = self._uniform(v, 1 - cfg.brightness, 1 + cfg.brightness, g).to(x.dtype)
        contrast = self._uniform(v, 1 - cfg.contrast, 1 + cfg.contrast, g).to(x.dtype)
        saturation = self._uniform(v, 1 - cfg.saturation, 1 + cfg.saturation, g).to(x.dtype)
        x = x * bright.view(shape)
        grey = (0.299 * x[:, :, 0:1] + 0.587 * x[:, :, 1:2] + 0.114 * x[:, :, 2:3]).clamp(0, 1)
        mean = grey.mean(dim=(0, 2, 3, 4), keepdim=True)
        x = (x - mean) * contrast.view(shape) + mean
        return (x - grey) * saturation.view(shape) + grey

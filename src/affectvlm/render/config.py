"""Settings of the multiview renderer: which views, which channels, how faces are framed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Channel = Literal["texture", "shading", "depth", "normal"]
ModelInput = Literal["texture", "shading", "depth", "stack"]

CHANNELS: tuple[str, ...] = ("texture", "shading", "depth", "normal")
MODEL_INPUT_CHANNELS: dict[str, tuple[str, ...]] = {
    "texture": ("texture",),
    "shading": ("shading",),
    "depth": ("depth",),
    "stack": ("shading", "depth", "normal"),
}


@dataclass
class ViewSpec:
    """One camera around the face.

    ``yaw`` is the camera's azimuth about the vertical (y) axis in degrees: positive moves the
    camera towards +x, the right of a frontal image (the subject's left cheek). ``pitch`` is
    its elevation: positive looks down from above.
    """

    name: str = "frontal"
    yaw: float = 0.0
    pitch: float = 0.0


def _default_views() -> list[ViewSpec]:
    return [
        ViewSpec("frontal", 0.0, 0.0),
        ViewSpec("left", -20.0, 0.0),
        ViewSpec("right", 20.0, 0.0),
    ]


@dataclass
class RenderConfig:
    """How scans become images for the model.

    Faces are centred and scaled to ``fill`` of the image half-size (see
    :mod:`affectvlm.render.camera`). ``depth`` maps normalised depth ``[-depth_range,
    depth_range]`` to 1..255 (near is bright, background 0). ``model_input`` picks the three
    channels the model consumes; ``temporal``/``frames``/``frame_sampling`` apply to 4D.
    """

    views: list[ViewSpec] = field(default_factory=_default_views)
    image_size: int = 224
    projection: Literal["orthographic", "perspective"] = "orthographic"
    focal_length: float = 4.0  # perspective: camera distance = focal length, in face half-sizes
    channels: list[Channel] = field(default_factory=lambda: ["texture", "shading", "depth"])
    model_input: ModelInput = "texture"
    background: int = 0  # grey level behind texture/shading/normal (depth background is 0)
    fill: float = 0.9  # face half-size as a fraction of the image half-size
    normalisation: Literal["auto", "landmarks", "bbox"] = "auto"
    bbox_percentile: float = 2.0  # robust bounding box: [p, 100 - p] percentiles
    depth_range: float = 1.0
    light: tuple[float, float, float] = (-0.3, 0.4, 1.0)  # towards the light, view space
    ambient: float = 0.15
    grey: float = 0.7  # texture value of scans with neither texture nor vertex colours
    supersample: int = 1  # render at k× and average down (anti-aliasing)
    temporal: Literal["frames", "dynamic"] = "frames"
    frames: int = 4
    frame_sampling: Literal["uniform", "expressive"] = "expressive"

    def __post_init__(self) -> None:
        if not self.views:
            raise ValueError("views must not be empty")
        names = [v.name for v in self.views]
        if len(set(names)) != len(names):
            raise ValueError(f"view names must be unique, got {names}")
        if self.image_size < 1 or self.supersample < 1 or self.frames < 1:
            raise ValueError("image_size, supersample and frames must be >= 1")
        if not 0 <= self.background <= 255:
            raise ValueError(f"background must be a grey level 0..255, got {self.background}")
        if self.fill <= 0 or self.depth_range <= 0 or self.focal_length <= 0:
            raise ValueError("fill, depth_range and focal_length must be positive")
        if not 0 <= self.bbox_percentile < 50:
            raise ValueError(f"bbox_percentile must be in [0, 50), got {self.bbox_percentile}")

    @property
    def needed_channels(self) -> tuple[str, ...]:
        """Channels to render: the requested ones plus those the model input needs."""
        wanted = set(self.channels) | set(MODEL_INPUT_CHANNELS[self.model_input])
        return tuple(c for c in CHANNELS if c in wanted)

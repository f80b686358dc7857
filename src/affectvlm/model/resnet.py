"""A convolutional CLIP vision encoder: the "modified ResNet" design of CLIP's RN towers.

A three-convolution stem with average pooling, four stages of bottleneck blocks whose
strided steps are anti-aliased (average pooling before the 1×1 expansion, not a strided
convolution), and an attention pool: one multi-head attention query (the mean of the final
feature map, plus learnt positional embeddings) reads the whole map into one vector.
``width=64, layers=(3, 4, 6, 3), heads=32, image_size=224`` is CLIP's RN50; small widths
and one block per stage give a tower that trains from scratch on a CPU.

The encoder mirrors the interface of the transformers encoders used by the ViT towers:
``encoder(pixel_values=...)`` returns an object with ``pooler_output`` (and the final
feature map as ``last_hidden_state``), and ``encoder.config`` is saved with the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

MODEL_TYPE = "affectvlm-resnet"
"""``model_type`` of a saved convolutional encoder config (no transformers config uses it)."""


@dataclass
class ConvEncoderConfig:
    """Shape of a :class:`ConvEncoder`; ``output_dim`` is the attention pool's output size."""

    image_size: int = 224
    width: int = 64
    layers: list[int] = field(default_factory=lambda: [3, 4, 6, 3])
    heads: int = 32
    output_dim: int = 1024
    model_type: str = MODEL_TYPE

    def __post_init__(self) -> None:
        self.layers = [int(n) for n in self.layers]
        if len(self.layers) != 4 or min(self.layers) < 1:
            raise ValueError(f"layers must be 4 positive block counts, got {self.layers}")
        if self.width < 2 or self.width % 2:
            raise ValueError(f"width must be an even number >= 2, got {self.width}")
        if self.image_size % 32:
            raise ValueError(f"image_size must be a multiple of 32, got {self.image_size}")
        if (self.width * 32) % self.heads:
            raise ValueError(f"heads={self.heads} must divide the final width {self.width * 32}")

    @property
    def feature_dim(self) -> int:
        """Channels of the final feature map (bottleneck expansion 4 × 8 × width)."""
        return self.width * 32

    @property
    def grid(self) -> int:
        """Side of the final feature map (the input is reduced 32 times)."""
        return self.image_size // 32

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConvEncoderConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class ConvEncoderOutput:
    pooler_output: torch.Tensor  # (N, output_dim)
    last_hidden_state: torch.Tensor  # (N, C, g, g) final feature map


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
    ]


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, (average pool when strided), 1×1 expand ×4, with a residual."""

    expansion = 4

    def __init__(self, c_in: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * self.expansion
        self.body = nn.Sequential(
            *_conv_bn(c_in, planes, 1),
            nn.ReLU(inplace=True),
            *_conv_bn(planes, planes, 3),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(stride) if stride > 1 else nn.Identity(),
            *_conv_bn(planes, out, 1),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride > 1 or c_in != out:
            self.shortcut = nn.Sequential(
                nn.AvgPool2d(stride) if stride > 1 else nn.Identity(), *_conv_bn(c_in, out, 1)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


class AttentionPool2d(nn.Module):
    """Multi-head attention of the mean feature (query) over every position of the map."""

    def __init__(self, grid: int, dim: int, heads: int, output_dim: int) -> None:
        super().__init__()
        self.positional = nn.Parameter(torch.randn(grid * grid + 1, dim) / dim**0.5)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.out = nn.Linear(dim, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.flatten(2).transpose(1, 2)  # (N, HW, C)
        tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)
        tokens = tokens + self.positional[None].to(tokens.dtype)
        pooled, _ = self.attention(tokens[:, :1], tokens, tokens, need_weights=False)
        return self.out(pooled[:, 0])


class ConvEncoder(nn.Module):
    """CLIP's modified ResNet: ``pixel_values (N, 3, S, S)`` → ``pooler_output (N, output_dim)``."""

    def __init__(self, config: ConvEncoderConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.stem = nn.Sequential(
            *_conv_bn(3, w // 2, 3, stride=2),
            nn.ReLU(inplace=True),
            *_conv_bn(w // 2, w // 2, 3),
            nn.ReLU(inplace=True),
            *_conv_bn(w // 2, w, 3),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        )
        stages, c_in = [], w
        for i, blocks in enumerate(config.layers):
            planes = w * 2**i
            stage = [Bottleneck(c_in, planes, stride=1 if i == 0 else 2)]
            c_in = planes * Bottleneck.expansion
            stage += [Bottleneck(c_in, planes) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.pool = AttentionPool2d(config.grid, c_in, config.heads, config.output_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # zero the last BN of every residual branch: each block starts as the identity
        for block in self.modules():
            if isinstance(block, Bottleneck):
                nn.init.zeros_(block.body[-1].weight)

    def forward(self, pixel_values: torch.Tensor) -> ConvEncoderOutput:
        size = self.config.image_size
        if pixel_values.shape[-2:] != (size, size):
            raise ValueError(f"expected {size}x{size} images, got {tuple(pixel_values.shape[-2:])}")
        features = self.stages(self.stem(pixel_values))
        return ConvEncoderOutput(self.pool(features), features)

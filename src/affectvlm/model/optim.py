"""Parameter groups for AdamW: towers vs heads, with and without weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

TOWER_PREFIXES = ("vision_tower.encoder.", "text_tower.encoder.")


def no_weight_decay(name: str, param: nn.Parameter) -> bool:
    """Biases, norms, temperatures, margins and other 0-/1-d parameters are not decayed."""
    return param.ndim < 2 or name.endswith(".bias") or "logit_scale" in name


def param_groups(
    model: nn.Module,
    lr_towers: float,
    lr_heads: float,
    weight_decay: float,
    extra: Iterable[nn.Module] = (),
) -> list[dict[str, Any]]:
    """AdamW groups ``towers/decay``, ``towers/no_decay``, ``heads/decay``, ``heads/no_decay``.

    Towers are the two encoder backbones (``vision_tower.encoder``, ``text_tower.encoder``);
    everything else (projections, fusion, temporal pooling, the logit scale and the
    parameters of ``extra`` modules such as the loss, whose α is learnable) is a head.
    Frozen parameters and empty groups are left out.
    """
    groups: dict[str, list[nn.Parameter]] = {
        "towers/decay": [],
        "towers/no_decay": [],
        "heads/decay": [],
        "heads/no_decay": [],
    }
    named = list(model.named_parameters())
    for i, module in enumerate(extra):
        named += [(f"extra{i}.{n}", p) for n, p in module.named_parameters()]
    seen: set[int] = set()
    for name, param in named:
        if not param.requires_grad or id(param) in seen:
            continue
        seen.add(id(param))
        part = "towers" if name.startswith(TOWER_PREFIXES) else "heads"
        decay = "no_decay" if no_weight_decay(name, param) else "decay"
        groups[f"{part}/{decay}"].append(param)
    out = []
    for key, params in groups.items():
        if params:
            part, decay = key.split("/")
            out.append(
                {
                    "name": key,
                    "params": params,
                    "lr": lr_towers if part == "towers" else lr_heads,
                    "weight_decay": weight_decay if decay == "decay" else 0.0,
                }
            )
    return out

"""``--device auto|cpu|cuda|cuda:i`` → ``torch.device``; the one resolver every verb uses."""

from __future__ import annotations

import torch


def resolve_device(spec: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` picks ``cuda:<local_rank>`` when CUDA exists, else the CPU; ``cuda`` alone means
    ``cuda:<local_rank>`` (the torchrun process's own GPU). A missing device is an error."""
    if isinstance(spec, torch.device):
        return spec
    text = spec.strip().lower()
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device '{spec}' requested but CUDA is not available")
        suffix = text.split(":", 1)[1] if ":" in text else str(local_rank)
        if not suffix.isdigit():
            raise ValueError(f"unknown device '{spec}' (use auto, cpu, cuda or cuda:N)")
        index = int(suffix)
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device '{spec}' requested but only {torch.cuda.device_count()} CUDA device(s)"
            )
        return torch.device("cuda", index)
    raise ValueError(f"unknown device '{spec}' (use auto, cpu, cuda or cuda:N)")

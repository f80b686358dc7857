"""The set-up commands install the pinned CPU torch and no CUDA packages."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_names_no_package_that_drags_a_cuda_torch():
    text = (ROOT / "pyproject.toml").read_text()
    for name in ("torchvision", "timm", "open_clip", "open-clip"):
        assert name not in text


def test_cpu_torch_build_comes_without_nvidia_packages():
    if torch.version.cuda is not None:
        pytest.skip(
            "a CUDA build of torch is installed (a user's machine): nvidia packages expected"
        )
    nvidia = sorted(
        d.metadata["Name"]
        for d in metadata.distributions()
        if re.match(r"nvidia[-_]", (d.metadata["Name"] or "").lower())
    )
    assert nvidia == []


def test_constraints_pin_the_torch_that_is_installed():
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    if torch.version.cuda is not None:
        pytest.skip("user-installed CUDA torch: the pin applies to the project's own set-up")
    assert torch.__version__.split("+")[0] == pins["torch"].strip()

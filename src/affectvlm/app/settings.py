"""Where the app's settings come from (environment, set by ``affectvlm app``) and where it
looks for a trained model when none is given."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from affectvlm.infer.inputs import InputLimits
from affectvlm.model.pretrained import META_FILE
from affectvlm.train.run import RunPaths

CHECKPOINT_ENV = "AFFECTVLM_CHECKPOINT"
MAX_UPLOAD_ENV = "AFFECTVLM_MAX_UPLOAD_MB"
DEVICE_ENV = "AFFECTVLM_DEVICE"
DEMO_FOLDERS = ("demo_out", "~/.cache/affectvlm/demo")
"""Where ``affectvlm demo`` writes its run (relative: to the working directory)."""
FINAL_RUN = "final"
"""The run folder of ``affectvlm demo``'s final fit (the app's model, fitted on every subject),
under the demo's folder."""


@dataclass
class AppSettings:
    checkpoint: Path | None
    device: str
    limits: InputLimits

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AppSettings:
        env = dict(os.environ if env is None else env)
        checkpoint = env.get(CHECKPOINT_ENV) or None
        try:
            max_mb = float(env.get(MAX_UPLOAD_ENV, "") or InputLimits.max_file_mb)
        except ValueError:
            max_mb = InputLimits.max_file_mb
        return cls(
            checkpoint=Path(checkpoint) if checkpoint else None,
            device=env.get(DEVICE_ENV, "auto") or "auto",
            limits=InputLimits(max_file_mb=max_mb),
        )


def find_demo_model(folders: tuple[str, ...] = DEMO_FOLDERS, depth: int = 4) -> Path | None:
    """The finished final fit's model (``<folder>/final/model``) of the first demo folder that
    has one; else the newest model directory (holding ``affectvlm.json``) under the folders.

    The final model saw every subject, a fold model only a fold's training side."""
    for folder in folders:
        final = RunPaths(Path(folder).expanduser() / FINAL_RUN)
        if final.result.is_file() and (final.model / META_FILE).is_file():
            return final.model
    found: list[Path] = []
    for folder in folders:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for level in range(depth + 1):
            found += root.glob("/".join(["*"] * level + [META_FILE]))
    if not found:
        return None
    return max(found, key=lambda p: p.stat().st_mtime).parent

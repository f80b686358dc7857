"""Find and read what a trained model directory holds besides the model itself.

The trainer writes ``<run>/model/``: ``AffectVLM.save_pretrained`` files (``affectvlm.json``,
weights, tokenizer, ``prompt_bank.json``) plus ``render.toml`` (the render settings it was
trained with) and ``classes.json`` (the run's class list, in logit order).
"""

from __future__ import annotations

import json
from pathlib import Path

from affectvlm import EMOTIONS
from affectvlm.config import ConfigError, from_dict, read_toml
from affectvlm.infer.errors import InferenceError
from affectvlm.render.config import RenderConfig

META_FILE = "affectvlm.json"
RENDER_FILE = "render.toml"
CLASSES_FILE = "classes.json"


def find_model_dir(path: str | Path) -> Path:
    """``path`` itself when it is a model directory, else its ``model/`` subfolder."""
    path = Path(path)
    if not path.exists():
        raise InferenceError(path, "checkpoint not found")
    for candidate in (path, path / "model"):
        if (candidate / META_FILE).is_file():
            return candidate
    raise InferenceError(
        path,
        f"not a trained model: no {META_FILE} here or in model/ "
        "(give a run folder of 'affectvlm train' or its model/ subfolder)",
    )


def load_render_config(model_dir: Path) -> RenderConfig:
    """The render settings saved with the model (the ones it was trained with)."""
    file = model_dir / RENDER_FILE
    if not file.is_file():
        raise InferenceError(
            file,
            "render settings missing: the model must be saved by the trainer, which "
            "writes them next to the weights",
        )
    try:
        table = read_toml(file)
    except UnicodeDecodeError as exc:
        raise InferenceError(file, "not a text file (not UTF-8)") from exc
    except ConfigError as exc:
        raise InferenceError(file, str(exc).removeprefix(f"{file}: ")) from exc
    if not table:  # the trainer writes every setting: defaults would render differently
        raise InferenceError(file, "empty: the render settings of the model are lost")
    try:
        return from_dict(RenderConfig, table, prefix="render")
    except ConfigError as exc:
        raise InferenceError(file, str(exc)) from exc


def load_class_names(model_dir: Path, known: list[str]) -> list[str]:
    """The run's classes from ``classes.json``; without it, the canonical emotions the
    prompt bank knows (``known``), in canonical order."""
    file = model_dir / CLASSES_FILE
    if not file.is_file():
        return [e for e in EMOTIONS if e in known]
    try:
        names = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InferenceError(file, f"not valid JSON ({exc})") from exc
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InferenceError(file, "expected a non-empty list of class names")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InferenceError(file, f"classes {unknown} are not in the saved prompt bank")
    return names

"""Inference: :class:`Predictor` (the one entry point for the CLI ``predict`` and the app),
input resolution (files, folders, 4D sequence folders, zipped sequences) and formatting."""

from affectvlm.device import resolve_device
from affectvlm.infer.checkpoint import find_model_dir, load_class_names, load_render_config
from affectvlm.infer.errors import InferenceError
from affectvlm.infer.formatting import FORMATS, format_predictions
from affectvlm.infer.inputs import (
    InputError,
    InputItem,
    InputLimits,
    extract_zip,
    is_sequence_folder,
    open_input,
    resolve_inputs,
)
from affectvlm.infer.outputs import Prediction, PromptScore
from affectvlm.infer.predictor import Predictor, RenderedInput

__all__ = [
    "FORMATS",
    "InferenceError",
    "InputError",
    "InputItem",
    "InputLimits",
    "Prediction",
    "Predictor",
    "PromptScore",
    "RenderedInput",
    "extract_zip",
    "find_model_dir",
    "format_predictions",
    "is_sequence_folder",
    "load_class_names",
    "load_render_config",
    "open_input",
    "resolve_device",
    "resolve_inputs",
]

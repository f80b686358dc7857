"""The one entry point for predictions (CLI ``predict`` and the app): :class:`Predictor`.

It renders a scan or sequence with the render settings saved with the model, runs the
vision tower once, and scores the embedding against the class prompts (ensembled as in
evaluation) and against any free-text prompts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from affectvlm.device import resolve_device
from affectvlm.explain import Explanation, SaliencyConfig
from affectvlm.infer.checkpoint import find_model_dir, load_class_names, load_render_config
from affectvlm.infer.errors import InferenceError
from affectvlm.infer.inputs import InputError, InputItem, InputLimits, open_input
from affectvlm.infer.outputs import Prediction, PromptScore
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.registry import read_scan
from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.model.outputs import ImageEncoding
from affectvlm.render.config import CHANNELS, RenderConfig
from affectvlm.render.sequence import render_sequence, sample_frames
from affectvlm.render.views import RenderedViews, render_views

DISPLAY_CHANNELS: tuple[str, ...] = ("texture", "shading", "depth")
"""Channels rendered for display besides the model input (they do not change it)."""

DISPLAY_SIZE = 256
"""Edge in pixels of the views rendered for people to look at (the app's ``display_size``)."""

PREDICT_ERRORS = (ScanFormatError, InferenceError, OSError, ValueError)
"""Failures of one input in a batch: recorded and reported, the batch goes on."""


@dataclass
class RenderedInput:
    """Model input ``(T, V, 3, H, W)`` uint8 and the images behind it; ``display_views`` are
    the same frames rendered again at the predictor's ``display_size`` (None without one)."""

    array: np.ndarray
    views: list[RenderedViews]
    frame_indices: list[int] | None  # into the sequence, for sampled frames
    display_views: list[RenderedViews] | None = None


def _display_config(config: RenderConfig, extra: Sequence[str]) -> RenderConfig:
    wanted = set(config.channels) | set(extra)
    return replace(config, channels=[c for c in CHANNELS if c in wanted])


def _motion_view(sequence: ScanSequence) -> ScanSequence:
    """The same frames read without textures (frame sampling only needs vertices)."""
    if sequence.loader is not None or any(isinstance(f, Scan) for f in sequence.frames):
        return sequence
    return ScanSequence(frames=sequence.frames, loader=partial(read_scan, load_texture=False))


class Predictor:
    """A trained AffectVLM ready to predict on scans, sequences and paths.

    With ``display_size`` (the app passes :data:`DISPLAY_SIZE`) each prediction also carries
    its views rendered at ``max(display_size, model render size)`` for display; the model
    always gets the render size it was trained on.
    """

    def __init__(
        self,
        model: Any,
        render_config: RenderConfig,
        class_names: Sequence[str],
        device: str | torch.device = "auto",
        display_channels: Sequence[str] = DISPLAY_CHANNELS,
        source: str = "",
        display_size: int | None = None,
    ) -> None:
        if display_size is not None and display_size < 1:
            raise ValueError(f"display_size must be >= 1 pixel, got {display_size}")
        self.display_size = display_size
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.render_config = render_config
        self._render_config = _display_config(render_config, display_channels)
        self.class_names = list(class_names)
        self.source = source
        bank = model.prompt_bank
        if bank is None:
            raise InferenceError(source or "model", "model has no prompt bank")
        self.class_prompts = {c: bank.all(c) for c in self.class_names}
        with torch.no_grad():
            self.class_embeds = model.class_embeddings(None, self.class_names)

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str | torch.device = "auto",
        display_channels: Sequence[str] = DISPLAY_CHANNELS,
        display_size: int | None = None,
    ) -> Predictor:
        """Load a run folder or its ``model/`` subfolder (weights, prompts, render settings)."""
        from affectvlm.model import AffectVLM

        model_dir = find_model_dir(path)
        render_config = load_render_config(model_dir)
        dev = resolve_device(device)
        model = AffectVLM.from_pretrained(model_dir, map_location=str(dev))
        bank = model.prompt_bank
        if bank is None:
            raise InferenceError(model_dir, "no prompt_bank.json saved with the model")
        classes = load_class_names(model_dir, bank.emotions)
        return cls(
            model, render_config, classes, dev, display_channels, str(model_dir), display_size
        )

    @property
    def display_render_config(self) -> RenderConfig:
        """The render settings of ``Prediction.views`` (the model's plus display channels)."""
        return self._render_config

    # --- rendering -----------------------------------------------------------------------

    def render(self, data: Scan | ScanSequence) -> RenderedInput:
        """Render ``data`` exactly as the training cache did (``render_item``), and with a
        ``display_size`` the same frames again at that size."""
        config = self._render_config
        chosen: Scan | ScanSequence = data
        indices = None
        if isinstance(data, ScanSequence):
            indices = sample_frames(_motion_view(data), config.frames, config.frame_sampling)
            frames = [data.frames[i] for i in indices]
            if self.display_size is not None:  # rendered twice: read each frame once
                frames = [data.frame(i) for i in indices]
            chosen = ScanSequence(frames=frames, fps=data.fps, loader=data.loader)
        views = self._render_frames(chosen, config)
        display = None
        if self.display_size is not None:
            size = max(self.display_size, config.image_size)
            display = self._render_frames(chosen, replace(config, image_size=size))
        if config.temporal == "dynamic":
            indices = None
        array = np.stack([f.model_input(config.model_input) for f in views])
        return RenderedInput(array, views, indices, display)

    def _render_frames(
        self, data: Scan | ScanSequence, config: RenderConfig
    ) -> list[RenderedViews]:
        """One :class:`RenderedViews` for a scan; the frames of an already sampled sequence."""
        if isinstance(data, Scan):
            return [render_views(data, config, device=self.device)]
        uniform = replace(config, frames=len(data), frame_sampling="uniform")
        return render_sequence(data, uniform, device=self.device)

    def images(self, array: np.ndarray) -> torch.Tensor:
        """``(T, V, 3, H, W)`` uint8 → the model batch: ``(1, V, 3, S, S)`` for one frame, else
        ``(1, T, V, 3, S, S)``, in [0, 1] and resized as the training dataset does."""
        x = torch.from_numpy(np.ascontiguousarray(array)).to(self.device).float().div_(255.0)
        t, v, c, h, w = x.shape
        size = self.model.vision_tower.image_size
        if (h, w) != (size, size):
            x = F.interpolate(
                x.view(t * v, c, h, w),
                size=(size, size),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            ).view(t, v, c, size, size)
        return (x[0] if t == 1 else x)[None]

    # --- scoring -------------------------------------------------------------------------

    @torch.no_grad()
    def predict(
        self,
        item: Scan | ScanSequence | InputItem | str | Path,
        prompts: Sequence[str] = (),
        limits: InputLimits | None = None,
    ) -> Prediction:
        """Class probabilities (fused, per view, per frame) and free-text prompt scores;
        ``limits`` bound what a zip may expand to."""
        if isinstance(item, (Scan, ScanSequence)):
            return self._predict(item, _source(item), prompts)
        path = item.path if isinstance(item, InputItem) else Path(item)
        with open_input(item, limits) as data:
            return self._predict(data, str(path), prompts)

    def _predict(
        self, data: Scan | ScanSequence, source: str, prompts: Sequence[str]
    ) -> Prediction:
        rendered = self.render(data)
        enc = self.model.encode_images(self.images(rendered.array))
        out = self.model.score(enc, self.class_embeds)
        logits, view_logits = out.logits, out.view_logits
        frame_probs = frame_embeds = None
        if enc.frame_embeds is not None:
            frames = enc.frame_embeds[0]  # (T, V, D): each frame scored as a scan alone
            alone = ImageEncoding(frames, self.model.fusion.fuse_embeds(frames))
            frame_probs = _np(self.model.score(alone, self.class_embeds).logits.softmax(-1))
            frame_embeds = _np(frames)
        prediction = Prediction(
            source=source,
            kind="scan" if isinstance(data, Scan) else "sequence",
            class_names=list(self.class_names),
            probs=_np(logits[0].softmax(-1)),
            view_names=list(rendered.views[0].view_names),
            view_probs=_np(view_logits[0].softmax(-1)),
            embedding=_np(enc.fused_embed[0]),
            view_embeddings=_np(enc.view_embeds[0]),
            views=rendered.views,
            display_views=rendered.display_views,
            class_prompts={k: list(v) for k, v in self.class_prompts.items()},
            frame_probs=frame_probs,
            frame_indices=rendered.frame_indices if frame_probs is not None else None,
            frame_embeddings=frame_embeds,
        )
        prediction.prompt_scores = self.score_prompts(prediction, prompts)
        return prediction

    @torch.no_grad()
    def score_prompts(self, prediction: Prediction, prompts: Sequence[str]) -> list[PromptScore]:
        """Zero-shot scores of free-text ``prompts`` for an existing prediction, best first.

        Blank prompts are dropped; only the text tower runs (the views are not re-encoded).
        """
        texts = list(dict.fromkeys(p.strip() for p in prompts if p and p.strip()))
        if not texts:
            return []
        if self.model.config.head != "text":
            raise InferenceError(
                self.source or "model",
                "this model has a linear class head (cross-entropy reference): free-text "
                "prompts need a model trained with the text head",
            )
        text = self.model.encode_text(texts)
        fused = torch.as_tensor(prediction.embedding, device=self.device)[None]
        views = torch.as_tensor(prediction.view_embeddings, device=self.device)[None]
        frames = None
        if prediction.frame_embeddings is not None:
            frames = torch.as_tensor(prediction.frame_embeddings, device=self.device)[None]
        out = self.model.score(ImageEncoding(views, fused, frames), text)
        probs = out.logits[0].float().softmax(-1).cpu()
        similarity = (out.logit_scale * out.view_embeds[0] @ out.text_embeds.t()).mean(dim=0)
        scores = similarity.float().cpu()
        order = sorted(range(len(texts)), key=lambda i: (-float(probs[i]), -float(scores[i])))
        return [PromptScore(texts[i], float(scores[i]), float(probs[i])) for i in order]

    def explain(
        self,
        prediction: Prediction,
        target: str | None = None,
        prompts: Sequence[str] = (),
        config: SaliencyConfig | None = None,
    ) -> Explanation:
        """Why ``prediction`` scored as it did: saliency per view (at the rendered size) and
        view contributions for class ``target`` (default: the predicted class) or — with
        ``prompts`` — for the prompt ``target`` among them (default: the best-scoring one)."""
        from affectvlm.explain import explain

        texts = list(dict.fromkeys(p.strip() for p in prompts if p and p.strip()))
        if texts:
            with torch.no_grad():
                labels, text = texts, self.model.encode_text(texts)
        else:
            labels, text = self.class_names, self.class_embeds
        mode = self.render_config.model_input
        array = np.stack([frame.model_input(mode) for frame in prediction.views])
        views = torch.from_numpy(array).float().div_(255.0)
        views = views[0] if len(views) == 1 else views
        return explain(self.model, views, text, labels, target, config, prediction.view_names)

    def predict_many(
        self,
        items: Iterable[InputItem],
        prompts: Sequence[str] = (),
        limits: InputLimits | None = None,
    ) -> Iterator[Prediction | InputError]:
        """Predict each item in turn; an item that fails yields an :class:`InputError` with
        the reason, and the batch goes on (a fault outside the expected error types, a bug,
        is recorded with its type rather than losing the other predictions)."""
        for item in items:
            try:
                with open_input(item, limits) as data, torch.no_grad():
                    prediction = self._predict(data, str(item.path), prompts)
            except PREDICT_ERRORS as exc:
                same = Path(getattr(exc, "path", "") or "") == item.path
                yield InputError(item.path, exc.reason if same else str(exc))
            except Exception as exc:  # a batch job records every failure and goes on
                yield InputError(item.path, f"unexpected {type(exc).__name__}: {exc}")
            else:
                yield prediction


def _source(data: Scan | ScanSequence) -> str:
    return str(data.path) if data.path is not None else "<in memory>"


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().float().cpu().numpy()

"""Does the text side earn its place? Scores on held-out paraphrases of each emotion.

Text side: each paraphrase is embedded by the model's text tower and given the class whose
prompt-ensembled embedding (:meth:`AffectVLM.class_text_embeddings`) it is closest to
(cosine); accuracy is the share given its own class. Image side: labelled views classified
with each class represented by its paraphrases instead of the training prompts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from affectvlm.eval.metrics import ClassificationMetrics, classification_metrics
from affectvlm.model import AffectVLM
from affectvlm.text.prompts import PromptBank


@dataclass
class ParaphraseScore:
    """Where each held-out paraphrase landed: ``rows`` are (paraphrase, class, nearest class)."""

    metrics: ClassificationMetrics
    rows: list[tuple[str, str, str]]

    @property
    def accuracy(self) -> float:
        return self.metrics.accuracy

    def misses(self) -> list[tuple[str, str, str]]:
        return [row for row in self.rows if row[1] != row[2]]


@contextmanager
def _evaluating(model: AffectVLM):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _flatten(
    paraphrases: Mapping[str, Sequence[str]], class_names: Sequence[str]
) -> tuple[list[str], list[int]]:
    missing = [c for c in class_names if not paraphrases.get(c)]
    if missing:
        raise ValueError(f"no paraphrases for classes {missing}")
    texts = [p for c in class_names for p in paraphrases[c]]
    labels = [i for i, c in enumerate(class_names) for _ in paraphrases[c]]
    return texts, labels


def paraphrase_text_accuracy(
    model: AffectVLM,
    paraphrases: Mapping[str, Sequence[str]],
    class_names: Sequence[str],
    bank: PromptBank | None = None,
) -> ParaphraseScore:
    """Which class each paraphrase of ``class_names`` ranks highest with (cosine against the
    classes' training-prompt ensembles from ``bank``, default the model's own)."""
    class_names = list(class_names)
    texts, labels = _flatten(paraphrases, class_names)
    with _evaluating(model):
        classes = model.class_text_embeddings(bank, class_names)
        nearest = (model.encode_text(texts) @ classes.t()).argmax(-1).tolist()
    rows = [
        (t, class_names[y], class_names[p]) for t, y, p in zip(texts, labels, nearest, strict=True)
    ]
    return ParaphraseScore(classification_metrics(labels, nearest, class_names), rows)


def paraphrase_class_embeddings(
    model: AffectVLM, paraphrases: Mapping[str, Sequence[str]], class_names: Sequence[str]
) -> torch.Tensor:
    """One embedding per class ``(C, D)``: the renormalised mean of its paraphrases (as the
    training prompts are ensembled)."""
    texts, labels = _flatten(paraphrases, list(class_names))
    with _evaluating(model):
        embeds = model.encode_text(texts)
    index = torch.tensor(labels, device=embeds.device)
    means = torch.stack([embeds[index == i].mean(dim=0) for i in range(len(class_names))])
    return F.normalize(means, dim=-1)


def image_accuracy(
    model: AffectVLM,
    images: torch.Tensor,
    labels: Sequence[int],
    text_embeds: torch.Tensor,
    class_names: Sequence[str],
    batch_size: int = 64,
) -> ClassificationMetrics:
    """Fused predictions of labelled views ``(B, V, 3, H, W)`` against class embeddings
    ``text_embeds (C, D)`` (training prompts or :func:`paraphrase_class_embeddings`)."""
    predicted: list[int] = []
    with _evaluating(model):
        for start in range(0, len(images), batch_size):
            out = model(images[start : start + batch_size], text_embeds)
            predicted += out.logits.argmax(-1).tolist()
    return classification_metrics(list(labels), predicted, list(class_names))

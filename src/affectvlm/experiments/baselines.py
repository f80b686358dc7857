"""Non-VLM reference: depth-image PCA + multinomial logistic regression (no scikit-learn).

PCA is an SVD of the centred training matrix; the classifier is softmax regression with an
L2 penalty fitted full-batch by L-BFGS in torch (float64, deterministic). Features are the
frontal view's depth image from the render cache (``render.model_input = "depth"``),
averaged over frames for 4D samples and resized to ``image_size``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from affectvlm.eval.metrics import classification_metrics
from affectvlm.fileio import atomic_write_json


@dataclass
class PCA:
    """A fitted projection: ``transform(x) = (x - mean) @ components.T``."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (K, D), rows orthonormal
    explained_variance: np.ndarray  # (K,)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T


def fit_pca(x: np.ndarray, components: int) -> PCA:
    """Principal axes of ``x (N, D)``; at most ``min(N, D)`` components are kept."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"PCA needs a (N >= 2, D) matrix, got shape {x.shape}")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    k = max(1, min(components, len(s)))
    signs = np.sign(vt[:k, np.argmax(np.abs(vt[:k]), axis=1)].diagonal())  # deterministic sign
    signs[signs == 0] = 1.0
    return PCA(mean, vt[:k] * signs[:, None], s[:k] ** 2 / (len(x) - 1))


@dataclass
class SoftmaxRegression:
    """Multinomial logistic regression on standardised features."""

    weight: np.ndarray  # (C, D)
    bias: np.ndarray  # (C,)
    scale_mean: np.ndarray
    scale_std: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.scale_mean) / self.scale_std
        return z @ self.weight.T + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.logits(x).argmax(axis=1)


def fit_softmax_regression(
    x: np.ndarray, y: np.ndarray, num_classes: int, l2: float = 1e-3, steps: int = 300
) -> SoftmaxRegression:
    """Minimise mean cross-entropy + ``l2/2·‖W‖²`` with full-batch L-BFGS."""
    x = np.asarray(x, dtype=np.float64)
    labels = torch.as_tensor(np.asarray(y, dtype=np.int64))
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-12] = 1.0
    z = torch.as_tensor((x - mean) / std)
    w = torch.zeros(num_classes, x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(z @ w.T + b, labels) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return SoftmaxRegression(w.detach().numpy(), b.detach().numpy(), mean, std)


def depth_features(
    records: list[Any], cache: Any, sample_id: Any, view: int, image_size: int
) -> np.ndarray:
    """``(N, image_size²)`` depth images in [0, 1] of one view (mean over frames)."""
    rows = []
    for r in records:
        array = np.asarray(cache.load(sample_id(r)))  # (T, V, 3, H, W) uint8
        depth = torch.from_numpy(array[:, view, 0].astype(np.float32) / 255.0).mean(0)
        small = F.interpolate(
            depth[None, None],
            size=(image_size, image_size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        rows.append(small.flatten().numpy())
    return np.stack(rows) if rows else np.zeros((0, image_size * image_size))


def frontal_view(render: Any) -> int:
    """Index of the view with the smallest |yaw| (the frontal camera)."""
    return int(np.argmin([abs(v.yaw) for v in render.views]))


def pca_logreg_fold(
    config: Any,
    records: list[Any],
    foldset: Any,
    fold: int,
    out_dir: str | Path,
    settings: Any,
    cache: Any = None,
) -> dict[str, Any]:
    """Fit on the fold's training part, report validation and test metrics; write
    ``fold_result.json`` (the trainer's fields; no epochs, so an empty history)."""
    if config.render.model_input != "depth":
        raise ValueError('the PCA baseline reads depth images: set render.model_input="depth"')
    from affectvlm.train.components import load_fold_data

    data = load_fold_data(config, records, foldset, fold, cache)
    view = frontal_view(config.render)
    names = data.class_names

    def part(name: str) -> tuple[np.ndarray, np.ndarray]:
        recs = data.parts[name]
        x = depth_features(recs, data.cache, data.sample_id, view, settings.image_size)
        return x, np.array([names.index(r.emotion) for r in recs], dtype=np.int64)

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = part("train"), part("val"), part("test")
    pca = fit_pca(x_tr, settings.components)
    clf = fit_softmax_regression(pca.transform(x_tr), y_tr, len(names), settings.l2, settings.steps)
    val = (
        classification_metrics(y_va, clf.predict(pca.transform(x_va)), names) if len(y_va) else None
    )
    test = classification_metrics(y_te, clf.predict(pca.transform(x_te)), names)
    result = {
        "fold": fold,
        "best_epoch": 0,
        "epochs_run": 0,
        "select_metric": config.select_metric,
        "val_metrics": {"accuracy": val.accuracy, "macro_f1": val.macro_f1} if val else {},
        "test_metrics": test.to_dict(),
        "class_names": list(names),
        "model_dir": "",
        "history": [],
    }
    atomic_write_json(Path(out_dir) / "fold_result.json", result)
    return result

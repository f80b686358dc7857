"""Non-VLM reference: frontal depth image → StandardScaler → PCA → logistic regression.

The pipeline is scikit-learn's. Its component count and ``C`` are chosen by a grid search
with subject-grouped inner folds (:class:`~sklearn.model_selection.GroupKFold`) on the
training side of the outer fold (its train and val subjects), then refitted on that whole
side; the fold's test subjects never enter the search.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from affectvlm.data import FoldSet, select_records
from affectvlm.eval.groups import prediction_rows
from affectvlm.eval.metrics import classification_metrics
from affectvlm.render.cache import sample_id_for
from affectvlm.render.config import MODEL_INPUT_CHANNELS, RenderConfig
from affectvlm.train.components import load_fold_data
from affectvlm.train.config import TrainConfig
from affectvlm.train.result import FoldResult, save_fold_result

COMPONENTS = (10, 20, 40)
CS = (0.01, 0.1, 1.0)
INNER_FOLDS = 4


def frontal_view(render: RenderConfig) -> int:
    """Index of the view with the smallest |yaw| (the frontal camera)."""
    return int(np.argmin([abs(v.yaw) for v in render.views]))


def depth_channel(model_input: str) -> int:
    """Channel of the cached model input that holds the depth image."""
    channels = MODEL_INPUT_CHANNELS.get(model_input, ())
    if "depth" not in channels:
        raise ValueError(
            f"the PCA baseline reads depth images, but render.model_input={model_input!r} "
            'carries none: set it to "depth" or "stack"'
        )
    return channels.index("depth")


def depth_images(
    records: Sequence[Any], cache: Any, render: RenderConfig, image_size: int | None = None
) -> np.ndarray:
    """``(N, H·W)`` float32 frontal depth images in [0, 1] from the render cache (mean over
    the frames of 4D samples), resized to ``image_size`` when it is set and differs."""
    view, channel = frontal_view(render), depth_channel(render.model_input)
    rows = [
        np.asarray(cache.load(sample_id_for(r.path))[:, view, channel], dtype=np.float32).mean(0)
        for r in records
    ]
    if not rows:
        side = image_size or render.image_size
        return np.zeros((0, side * side), dtype=np.float32)
    images = np.stack(rows) / np.float32(255.0)
    if image_size and image_size != images.shape[-1]:
        small = F.interpolate(
            torch.from_numpy(images)[:, None],
            size=(image_size, image_size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        images = small[:, 0].numpy()
    return images.reshape(len(images), -1)


def fit_depth_pca_logreg(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[str],
    *,
    components: Sequence[int] = COMPONENTS,
    cs: Sequence[float] = CS,
    seed: int = 0,
    inner_folds: int = INNER_FOLDS,
) -> GridSearchCV:
    """Grid-search ``pca__n_components`` × ``logreg__C`` with subject-grouped inner folds
    (``groups``: a subject key per row) and refit the best on all of ``x``.

    Component counts the smallest inner training split cannot support are dropped (2 when
    none is left); there are ``min(inner_folds, subjects)`` inner folds.
    """
    subjects = len(set(groups))
    if subjects < 2:
        raise ValueError(f"the inner CV needs at least 2 subjects, got {subjects}")
    cv = GroupKFold(n_splits=min(inner_folds, subjects))
    cap = min(min(len(train) for train, _ in cv.split(x, y, groups)), x.shape[1])
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("pca", PCA(random_state=seed)),
            ("logreg", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )
    grid = {
        "pca__n_components": [int(n) for n in components if n < cap] or [min(2, cap)],
        "logreg__C": [float(c) for c in cs],
    }
    search = GridSearchCV(pipe, grid, scoring="accuracy", cv=cv, n_jobs=1, error_score="raise")
    return search.fit(x, y, groups=groups)


def _grid(settings: Any, name: str, default: Sequence[Any]) -> tuple[Any, ...]:
    value = getattr(settings, name, default)
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def pca_logreg_fold(
    config: TrainConfig,
    records: Sequence[Any],
    foldset: FoldSet,
    fold: int,
    out_dir: str | Path,
    settings: Any,
    cache: Any = None,
    extra_tests: dict[str, Sequence[Any]] | None = None,
) -> FoldResult:
    """Fit on the fold's train + val subjects, test on its test subjects (and on those of
    each ``extra_tests`` record list); write the fold's result in ``out_dir``.

    ``val_metrics`` hold the inner-CV accuracy of the chosen parameters (the val subjects
    are part of the fitting side); ``extras["baseline"]`` holds those parameters.
    ``settings`` is the study's ``BaselineSettings``.
    """
    depth_channel(config.render.model_input)  # fail before any loading
    data = load_fold_data(config, records, foldset, fold, cache)
    names = data.class_names
    size = getattr(settings, "image_size", None)

    def part(recs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        y = np.array([names.index(r.emotion) for r in recs], dtype=np.int64)
        return depth_images(recs, data.cache, config.render, size), y

    fit = [*data.parts["train"], *data.parts["val"]]
    search = fit_depth_pca_logreg(
        *part(fit),
        [r.subject_key for r in fit],
        components=_grid(settings, "components", COMPONENTS),
        cs=_grid(settings, "cs", CS),
        seed=config.seed,
        inner_folds=getattr(settings, "inner_folds", INNER_FOLDS),
    )
    best = search.best_params_
    result = FoldResult(
        fold=fold,
        best_epoch=0,
        epochs_run=0,
        select_metric=config.select_metric,
        val_metrics={"accuracy": float(search.best_score_), "inner_cv": True},
        test_metrics={},
        class_names=list(names),
        model_dir="",
        extras={"baseline": {"n_components": best["pca__n_components"], "C": best["logreg__C"]}},
    )
    test = data.parts["test"]
    if test:  # a final fit on every subject has no test part
        x, y = part(test)
        predicted = search.predict(x)
        result.test_metrics = classification_metrics(y, predicted, names).to_dict()
        result.predictions = prediction_rows(test, y, predicted, names)
    for name, recs in (extra_tests or {}).items():
        x, y = part(select_records(list(recs), foldset, fold, "test"))
        predicted = search.predict(x) if len(y) else y
        result.extra_test_metrics[name] = classification_metrics(y, predicted, names).to_dict()
    save_fold_result(out_dir, result)
    return result


def view_stacks(records: Sequence[Any], cache: Any) -> torch.Tensor:
    """``(N, V, C, H, W)`` float32 cached model inputs in [0, 1] (mean over 4D frames)."""
    rows = [
        torch.from_numpy(np.asarray(cache.load(sample_id_for(r.path)), dtype=np.float32).mean(0))
        for r in records
    ]
    return torch.stack(rows) / 255.0


class PlainCNN(torch.nn.Module):
    """Four conv-BN-ReLU-pool blocks and a linear layer, shared by the views; the views'
    logits are averaged. The reference the issue measured the CLIP recipe against."""

    def __init__(self, classes: int, channels: int = 3, width: int = 16) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        cin = channels
        for k in range(4):
            cout = width * 2 ** min(k, 2)
            layers += [
                torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                torch.nn.BatchNorm2d(cout),
                torch.nn.ReLU(inplace=True),
                torch.nn.MaxPool2d(2),
            ]
            cin = cout
        self.features = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1))
        self.head = torch.nn.Linear(cin, classes)

    def forward(self, views: torch.Tensor) -> torch.Tensor:  # (N, V, C, H, W) → (N, classes)
        n, v = views.shape[:2]
        logits = self.head(self.features(views.flatten(0, 1)).flatten(1))
        return logits.view(n, v, -1).mean(1)


def fit_plain_cnn(
    x: torch.Tensor,
    y: torch.Tensor,
    val_x: torch.Tensor,
    val_y: torch.Tensor,
    classes: int,
    *,
    epochs: int = 40,
    batch_size: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
) -> PlainCNN:
    """Cross-entropy with Adam; the weights of the epoch with the best validation accuracy
    (the first of ties) are returned."""
    torch.manual_seed(seed)
    model = PlainCNN(classes, x.shape[2])
    optim = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    best, best_state = -1.0, None
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=order).split(batch_size):
            optim.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            optim.step()
        accuracy = float((predict_plain_cnn(model, val_x) == val_y).float().mean())
        if accuracy > best:
            best = accuracy
            best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    return model.eval()


def predict_plain_cnn(model: PlainCNN, x: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(part).argmax(-1) for part in x.split(batch_size)])

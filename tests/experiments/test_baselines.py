"""The depth-image PCA + logistic-regression reference: learns, searches inside the fold only."""

import zlib

import numpy as np
import pytest

from affectvlm.data import make_folds, protocol_config
from affectvlm.data.config import SIX
from affectvlm.experiments import baselines
from affectvlm.experiments.baselines import depth_images, fit_depth_pca_logreg, pca_logreg_fold
from affectvlm.io.layouts.record import SampleRecord
from affectvlm.render.cache import sample_id_for
from affectvlm.render.config import RenderConfig, ViewSpec
from affectvlm.train.config import TrainConfig
from affectvlm.train.result import load_fold_result

VIEWS = [ViewSpec("left", -20.0), ViewSpec("frontal", 0.0), ViewSpec("right", 20.0)]


def _blobs(rng, subjects, per_class, centres):
    """Rows of ``len(centres)`` Gaussian blobs, ``per_class`` rows per class and subject."""
    labels = np.tile(np.repeat(np.arange(len(centres)), per_class), subjects)
    groups = np.repeat([f"s{k}" for k in range(subjects)], per_class * len(centres))
    x = np.asarray(centres, dtype=float)[labels] + rng.normal(size=(len(labels), len(centres[0])))
    return x, labels, groups


def test_pipeline_separates_three_blobs_on_held_out_points():
    rng = np.random.default_rng(2)
    # each class brightens its own block of 4 of 20 features, as an expression does pixels
    centres = np.hstack([np.kron(np.eye(3), np.ones(4)) * 3.0, np.zeros((3, 8))])
    x, y, groups = _blobs(rng, 6, 5, centres)
    x_test, y_test, _ = _blobs(rng, 2, 10, centres)
    search = fit_depth_pca_logreg(x, y, groups, components=(2, 3), cs=(0.1, 1.0))
    assert (search.predict(x_test) == y_test).mean() >= 0.95


def test_inner_folds_keep_every_subject_on_one_side():
    x, y, groups = _blobs(np.random.default_rng(0), 5, 3, np.eye(3, 8) * 4.0)
    search = fit_depth_pca_logreg(x, y, groups, components=(2,), cs=(1.0,), inner_folds=4)
    splits = list(search.cv.split(x, y, groups))
    assert len(splits) == 4
    for train, val in splits:
        assert not set(groups[train]) & set(groups[val])
    few = fit_depth_pca_logreg(x[:27], y[:27], groups[:27], components=(2,), cs=(1.0,))
    assert few.cv.get_n_splits() == 3  # min(inner_folds, subjects)


def test_component_counts_respect_the_smallest_inner_training_split():
    x, y, groups = _blobs(np.random.default_rng(1), 3, 4, np.eye(3, 40) * 4.0)  # 36 rows
    search = fit_depth_pca_logreg(x, y, groups, components=(5, 23, 24, 40), cs=(1.0,))
    assert search.param_grid["pca__n_components"] == [5, 23]  # inner training splits: 24 rows
    assert search.best_params_["pca__n_components"] in (5, 23)
    x2, y2, groups2 = _blobs(np.random.default_rng(1), 2, 1, np.eye(3, 40) * 4.0)  # 6 rows
    tiny = fit_depth_pca_logreg(x2, y2, groups2, components=(10, 20), cs=(1.0,))
    assert tiny.param_grid["pca__n_components"] == [2]
    with pytest.raises(ValueError, match="2 subjects"):
        fit_depth_pca_logreg(x[:12], y[:12], groups[:12])


def test_fit_is_deterministic_for_a_fixed_seed():
    # 600 features and 5 of 60 components: PCA takes its randomised solver, so the seed matters
    x, y, groups = _blobs(np.random.default_rng(3), 4, 5, np.eye(3, 600) * 3.0)
    a, b = (fit_depth_pca_logreg(x, y, groups, components=(5,), seed=7) for _ in range(2))
    assert a.best_params_ == b.best_params_
    coef = [s.best_estimator_.named_steps["logreg"].coef_ for s in (a, b)]
    assert np.array_equal(*coef)
    assert np.array_equal(a.predict_proba(x), b.predict_proba(x))


class _FakeCache:
    """Known uint8 ``(T, V, 3, H, W)`` arrays by sample id; remembers what was read."""

    def __init__(self, arrays):
        self.arrays, self.loaded = arrays, []

    def load(self, sample_id):
        self.loaded.append(sample_id)
        return self.arrays[sample_id]


def _record(subject, emotion, index=0, prefix="bu3dfe"):
    return SampleRecord(
        f"{prefix}/{subject}/{emotion}_{index}.wrl",
        "bu3dfe",
        subject,
        emotion,
        emotion,
        "emotion",
        intensity=4,
    )


def test_depth_images_read_the_frontal_depth_channel_of_stack_and_depth_inputs():
    records = [_record("F0001", "fear"), _record("F0002", "anger")]
    size = 4
    stack, depth = {}, {}
    for k, r in enumerate(records):
        # value = 10·channel + 40·view + frame + k, so each cell says where it came from
        t, v, c = np.meshgrid(np.arange(2), np.arange(3), np.arange(3), indexing="ij")
        cells = (10 * c + 40 * v + t + k).astype(np.uint8)
        stack[sample_id_for(r.path)] = np.broadcast_to(cells[..., None, None], (2, 3, 3, 4, 4))
        depth[sample_id_for(r.path)] = np.repeat(stack[sample_id_for(r.path)][:, :, 1:2], 3, 2)
    expected = np.array([[10 + 40 + 0.5 + k] * size * size for k in range(2)]) / 255.0
    for mode, arrays in (("stack", stack), ("depth", depth)):
        render = RenderConfig(views=VIEWS, model_input=mode)
        images = depth_images(records, _FakeCache(arrays), render)
        assert images.shape == (2, size * size) and images.dtype == np.float32
        assert images == pytest.approx(expected, abs=1e-6)
    small = depth_images(
        records, _FakeCache(stack), RenderConfig(views=VIEWS, model_input="stack"), 2
    )
    assert small == pytest.approx(expected[:, :4], abs=1e-6)  # constant images stay constant
    for mode in ("texture", "shading"):
        with pytest.raises(ValueError, match="depth"):
            depth_images(records, _FakeCache(stack), RenderConfig(model_input=mode))


def _learnable_arrays(records, size=8):
    """Depth images whose bright column names the emotion, plus per-sample noise."""
    arrays = {}
    for r in records:
        rng = np.random.default_rng(zlib.crc32(r.path.encode()))
        image = rng.integers(0, 40, size=(size, size))
        image[:, SIX.index(r.emotion)] += 200
        arrays[sample_id_for(r.path)] = np.broadcast_to(
            image.astype(np.uint8)[None, None, None], (1, 3, 3, size, size)
        )
    return arrays


def test_fold_fits_on_train_and_val_subjects_only_and_scores_extra_tests(tmp_path, monkeypatch):
    subjects = [f"F{k:04d}" for k in range(1, 7)]
    records = [_record(s, e, i) for s in subjects for e in SIX for i in range(2)]
    other = [_record(s, e, i, prefix="rbf") for s in subjects for e in SIX for i in range(2)]
    protocol = protocol_config("bu3dfe", ["protocol.folds=3", "protocol.val_fraction=0.3"])
    foldset = make_folds(records, protocol)
    fold = foldset.folds[0]
    seen = {}

    def spy(x, y, groups, **kwargs):
        seen.update(groups=set(groups), kwargs=kwargs)
        return fit_depth_pca_logreg(x, y, groups, **kwargs)

    monkeypatch.setattr(baselines, "fit_depth_pca_logreg", spy)
    config = TrainConfig()
    config.render = RenderConfig(views=VIEWS, model_input="stack", image_size=8)
    cache = _FakeCache(_learnable_arrays(records + other))
    settings = type("Settings", (), {"components": [2, 4, 100], "cs": [1.0]})()
    result = pca_logreg_fold(
        config, records, foldset, 0, tmp_path, settings, cache, extra_tests={"rbf": other}
    )
    assert seen["groups"] == set(fold.train + fold.val)
    assert not seen["groups"] & set(fold.test) and fold.test
    assert seen["kwargs"]["components"] == (2, 4, 100) and seen["kwargs"]["cs"] == (1.0,)
    assert load_fold_result(tmp_path) == result
    assert result.extras["baseline"]["C"] == 1.0
    assert result.extras["baseline"]["n_components"] in (2, 4)  # 100 > the inner splits' 36
    assert result.val_metrics["inner_cv"] is True
    assert result.test_metrics["num_samples"] == len(result.predictions) == 12 * len(fold.test)
    assert {row["subject"] for row in result.predictions} == set(fold.test)
    assert result.test_metrics["accuracy"] >= 0.9
    extra = result.extra_test_metrics["rbf"]
    assert extra["num_samples"] == 12 * len(fold.test) and extra["accuracy"] >= 0.9


def test_plain_cnn_learns_a_pattern_the_views_share_and_keeps_its_best_validation_epoch():
    import torch

    from affectvlm.experiments.baselines import fit_plain_cnn, predict_plain_cnn

    g = torch.Generator().manual_seed(0)

    def make(n):
        y = torch.arange(n) % 2
        x = torch.rand(n, 3, 3, 16, 16, generator=g) * 0.5
        x[y == 1, :, :, 4:12, 4:12] += 0.5  # class 1: a bright square in every view
        return x, y

    x, y = make(32)
    vx, vy = make(8)
    model = fit_plain_cnn(x, y, vx, vy, classes=2, epochs=5, seed=0)
    tx, ty = make(16)
    assert model(tx).shape == (16, 2)
    assert (predict_plain_cnn(model, tx) == ty).float().mean() >= 0.9  # chance is 0.5

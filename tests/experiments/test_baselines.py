"""The PCA + logistic-regression reference learns what it should."""

import numpy as np
import pytest

from affectvlm.experiments.baselines import fit_pca, fit_softmax_regression


def test_pca_finds_the_stretched_axis_and_centres():
    rng = np.random.default_rng(0)
    axis = np.array([3.0, 4.0]) / 5.0
    x = rng.normal(size=(400, 1)) * 5.0 * axis + rng.normal(size=(400, 2)) * 0.1 + [2.0, -1.0]
    pca = fit_pca(x, 2)
    assert abs(pca.components[0] @ axis) == pytest.approx(1.0, abs=1e-3)
    assert pca.components @ pca.components.T == pytest.approx(np.eye(2), abs=1e-10)
    assert pca.explained_variance[0] > 100 * pca.explained_variance[1]
    assert pca.transform(pca.mean[None]) == pytest.approx(np.zeros((1, 2)), abs=1e-12)


def test_pca_keeps_at_most_n_components():
    x = np.random.default_rng(1).normal(size=(5, 50))
    assert fit_pca(x, 32).components.shape == (5, 50)


def _blobs(rng, n, centres):
    labels = np.repeat(np.arange(len(centres)), n)
    x = np.asarray(centres)[labels] + rng.normal(size=(len(labels), len(centres[0]))) * 0.5
    return x, labels


def test_pca_logreg_separates_three_blobs_on_held_out_points():
    rng = np.random.default_rng(2)
    centres = [[4, 0, 0, 0, 0, 0], [0, 4, 0, 0, 0, 0], [0, 0, 4, 0, 0, 0]]
    x, y = _blobs(rng, 40, centres)
    x_test, y_test = _blobs(rng, 20, centres)
    pca = fit_pca(x, 3)
    clf = fit_softmax_regression(pca.transform(x), y, 3, l2=1e-3)
    assert (clf.predict(pca.transform(x)) == y).mean() == 1.0
    assert (clf.predict(pca.transform(x_test)) == y_test).mean() >= 0.95


def test_softmax_regression_is_deterministic():
    rng = np.random.default_rng(3)
    x, y = _blobs(rng, 10, [[1, 0], [0, 1]])
    a = fit_softmax_regression(x, y, 2)
    b = fit_softmax_regression(x, y, 2)
    assert np.array_equal(a.weight, b.weight)

import numpy as np
import pytest

from affectvlm.eval.metrics import classification_metrics, confusion_matrix, mean_std


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_metrics_match_hand_computed_values():
    # true:  0 0 1 2 2 2 ; pred: 0 1 1 2 0 2
    m = classification_metrics([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], ["a", "b", "c"])
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.per_class_recall == pytest.approx([1 / 2, 1.0, 2 / 3])
    # precision: a 1/2, b 1/2, c 2/2 → F1: a 1/2, b 2/3, c 4/5
    assert m.per_class_f1 == pytest.approx([0.5, 2 / 3, 0.8])
    assert m.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert m.num_samples == 6


def test_macro_f1_leaves_out_classes_absent_from_truth_and_predictions():
    m = classification_metrics([0, 1], [0, 1], ["a", "b", "unused"])
    assert m.macro_f1 == pytest.approx(1.0)
    assert m.per_class_recall[2] == 0.0


def test_labels_outside_the_class_list_are_rejected():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)


def test_mean_std_uses_population_std():
    mean, std = mean_std([0.5, 0.7])
    assert mean == pytest.approx(0.6)
    assert std == pytest.approx(np.std([0.5, 0.7]))

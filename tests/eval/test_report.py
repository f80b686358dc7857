import json

import pytest
from PIL import Image

from affectvlm.eval.metrics import classification_metrics
from affectvlm.eval.plots import plot_confusion, plot_learning_curves
from affectvlm.eval.report import summarise, write_report


def _fold(k, y, p):
    return {
        "fold": k,
        "best_epoch": 2,
        "epochs_run": 3,
        "select_metric": "accuracy",
        "val_metrics": {"accuracy": 0.5},
        "model_dir": f"fold_{k}/model",
        "class_names": ["a", "b"],
        "test_metrics": classification_metrics(y, p, ["a", "b"]).to_dict(),
    }


def test_summary_is_mean_and_population_std_over_folds_with_pooled_counts():
    folds = [_fold(0, [0, 1], [0, 1]), _fold(1, [0, 1], [0, 0])]
    s = summarise(folds)
    assert s["accuracy_mean"] == pytest.approx(0.75)
    assert s["accuracy_std"] == pytest.approx(0.25)
    assert s["pooled_confusion"] == [[2, 0], [1, 1]]


def test_write_report_records_summary_provenance_and_figures(tmp_path):
    folds = [_fold(0, [0, 1, 1], [0, 1, 0])]
    results = write_report(
        tmp_path,
        folds,
        config={"seed": 1},
        prompt_bank={"templates": ["x"]},
        prompt_fingerprint="abc",
        folds_file="folds.json",
        folds_hash="f" * 64,
        command="affectvlm cv",
    )
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["summary"]["accuracy_mean"] == pytest.approx(2 / 3)
    for key in ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std"):
        assert key in results["summary"]
    assert (
        on_disk["command"] == "affectvlm cv" and on_disk["folds_file"]["content_hash"] == "f" * 64
    )
    assert json.loads((tmp_path / "prompts.json").read_text()) == {"templates": ["x"]}
    assert "66.67 ± 0.00 %" in (tmp_path / "report.md").read_text()
    assert Image.open(tmp_path / "confusion.png").size[0] > 100


def test_plots_write_png_files(tmp_path):
    plot_confusion([[3, 1], [0, 4]], ["anger", "fear"], tmp_path / "cm.png")
    history = [
        {
            "epoch": e,
            "loss": 1.0 / e,
            "loss_itc": 0.5 / e,
            "alpha": 0.3,
            "temperature": 0.07,
            "val_accuracy": 0.1 * e,
        }
        for e in (1, 2, 3)
    ]
    plot_learning_curves(history, tmp_path / "curves.png")
    assert Image.open(tmp_path / "cm.png").format == "PNG"
    assert Image.open(tmp_path / "curves.png").format == "PNG"

"""The generalisation benchmark keeps earlier learners' results of the same settings."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "bench_generalisation.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_generalisation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SETTINGS = {"families": ["base", "rbf"], "subjects": 6, "folds": 3, "tag": ""}
PCA = {"base": [0.5, 0.6, 0.7], "rbf": [0.2, 0.3, 0.1]}
CNN = {"base": [0.9, 0.8, 0.7], "rbf": [0.3, 0.2, 0.4]}


def _save(path: Path, settings, results) -> None:
    path.write_text(json.dumps({"settings": settings, "results": results}), encoding="utf-8")


def test_a_partial_run_keeps_the_other_learners(bench, tmp_path: Path) -> None:
    path = tmp_path / "generalisation.json"
    _save(path, SETTINGS, {"depth-pca-lr": PCA, "plain-cnn": {"base": [0.0], "rbf": [0.0]}})
    merged = bench.merged_results(path, SETTINGS, {"plain-cnn": CNN})
    assert merged == {"depth-pca-lr": PCA, "plain-cnn": CNN}
    assert list(merged) == [k for k in bench.LEARNERS if k in merged]  # table order


def test_results_of_other_settings_or_a_damaged_file_are_replaced(bench, tmp_path: Path) -> None:
    path = tmp_path / "generalisation.json"
    _save(path, {**SETTINGS, "subjects": 30}, {"depth-pca-lr": PCA})
    assert bench.merged_results(path, SETTINGS, {"plain-cnn": CNN}) == {"plain-cnn": CNN}
    path.write_text("{not json", encoding="utf-8")
    assert bench.merged_results(path, SETTINGS, {"plain-cnn": CNN}) == {"plain-cnn": CNN}
    assert bench.merged_results(tmp_path / "none.json", SETTINGS, {}) == {}


def test_the_table_pairs_affectvlm_with_each_other_learner(bench) -> None:
    vlm = {"base": [0.95, 0.9, 1.0], "rbf": [0.4, 0.35, 0.3]}
    text = bench.results_table("cmd", ["base", "rbf"], {"affectvlm": vlm, "plain-cnn": CNN})
    assert "| affectvlm | 95.0 ± 5.0 % | 35.0 ± 5.0 % |" in text
    assert "affectvlm − plain-cnn, test on base: +15.0 pts" in text
    assert text.count("affectvlm − ") == 2

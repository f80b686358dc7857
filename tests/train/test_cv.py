import json

import pytest
from synthetic import PatternCache, make_foldset, make_records, tiny_config

from affectvlm.config import ConfigError
from affectvlm.train.config import load_train_config
from affectvlm.train.cv import run_folds


def test_cv_runs_every_fold_reports_mean_std_and_skips_finished_folds(tmp_path):
    records = make_records(subjects=9, per_class=1)
    folds = make_foldset(records)
    cache = PatternCache(records)
    config = tiny_config(epochs=1)
    result = run_folds(config, records, folds, tmp_path, "cpu", cache=cache, command="affectvlm cv")
    summary = json.loads((tmp_path / "results.json").read_text())["summary"]
    assert summary["folds"] == 3 and len(result.folds) == 3
    accs = [f.test_metrics["accuracy"] for f in result.folds]
    assert summary["accuracy_mean"] == pytest.approx(sum(accs) / 3)
    assert (tmp_path / "report.md").exists() and (tmp_path / "fold_02" / "model").is_dir()
    fresh = PatternCache(records)
    again = run_folds(config, records, folds, tmp_path, "cpu", cache=fresh)
    assert fresh.loaded == []  # nothing retrained or re-evaluated
    assert again.summary["accuracy_mean"] == summary["accuracy_mean"]


def test_train_config_resolves_model_preset_and_rejects_unknown_keys(tmp_path):
    preset = tmp_path / "run.toml"
    preset.write_text('epochs = 3\n[model]\npreset = "tiny"\nfusion = "logits"\n')
    config = load_train_config(str(preset), overrides=["optim.lr_heads=0.01"])
    assert config.epochs == 3 and config.model.fusion == "logits"
    assert config.optim.lr_heads == 0.01
    with pytest.raises(ConfigError, match=r"optim\.lr_head"):
        load_train_config(str(preset), overrides=["optim.lr_head=0.01"])

import dataclasses

import pytest
from synthetic import PatternCache, make_foldset, make_records, tiny_config

from affectvlm.data import ProtocolConfig, make_folds
from affectvlm.data.protocols import STREAM_FOLDS, STREAM_SUBJECTS, STREAM_VAL
from affectvlm.model import AffectVLM
from affectvlm.train.checkpoint import CheckpointError
from affectvlm.train.final import STREAM_FINAL_VAL, final_foldset, fit_final


@pytest.fixture(scope="module")
def data():
    records = make_records(subjects=10, per_class=2)
    return records, make_foldset(records)


def test_final_fold_trains_on_every_subject_with_disjoint_validation_and_no_test(data):
    _, folds = data
    final = final_foldset(folds)
    (fold,) = final.folds
    assert fold.test == [] and fold.val and not set(fold.train) & set(fold.val)
    assert sorted(fold.train + fold.val) == sorted(folds.subjects)
    assert final.protocol == folds.protocol and final.records_hash == folds.records_hash
    assert final_foldset(folds).folds == final.folds  # seeded: the same draw every time
    assert STREAM_FINAL_VAL not in (STREAM_SUBJECTS, STREAM_FOLDS, STREAM_VAL)


def test_cross_dataset_final_fold_leaves_the_test_datasets_out():
    records = make_records(subjects=6, per_class=1)
    others = [dataclasses.replace(r, dataset="bp4d") for r in make_records(2, 1)]
    protocol = ProtocolConfig(
        datasets=["bu3dfe"],
        test_datasets=["bp4d"],
        classes=["anger", "happiness", "surprise"],
        folds=1,
        val_fraction=0.2,
    )
    folds = make_folds(records + others, protocol)
    (fold,) = final_foldset(folds).folds
    assert sorted(fold.train + fold.val) == sorted(folds.folds[0].train + folds.folds[0].val)
    assert fold.test == []


def test_final_fit_writes_a_reloadable_model_without_test_metrics_and_resumes(data, tmp_path):
    records, folds = data
    config = tiny_config(epochs=2)
    cache = PatternCache(records)
    result = fit_final(config, records, folds, tmp_path, "cpu", cache=cache)
    assert result.test_metrics == {} and result.predictions == []
    assert {"accuracy", "macro_f1"} <= set(result.val_metrics)
    assert (tmp_path / "fold_result.json").is_file()
    assert AffectVLM.from_pretrained(tmp_path / "model").prompt_bank is not None
    (fold,) = final_foldset(folds).folds
    read = {key.split("/")[0] for key in cache.loaded}
    assert read == {s.split("/")[-1] for s in fold.train + fold.val}  # every subject used
    cache.loaded.clear()
    assert fit_final(config, records, folds, tmp_path, "cpu", resume=True, cache=cache) == result
    assert cache.loaded == []  # a finished fit is not trained again
    fewer = make_foldset(records[: 8 * 3 * 2])
    with pytest.raises(CheckpointError, match="other subjects"):
        fit_final(config, records, fewer, tmp_path, "cpu", resume=True, cache=cache)


def test_a_recipe_that_keeps_the_last_epoch_fits_the_final_model_on_every_subject(data, tmp_path):
    _, folds = data
    (fold,) = final_foldset(folds, validation=False).folds
    assert fold.val == [] and fold.test == [] and sorted(fold.train) == sorted(folds.subjects)

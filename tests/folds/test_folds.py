import json

import numpy as np
import pytest
from fold_records import bu3dfe_records

from affectvlm.data import (
    FoldsError,
    assign_folds,
    draw_validation,
    load_folds,
    make_folds,
    protocol_config,
    save_folds,
)


def parts_are_disjoint_and_test_once(foldset) -> None:
    tested = []
    for fold in foldset.folds:
        train, val, test = set(fold.train), set(fold.val), set(fold.test)
        assert not (train & val or train & test or val & test)
        assert train | val | test == set(foldset.subjects)
        tested += fold.test
    assert sorted(tested) == sorted(foldset.subjects)


def test_assign_folds_balances_sizes_and_strata():
    subjects = [f"s{i:02d}" for i in range(23)]
    strata = {s: "F" if i < 13 else "M" for i, s in enumerate(subjects)}
    folds = assign_folds(subjects, 5, np.random.default_rng(0), strata)
    assert sorted(len(f) for f in folds) == [4, 4, 5, 5, 5]
    assert sorted(s for f in folds for s in f) == subjects
    for fold in folds:
        assert sum(strata[s] == "F" for s in fold) in (2, 3)


def test_assign_folds_rejects_more_folds_than_subjects():
    with pytest.raises(FoldsError, match="cannot make 5 folds from 3 subjects"):
        assign_folds(["a", "b", "c"], 5, np.random.default_rng(0))


def test_draw_validation_takes_a_fraction_never_all_and_none_at_zero():
    rng = np.random.default_rng(0)
    candidates = [f"s{i}" for i in range(54)]
    val = draw_validation(candidates, 0.1, rng)
    assert len(val) == 5 and set(val) <= set(candidates)
    assert len(draw_validation(["a", "b"], 0.9, rng)) == 1
    assert draw_validation(candidates, 0.0, rng) == []


def test_folds_are_subject_disjoint_and_test_every_subject_once():
    foldset = make_folds(bu3dfe_records(25), protocol_config("kfold", ["folds=5"]))
    assert len(foldset.folds) == 5
    parts_are_disjoint_and_test_once(foldset)
    for fold in foldset.folds:
        assert len(fold.val) == round(0.1 * 20)


def test_same_seed_gives_same_folds_and_another_seed_differs():
    records = bu3dfe_records(30)
    a = make_folds(records, protocol_config("bu3dfe", seed=7))
    b = make_folds(records, protocol_config("bu3dfe", seed=7))
    c = make_folds(records, protocol_config("bu3dfe", seed=8))
    assert a.folds == b.folds and a.content_hash == b.content_hash
    assert [f.test for f in a.folds] != [f.test for f in c.folds]
    assert a.content_hash != c.content_hash


def test_save_and_load_round_trip_keeps_folds_and_hash(tmp_path):
    foldset = make_folds(bu3dfe_records(12), protocol_config("bu3dfe", ["protocol.folds=3"]))
    path = save_folds(tmp_path / "folds.json", foldset)
    loaded = load_folds(path)
    assert loaded.folds == foldset.folds
    assert loaded.protocol == foldset.protocol
    assert loaded.messages == foldset.messages
    assert loaded.content_hash == foldset.content_hash
    assert json.loads(path.read_text())["content_hash"] == foldset.content_hash


def test_load_folds_rejects_an_edited_file(tmp_path):
    path = save_folds(tmp_path / "f.json", make_folds(bu3dfe_records(6), protocol_config("kfold")))
    data = json.loads(path.read_text())
    data["folds"][0]["test"].append("bu3dfe/F9999")
    path.write_text(json.dumps(data))
    with pytest.raises(FoldsError, match="content hash mismatch"):
        load_folds(path)


def test_load_folds_rejects_overlapping_parts_even_with_a_fresh_hash(tmp_path):
    foldset = make_folds(bu3dfe_records(6), protocol_config("kfold", ["folds=3"]))
    foldset.folds[0].train.append(foldset.folds[0].test[0])
    data = foldset.to_dict()
    path = tmp_path / "f.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FoldsError, match=r"fold 0: .* in train and test"):
        load_folds(path)
    with pytest.raises(FoldsError, match="in train and test"):
        save_folds(tmp_path / "g.json", foldset)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "not a JSON fold file"),
        ("[]", "not a fold file"),
        ('{"format": "affectvlm-folds", "version": 9}', "version 9"),
    ],
)
def test_load_folds_rejects_bad_files_naming_them(tmp_path, text, reason):
    path = tmp_path / "f.json"
    path.write_text(text)
    with pytest.raises(FoldsError, match=reason) as info:
        load_folds(path)
    assert info.value.path == path

import pytest
from fold_records import bu3dfe_records, sequence_records

from affectvlm import BASIC_EMOTIONS
from affectvlm.config import ConfigError
from affectvlm.data import (
    FoldsError,
    build_folds,
    format_folds,
    make_folds,
    protocol_config,
    select_records,
)
from affectvlm.io.layouts import SampleRecord, write_manifest


def all_part_records(records, foldset, fold=0):
    return {p: select_records(records, foldset, fold, p) for p in ("train", "val", "test")}


def test_bu3dfe_preset_keeps_intensities_3_4_of_six_classes_and_no_neutral():
    records = bu3dfe_records(20)
    foldset = make_folds(records, protocol_config("bu3dfe"))
    selected = [r for f in range(10) for r in select_records(records, foldset, f, "test")]
    assert len(selected) == 20 * 6 * 2
    assert {r.intensity for r in selected} == {3, 4}
    assert {r.emotion for r in selected} == set(BASIC_EMOTIONS)
    assert foldset.messages == [
        "protocol 'bu3dfe' names 60 subjects but only 20 are eligible: using all 20"
    ]


def test_bu3dfe_preset_draws_60_of_more_subjects_seeded():
    records = bu3dfe_records(70)
    a = make_folds(records, protocol_config("bu3dfe", seed=1))
    b = make_folds(records, protocol_config("bu3dfe", seed=2))
    assert len(a.subjects) == len(b.subjects) == 60
    assert a.subjects != b.subjects
    assert a.messages == []
    assert [len(f.test) for f in a.folds] == [6] * 10
    assert all(len(f.val) == 5 and len(f.train) == 49 for f in a.folds)


def test_validation_subjects_come_from_the_training_side_only():
    foldset = make_folds(bu3dfe_records(30), protocol_config("bu3dfe"))
    for fold in foldset.folds:
        assert set(fold.val) <= set(foldset.subjects) - set(fold.test)
        assert not set(fold.val) & set(fold.train)


def test_bosphorus_preset_keeps_only_subjects_with_all_six_emotions():
    records = []
    for i in range(12):
        subject = f"bs{i:03d}"
        emotions = BASIC_EMOTIONS if i < 10 else BASIC_EMOTIONS[:5]
        for e in emotions:
            records.append(
                SampleRecord(f"{subject}/{e}.bnt", "bosphorus", subject, e, "E", "emotion")
            )
        records.append(
            SampleRecord(f"{subject}/n.bnt", "bosphorus", subject, "neutral", "N_N", "neutral")
        )
        records.append(SampleRecord(f"{subject}/au.bnt", "bosphorus", subject, "", "LFAU_9", "au"))
    foldset = make_folds(records, protocol_config("bosphorus"))
    assert foldset.subjects == [f"bosphorus/bs{i:03d}" for i in range(10)]
    assert "2 train subject(s) lack some of the 6 classes" in foldset.messages[0]
    assert "only 10 are eligible" in foldset.messages[1]
    test = [r for f in range(10) for r in select_records(records, foldset, f, "test")]
    assert len(test) == 60 and all(r.category == "emotion" for r in test)


def test_bu4dfe_preset_with_subjects_0_uses_all_subjects_at_sequence_level():
    records = sequence_records("bu4dfe", 15)
    foldset = make_folds(records, protocol_config("bu4dfe", ["protocol.subjects=0"]))
    assert len(foldset.subjects) == 15 and foldset.messages == []
    parts = all_part_records(records, foldset, 3)
    assert sum(len(v) for v in parts.values()) == 15 * 6
    assert all(r.frames == 10 for v in parts.values() for r in v)


def test_bp4d_cross_trains_on_bu4dfe_and_tests_every_bp4d_subject_on_six_tasks():
    records = sequence_records("bu4dfe", 10) + sequence_records("bp4d", 4, tasks=True)
    foldset = make_folds(records, protocol_config("bp4d-cross"))
    (fold,) = foldset.folds
    assert fold.test == ["bp4d/F002", "bp4d/F004", "bp4d/M001", "bp4d/M003"]
    assert len(fold.val) == 1 and len(fold.train) == 9
    assert all(s.startswith("bu4dfe/") for s in fold.train + fold.val)
    parts = all_part_records(records, foldset)
    assert {r.dataset for r in parts["train"] + parts["val"]} == {"bu4dfe"}
    assert {r.task for r in parts["test"]} == {"T1", "T2", "T3", "T5", "T7", "T8"}
    assert len(parts["test"]) == 4 * 6


def test_bp4d_cross_without_bp4d_records_says_so():
    with pytest.raises(FoldsError, match="no test subjects"):
        make_folds(sequence_records("bu4dfe", 5), protocol_config("bp4d-cross"))


def test_kfold_classes_are_configurable_and_neutral_is_kept_by_default():
    records = bu3dfe_records(8)
    default = make_folds(records, protocol_config("kfold", ["folds=4"]))
    assert "neutral" in {r.emotion for r in select_records(records, default, 0, "test")}
    two = make_folds(records, protocol_config("kfold", ["folds=4", "classes=['anger','fear']"]))
    assert {r.emotion for r in select_records(records, two, 0, "test")} == {"anger", "fear"}


def test_fewer_subjects_than_folds_gives_leave_one_subject_out_with_a_message():
    foldset = make_folds(bu3dfe_records(4), protocol_config("kfold"))
    assert len(foldset.folds) == 4
    assert "4 subjects < 10 folds: using 4 folds" in foldset.messages


def test_a_single_subject_cannot_be_cross_validated():
    with pytest.raises(FoldsError, match="at least 2 subjects, found 1"):
        make_folds(bu3dfe_records(1), protocol_config("kfold"))


@pytest.mark.parametrize(
    ("name", "overrides", "reason"),
    [
        ("bu5dfe", [], "unknown protocol 'bu5dfe'"),
        ("kfold", ["protocol.fold=3"], "unknown config key 'protocol.fold'"),
        ("kfold", ["classes=['joy']"], "joy"),
        ("kfold", ["folds=1"], "folds must be >= 2"),
        ("bp4d-cross", ["folds=5"], "1 fold"),
        ("kfold", ["datasets=['bu9dfe']"], "bu9dfe"),
        ("kfold", ["val_fraction=1.5"], "val_fraction"),
    ],
)
def test_bad_protocol_settings_raise_config_errors(name, overrides, reason):
    with pytest.raises(ConfigError, match=reason):
        protocol_config(name, overrides)


def test_select_records_rejects_a_bad_part_or_fold():
    records = bu3dfe_records(4)
    foldset = make_folds(records, protocol_config("kfold", ["folds=2"]))
    with pytest.raises(ValueError, match="part 'dev'"):
        select_records(records, foldset, 0, "dev")
    with pytest.raises(ValueError, match="fold 2 out of range"):
        select_records(records, foldset, 2, "test")


def test_build_folds_reads_two_manifests_for_the_cross_protocol(tmp_path):
    a = write_manifest(tmp_path / "bu4dfe.csv", sequence_records("bu4dfe", 6))
    b = write_manifest(tmp_path / "bp4d.csv", sequence_records("bp4d", 3, tasks=True))
    foldset, records = build_folds([a, b], "bp4d-cross", seed=3)
    assert foldset.seed == 3 and len(foldset.folds[0].test) == 3
    assert "fold 0: train 5" in format_folds(foldset, records)
    with pytest.raises(FoldsError, match="also in"):
        build_folds([a, a], "bu4dfe")

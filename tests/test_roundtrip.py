"""synth → index → folds through the CLI: what the generator writes is read back with its labels."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from affectvlm import BASIC_EMOTIONS
from affectvlm.cli import main

BP4D_TASKS = {
    "T1": "happiness",
    "T2": "sadness",
    "T3": "surprise",
    "T4": "",
    "T5": "fear",
    "T6": "",
    "T7": "anger",
    "T8": "disgust",
}


def _synth_and_index(tmp_path: Path, dataset: str, subjects: int = 3) -> tuple[list[dict], dict]:
    root = tmp_path / dataset
    argv = ["synth", str(root), "--dataset", dataset, "--subjects", str(subjects)]
    argv += ["--resolution", "16", "--frames", "6", "--workers", "1", "--quiet"]
    assert main(argv) == 0
    manifest = tmp_path / f"{dataset}.csv"
    assert main(["index", str(root), "--dataset", dataset, "--out", str(manifest), "--quiet"]) == 0
    with open(manifest, newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(root / "subjects.csv", newline="") as fh:
        truth = {row["subject"]: row for row in csv.DictReader(fh)}
    return rows, truth


def _check_demographics(rows: list[dict], truth: dict) -> None:
    assert {r["subject"] for r in rows} == set(truth)
    for r in rows:
        t = truth[r["subject"]]
        assert (r["sex"], r["age"]) == (t["sex"], t["age"])
        if r["ethnicity"]:
            assert r["ethnicity"] == t["ethnicity"]


def test_bu3dfe_round_trip_keeps_every_label(tmp_path):
    rows, truth = _synth_and_index(tmp_path, "bu3dfe")
    _check_demographics(rows, truth)
    assert all(r["ethnicity"] == truth[r["subject"]]["ethnicity"] for r in rows)
    for subject in truth:
        mine = [(r["emotion"], r["intensity"]) for r in rows if r["subject"] == subject]
        expected = [("neutral", "0")] + [(e, str(i)) for e in BASIC_EMOTIONS for i in range(1, 5)]
        assert sorted(mine) == sorted(expected)
        assert subject[0] == truth[subject]["sex"]


def test_bu4dfe_round_trip_gives_one_sequence_per_emotion(tmp_path):
    rows, truth = _synth_and_index(tmp_path, "bu4dfe")
    _check_demographics(rows, truth)
    for subject in truth:
        mine = sorted(r["emotion"] for r in rows if r["subject"] == subject)
        assert mine == sorted(BASIC_EMOTIONS)
    assert {r["frames"] for r in rows} == {"6"}


def test_bosphorus_round_trip_classifies_non_emotion_scans(tmp_path):
    rows, truth = _synth_and_index(tmp_path, "bosphorus")
    _check_demographics(rows, truth)
    samples = [r for r in rows if r["emotion"]]
    assert Counter(r["emotion"] for r in samples) == Counter(
        {e: 3 for e in ("neutral", *BASIC_EMOTIONS)}
    )
    others = [r for r in rows if not r["emotion"]]
    assert others and all(r["category"] not in ("emotion", "neutral") for r in others)
    report = json.loads((tmp_path / "bosphorus.csv.report.json").read_text())
    assert "skipped" in report


def test_bp4d_round_trip_maps_tasks_to_emotions(tmp_path):
    rows, truth = _synth_and_index(tmp_path, "bp4d")
    _check_demographics(rows, truth)
    for r in rows:
        assert r["emotion"] == BP4D_TASKS[r["task"]]
    assert Counter(r["task"] for r in rows) == Counter({t: 3 for t in BP4D_TASKS})


@pytest.mark.parametrize("dataset", ["bu3dfe", "bosphorus"])
def test_folds_from_a_synthetic_manifest_test_each_subject_once(tmp_path, dataset):
    _rows, _truth = _synth_and_index(tmp_path, dataset, subjects=4)
    out = tmp_path / "folds.json"
    manifest = tmp_path / f"{dataset}.csv"
    assert main(["folds", str(manifest), "--protocol", dataset, "--out", str(out)]) == 0
    folds = json.loads(out.read_text())["folds"]
    tested = [s for fold in folds for s in fold["test"]]
    assert sorted(tested) == sorted(set(tested)) and len(tested) == 4
    for fold in folds:
        parts = [set(fold[p]) for p in ("train", "val", "test")]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_index_of_a_missing_root_is_a_clear_error(tmp_path, capsys):
    code = main(["index", str(tmp_path / "none"), "--dataset", "bu3dfe", "--out", "x.csv"])
    assert code == 2
    assert "none: dataset root is not a folder" in capsys.readouterr().err

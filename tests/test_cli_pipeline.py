"""The render/views/train/demo verbs end to end on tiny synthetic data, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from affectvlm.app.settings import find_demo_model
from affectvlm.cli import main

TINY = ["--set", "render.image_size=32"]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    """A 3-subject BU-3DFE-style set with its manifest and bu3dfe folds."""
    out = tmp_path_factory.mktemp("pipeline")
    root = out / "data"
    synth = ["synth", str(root), "--subjects", "3", "--resolution", "16", "--workers", "1"]
    assert main([*synth, "--quiet"]) == 0
    index = ["index", str(root), "--dataset", "bu3dfe", "--out", str(out / "m.csv")]
    assert main([*index, "--quiet"]) == 0
    assert (
        main(["folds", str(out / "m.csv"), "--protocol", "bu3dfe", "--out", str(out / "f.json")])
        == 0
    )
    return out


def test_render_fills_the_cache_then_resumes_without_rendering_again(tiny_set, capsys):
    argv = ["render", str(tiny_set / "data"), "--manifest", str(tiny_set / "m.csv")]
    argv += ["--folds", str(tiny_set / "f.json"), "--workers", "1", "--quiet", *TINY]
    assert main(argv) == 0
    assert "36 samples: 36 rendered" in capsys.readouterr().out
    assert main(argv) == 0
    assert "0 rendered, 36 already cached" in capsys.readouterr().out
    arrays = list((tiny_set / "cache").glob("*/samples/*.npy"))
    assert len(arrays) == 36
    assert np.load(arrays[0]).shape == (1, 3, 3, 32, 32)


def test_render_reports_a_corrupt_scan_and_renders_the_rest(tiny_set, tmp_path, capsys):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(tiny_set / "data", root)
    victim = sorted(root.glob("F0001/*_AN03*_F3D.wrl"))[0]
    victim.write_text("#VRML V2.0 utf8\nShape { geometry IndexedFaceSet { coord Coordinate {")
    argv = [
        "render",
        str(root),
        "--manifest",
        str(tiny_set / "m.csv"),
        "--out",
        str(tmp_path / "c"),
    ]
    argv += ["--folds", str(tiny_set / "f.json"), "--workers", "1", "--quiet", *TINY]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "35 rendered" in out and "1 failed" in out and victim.name in out
    report = json.loads(next((tmp_path / "c").glob("*/report.json")).read_text())
    assert list(report["failed"]) == [f"F0001__{victim.name}"]


def test_views_writes_a_contact_sheet_of_every_channel(tiny_set, tmp_path):
    scan = next((tiny_set / "data" / "F0001").glob("*_HA04*_F3D.wrl"))
    out = tmp_path / "sheet.png"
    assert main(["views", str(scan), "--out", str(out), "--size", "48"]) == 0
    image = np.asarray(Image.open(out))
    assert image.shape[0] > 4 * 48 and image.shape[1] > 3 * 48  # 4 channels × 3 views
    assert image.std() > 10


def test_views_of_a_bad_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "x.wrl"
    bad.write_text("#VRML V1.0 ascii\n")
    assert main(["views", str(bad), "--out", str(tmp_path / "o.png")]) == 2
    assert "x.wrl" in capsys.readouterr().err


def test_render_rejects_a_malformed_view_list(tiny_set, capsys):
    argv = ["render", str(tiny_set / "data"), "--manifest", str(tiny_set / "m.csv")]
    assert main([*argv, "--views", "frontal"]) == 2
    assert "name:yaw" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_runs_the_whole_chain_and_fits_the_app_model_on_every_subject(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    argv = ["demo", "--out", str(tmp_path), "--subjects", "4", "--folds", "2", "--jobs", "2"]
    argv += ["--resolution", "16", "--workers", "1", "--quiet", *TINY, "--set", "epochs=1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2 fold models and the app's model on all 4 subjects, 2 processes" in printed
    assert "fold 1: epoch 1 of 1 kept, test accuracy" in printed
    assert [line[3:6] for line in printed.splitlines() if line.startswith("== ")] == [
        f"{i}/6" for i in range(1, 7)
    ]
    assert find_demo_model((str(tmp_path),)) == tmp_path / "final" / "model"
    assert f"app model (what `affectvlm app` loads): {tmp_path / 'final' / 'model'}" in printed
    final = json.loads((tmp_path / "final" / "fold_result.json").read_text())
    assert final["test_metrics"] == {}
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {"accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std"} <= set(
        results["summary"]
    )
    assert len(results["folds"]) == 2
    assert (tmp_path / "run" / "confusion.png").is_file()
    # a second run reuses every finished stage
    assert main(argv) == 0
    # the same demo in one process trains the very same models
    alone = tmp_path.parent / f"{tmp_path.name}-one-process"
    assert main([*argv[:2], str(alone), *argv[3:8], "1", *argv[9:]]) == 0
    assert "app's model on all 4 subjects, 1 process\n" in capsys.readouterr().out
    for run in ("run/fold_00", "run/fold_01", "final"):
        weights = [
            (d / run / "model" / "model.safetensors").read_bytes() for d in (tmp_path, alone)
        ]
        assert weights[0] == weights[1], run

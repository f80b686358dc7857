"""``affectvlm predict --explain`` and ``Predictor.explain`` on a tiny trained-layout model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "infer"))

from tiny_checkpoint import make_tiny_run, write_face, write_sequence

from affectvlm.cli import main
from affectvlm.explain import SaliencyConfig


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return make_tiny_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def predictor(tiny_run):
    from affectvlm.infer import Predictor

    return Predictor.from_checkpoint(tiny_run, device="cpu")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    face = write_face(root / "F0001_HA04WH_F3D.ply", seed=1)
    seq = write_sequence(root / "S1", frames=4)
    return face, seq


def test_predictor_explanation_matches_the_prediction(predictor, inputs):
    prediction = predictor.predict(inputs[0])
    e = predictor.explain(prediction, config=SaliencyConfig("gradient"))
    assert e.target_label == prediction.label
    assert e.probabilities == pytest.approx(prediction.probs, abs=1e-4)
    size = predictor.render_config.image_size
    assert e.saliency.shape == (3, size, size)
    assert e.contributions.view_names == prediction.view_names


def test_predictor_explains_the_best_free_text_prompt(predictor, inputs):
    prediction = predictor.predict(inputs[0])
    prompts = ["a smiling face", "a frowning face"]
    scores = predictor.score_prompts(prediction, prompts)
    e = predictor.explain(prediction, prompts=prompts, config=SaliencyConfig("gradient"))
    assert e.labels == prompts and e.target_label == scores[0].prompt


def test_sequence_explanation_has_maps_per_frame(predictor, inputs):
    prediction = predictor.predict(inputs[1])
    e = predictor.explain(prediction, config=SaliencyConfig("rollout"))
    assert e.saliency.shape[:2] == (len(prediction.views), 3)


def test_predict_explain_writes_overlays_contributions_and_mesh(tiny_run, inputs, tmp_path, capsys):
    face, seq = inputs
    out = tmp_path / "why"
    args = ["predict", str(tiny_run), str(face), str(seq), "--format", "json"]
    code = main([*args, "--explain", str(out), "--prompt", "a smiling face"])
    assert code == 0, capsys.readouterr().err
    rows = json.loads(capsys.readouterr().out)
    names = {p.name for p in out.iterdir()}
    for view in ("frontal", "left", "right"):
        assert f"000_F0001_HA04WH_F3D_{view}.png" in names and f"001_S1_{view}.png" in names
    assert {"000_F0001_HA04WH_F3D_mesh.png", "000_F0001_HA04WH_F3D_vertices.npy"} <= names
    assert "001_S1_mesh.png" not in names  # sequences get no mesh projection
    data = json.loads((out / "000_F0001_HA04WH_F3D.json").read_text())
    assert data["target"] == rows[0]["label"] and data["source"] == str(face)
    assert sum(data["contributions"]["share"]) == pytest.approx(
        data["contributions"]["fused_score"], abs=1e-4
    )
    prompt = json.loads((out / "000_F0001_HA04WH_F3D_prompt.json").read_text())
    assert prompt["target"] == "a smiling face"
    values = np.load(out / "000_F0001_HA04WH_F3D_vertices.npy")
    assert np.isfinite(values).any() and np.isnan(values).any()  # back of the head unseen
    assert Image.open(out / "000_F0001_HA04WH_F3D_views.png").size[1] == 32

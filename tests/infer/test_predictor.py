import numpy as np
import pytest
import torch
from tiny_checkpoint import small_face

from affectvlm import EMOTIONS
from affectvlm.infer import InputError, InputItem, Predictor, resolve_inputs
from affectvlm.io import ScanFormatError, read_scan
from affectvlm.io.scan import Scan
from affectvlm.io.sequence import read_sequence
from affectvlm.render.cache import RenderItem, render_item


def test_scan_prediction_has_probabilities_summing_to_one_and_per_view_shapes(predictor):
    prediction = predictor.predict(small_face())
    assert prediction.class_names == list(EMOTIONS)
    assert prediction.probs.shape == (7,)
    assert prediction.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert prediction.view_names == ["frontal", "left", "right"]
    assert prediction.view_probs.shape == (3, 7)
    np.testing.assert_allclose(prediction.view_probs.sum(axis=1), 1.0, atol=1e-5)
    assert prediction.embedding.shape == (64,)
    assert np.linalg.norm(prediction.embedding) == pytest.approx(1.0, abs=1e-5)
    assert prediction.frame_probs is None
    assert prediction.label == EMOTIONS[int(np.argmax(prediction.probs))]


def test_rendering_equals_the_training_cache_and_scores_equal_calling_the_model(predictor, samples):
    path = samples / "a" / "face1.ply"
    rendered = predictor.render(read_scan(path))
    cached = render_item(RenderItem("face1", path, False), predictor.render_config)
    np.testing.assert_array_equal(rendered.array, cached)
    assert set(rendered.views[0].channels) >= {"texture", "shading", "depth"}  # for display

    prediction = predictor.predict(path)
    model = predictor.model
    views = torch.from_numpy(cached[0]).float()[None] / 255.0  # (1, V, 3, H, W)
    with torch.no_grad():
        out = model(views, model.class_text_embeddings(None, EMOTIONS))
    np.testing.assert_allclose(prediction.probs, out.logits[0].softmax(-1).numpy(), atol=1e-5)
    np.testing.assert_allclose(
        prediction.view_probs, out.view_logits[0].softmax(-1).numpy(), atol=1e-5
    )


def test_sequence_folder_gives_per_frame_probabilities_and_cache_identical_input(
    predictor, samples
):
    folder = samples / "seq" / "S1"
    prediction = predictor.predict(folder)
    assert prediction.kind == "sequence"
    assert prediction.frame_probs.shape == (3, 7)  # render.frames = 3
    np.testing.assert_allclose(prediction.frame_probs.sum(axis=1), 1.0, atol=1e-5)
    assert len(prediction.frame_indices) == 3 and len(prediction.views) == 3
    assert all(0 <= i < 5 for i in prediction.frame_indices)

    cached = render_item(RenderItem("s1", folder, True), predictor.render_config)
    np.testing.assert_array_equal(predictor.render(read_sequence(folder)).array, cached)
    views = torch.from_numpy(cached).float()[None] / 255.0  # (1, T, V, 3, H, W)
    with torch.no_grad():
        out = predictor.model(views, predictor.class_embeds)
    np.testing.assert_allclose(prediction.probs, out.logits[0].softmax(-1).numpy(), atol=1e-5)


def test_free_text_prompts_are_ranked_by_the_models_zero_shot_score(predictor):
    face = small_face()
    prompts = ["a person smiling nervously", "a face frozen in shock", "an angry man", " "]
    prediction = predictor.predict(face, prompts)
    scores = prediction.prompt_scores
    assert [s.prompt for s in scores] != [] and len(scores) == 3  # blank line dropped
    assert [s.prob for s in scores] == sorted((s.prob for s in scores), reverse=True)
    assert sum(s.prob for s in scores) == pytest.approx(1.0, abs=1e-5)
    images = predictor.images(predictor.render(face).array)
    with torch.no_grad():
        out = predictor.model.score_prompts(images, prompts[:3])
    fused = out.logits[0].softmax(-1)
    similarity = (out.logit_scale * out.view_embeds[0] @ out.text_embeds.t()).mean(0)
    by_prompt = {s.prompt: s for s in scores}
    for i, prompt in enumerate(prompts[:3]):
        assert by_prompt[prompt].prob == pytest.approx(float(fused[i]), abs=1e-5)
        assert by_prompt[prompt].score == pytest.approx(float(similarity[i]), abs=1e-4)
    alone = predictor.score_prompts(prediction, prompts[:1])[0]  # one prompt keeps its score
    assert alone.prob == pytest.approx(1.0)
    assert alone.score == pytest.approx(by_prompt[prompts[0]].score, abs=1e-5)


def test_class_prompts_are_the_exact_ensembles_used_for_class_scores(predictor):
    prediction = predictor.predict(small_face())
    bank = predictor.model.prompt_bank
    assert prediction.class_prompts["happiness"] == bank.all("happiness")
    with torch.no_grad():
        text = predictor.model.encode_text(prediction.class_prompts["anger"]).mean(0)
    text = torch.nn.functional.normalize(text, dim=-1)
    assert torch.allclose(text, predictor.class_embeds[EMOTIONS.index("anger")], atol=1e-5)


def test_folder_resolves_to_scans_and_sequences_recursively(samples, tmp_path):
    items, errors = resolve_inputs([samples, tmp_path / "missing.wrl"])
    found = {(str(i.path.relative_to(samples)), i.kind) for i in items}
    assert found == {
        ("a/face1.ply", "scan"),
        ("b/face2.ply", "scan"),
        ("seq/S1", "sequence"),
        ("broken.ply", "scan"),
    }
    assert [str(e.path) for e in errors] == [str(tmp_path / "missing.wrl")]


def test_unreadable_file_raises_an_error_naming_the_file(predictor, samples):
    bad = samples / "broken.ply"
    with pytest.raises(ScanFormatError) as info:
        predictor.predict(bad)
    assert str(bad) in str(info.value)
    results = list(
        predictor.predict_many([InputItem(bad, "scan"), InputItem(samples / "a/face1.ply", "scan")])
    )
    assert isinstance(results[0], InputError) and results[0].path == bad
    assert results[1].probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_run_folder_and_its_model_subfolder_load_the_same_model(tiny_run, predictor):
    again = Predictor.from_checkpoint(tiny_run / "model", device="cpu")
    assert again.render_config == predictor.render_config
    assert torch.equal(again.class_embeds, predictor.class_embeds)


def test_a_scan_that_renders_blank_is_an_error_not_a_confident_prediction(predictor, tmp_path):
    from affectvlm.render import RenderError

    point = np.full((3, 3), 10.0, dtype=np.float32)  # a triangle of zero area
    scan = Scan(vertices=point, faces=np.array([[0, 1, 2]]), path=tmp_path / "blank.ply")
    with pytest.raises(RenderError, match="renders blank") as info:
        predictor.predict(scan)
    assert info.value.path == tmp_path / "blank.ply"

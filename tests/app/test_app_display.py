"""The page shows the views at a readable size, whatever the model's input size."""

import io
from pathlib import PurePosixPath

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from tiny_checkpoint import small_face

from affectvlm.app import page_path
from affectvlm.app.display import shown_path
from affectvlm.infer import Predictor
from affectvlm.infer.predictor import DISPLAY_SIZE

MODEL_SIZE = 48  # the conftest's tiny run renders for the model at 48 px


@pytest.fixture
def shown(monkeypatch):
    """Media id → the image the page sent to the browser (as the browser decodes it)."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, data, mimetype, kind, filename=None):
        file_id = original(self, data, mimetype, kind, filename)
        stored[file_id] = data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return stored


@pytest.fixture
def app(tiny_run, monkeypatch):
    monkeypatch.setenv("AFFECTVLM_CHECKPOINT", str(tiny_run))
    monkeypatch.delenv("AFFECTVLM_MAX_UPLOAD_MB", raising=False)
    return AppTest.from_file(str(page_path()), default_timeout=60)


def _sizes(at, stored) -> dict[str, tuple[int, int]]:
    """Caption → (width, height) of every image on the page."""
    sizes = {}
    for element in at.get("image"):
        for image in element.proto.imgs:
            file_id = PurePosixPath(image.url).stem
            sizes[image.caption] = Image.open(io.BytesIO(stored[file_id])).size
    return sizes


def test_views_are_shown_at_display_size_while_the_model_keeps_its_own(app, shown):
    at = app.run()
    assert not at.exception
    sizes = _sizes(at, shown)
    assert set(sizes) == {"frontal", "left", "right"}
    assert all(w >= 256 and h >= 256 for w, h in sizes.values())
    prediction = at.session_state["prediction"]
    assert prediction.views[0].channels["texture"].shape[1:3] == (MODEL_SIZE, MODEL_SIZE)


def test_saliency_overlays_are_shown_at_display_size(app, shown):
    at = app.run()
    at.toggle(key="explain").set_value(True).run()
    at.radio(key="explain_method").set_value("gradient").run()
    assert not at.exception
    sizes = _sizes(at, shown)
    overlays = {k: v for k, v in sizes.items() if k.endswith("saliency")}
    assert len(overlays) == 3 and all(w >= 256 and h >= 256 for w, h in overlays.values())


def test_sequence_frames_are_shown_at_display_size(app, shown):
    at = app.run()
    at.sidebar.toggle[0].set_value(True).run()
    frame_slider = next(s for s in at.slider if s.label.startswith("Frame"))
    frame_slider.set_value(2).run()
    assert not at.exception
    assert all(w >= 256 and h >= 256 for w, h in _sizes(at, shown).values())


def test_display_renders_do_not_change_what_the_model_sees(tiny_run):
    face = small_face()
    plain = Predictor.from_checkpoint(tiny_run, device="cpu").predict(face)
    shown = Predictor.from_checkpoint(tiny_run, device="cpu", display_size=DISPLAY_SIZE)
    big = shown.predict(face)
    assert plain.display_views is None
    np.testing.assert_allclose(big.probs, plain.probs, atol=1e-6)
    np.testing.assert_array_equal(
        big.views[0].channels["texture"], plain.views[0].channels["texture"]
    )
    assert big.display_views[0].channels["depth"].shape == (3, DISPLAY_SIZE, DISPLAY_SIZE)
    assert set(big.display_views[0].channels) == set(big.views[0].channels)


def test_display_is_never_smaller_than_the_model_render(tiny_run):
    predictor = Predictor.from_checkpoint(tiny_run, device="cpu", display_size=16)
    rendered = predictor.render(small_face())
    assert rendered.display_views[0].channels["texture"].shape[1:3] == (MODEL_SIZE, MODEL_SIZE)


def test_model_path_is_shown_relative_to_the_working_folder(tmp_path):
    inside = tmp_path / "demo_out" / "final" / "model"
    assert shown_path(inside, cwd=tmp_path) == "demo_out/final/model"
    elsewhere = tmp_path.parent / "models" / "x"
    assert shown_path(elsewhere, cwd=tmp_path) == str(elsewhere)

"""The page's saliency toggle: overlays beside the views, contributions, prompts as targets."""

import pytest
from streamlit.testing.v1 import AppTest

from affectvlm.app import page_path


@pytest.fixture
def app(tiny_run, monkeypatch):
    monkeypatch.setenv("AFFECTVLM_CHECKPOINT", str(tiny_run))
    monkeypatch.delenv("AFFECTVLM_MAX_UPLOAD_MB", raising=False)
    return AppTest.from_file(str(page_path()), default_timeout=60)


def _headline(at):
    return next(s.value for s in at.subheader if s.value.startswith("Prediction:"))


def _explain_on(at, method="gradient"):
    at.toggle(key="explain").set_value(True).run()
    at.radio(key="explain_method").set_value(method).run()
    return at


def test_saliency_toggle_adds_an_overlay_per_view_and_the_contributions(app):
    at = app.run()
    assert len(at.get("image")) == 3 and not at.toggle(key="explain").value
    at = _explain_on(at)
    assert not at.exception
    assert len(at.get("image")) == 6  # each view and its overlay
    label = _headline(at).split()[1]
    assert at.selectbox(key="explain_target").value == f"class: {label}"
    assert any(f"“{label}”" in c.value for c in at.caption)
    table = at.table[0].value
    assert list(table.index) == ["frontal", "left", "right"]
    assert "prob. drop without view" in table.columns
    at.toggle(key="explain").set_value(False).run()
    assert len(at.get("image")) == 3


def test_a_free_text_prompt_can_be_explained(app):
    at = _explain_on(app.run())
    at.text_area(key="prompts").set_value("a person smiling nervously\na furious face").run()
    options = at.selectbox(key="explain_target").options
    assert "prompt: a furious face" in options and "class: anger" in options
    at.selectbox(key="explain_target").set_value("prompt: a furious face").run()
    assert not at.exception
    assert any("“a furious face”" in c.value for c in at.caption)


def test_sequence_overlays_follow_the_frame_slider(app):
    at = app.run()
    at.sidebar.toggle[0].set_value(True).run()  # 4D sequence
    at = _explain_on(at, "rollout")
    assert not at.exception and len(at.get("image")) == 6
    slider = next(s for s in at.slider if s.label.startswith("Frame"))
    slider.set_value(2).run()
    assert not at.exception and len(at.get("image")) == 6

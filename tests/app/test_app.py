import io
import tempfile
import zipfile

import pytest
from streamlit.testing.v1 import AppTest
from tiny_checkpoint import CORRUPT_PLY

from affectvlm import EMOTIONS
from affectvlm.app import page_path


@pytest.fixture
def app(tiny_run, monkeypatch):
    monkeypatch.setenv("AFFECTVLM_CHECKPOINT", str(tiny_run))
    monkeypatch.delenv("AFFECTVLM_MAX_UPLOAD_MB", raising=False)
    return AppTest.from_file(str(page_path()), default_timeout=60)


def _headline(at):
    return [s.value for s in at.subheader if s.value.startswith("Prediction:")]


def _upload(at, files):
    at.session_state["upload_files"] = files
    at.sidebar.radio(key="source").set_value("Upload")
    return at.run()


def test_default_synthetic_face_shows_views_probabilities_and_ranked_prompts(app):
    at = app.run()
    assert not at.exception
    [headline] = _headline(at)
    assert any(name in headline for name in EMOTIONS)
    assert len(at.get("image")) == 3  # frontal, left, right
    assert len(at.get("vega_lite_chart")) == 1  # fused probabilities
    view_table = at.table[0].value
    assert list(view_table.columns) == ["frontal", "left", "right"]
    assert list(view_table.index) == list(EMOTIONS)


def test_free_text_prompts_are_ranked_by_score(app):
    at = app.run()
    at.text_area(key="prompts").set_value("a happy face\n\nan angry face\na shocked face").run()
    ranked = at.table[-1].value
    assert sorted(ranked["prompt"]) == ["a happy face", "a shocked face", "an angry face"]
    assert list(ranked["score"]) == sorted(ranked["score"], reverse=True)
    assert list(ranked.index) == [1, 2, 3]


def test_synthetic_sequence_shows_a_timeline_and_a_frame_slider(app):
    at = app.run()
    at.sidebar.toggle[0].set_value(True).run()
    assert not at.exception and _headline(at)
    assert len(at.get("vega_lite_chart")) == 2  # bars + per-frame timeline
    frame_slider = [s for s in at.slider if s.label.startswith("Frame")]
    assert frame_slider and frame_slider[0].max == 2  # 3 sampled frames
    frame_slider[0].set_value(2).run()
    assert not at.exception and len(at.get("image")) == 3


def test_uploaded_scan_with_texture_is_predicted(app, face_files):
    at = _upload(app.run(), face_files)
    assert not at.exception and not at.error
    assert _headline(at) and len(at.get("image")) == 3
    channels = at.main.radio[0]
    assert channels.options == ["texture", "shading", "depth"]
    channels.set_value("depth").run()
    assert not at.exception and len(at.get("image")) == 3


def test_corrupt_upload_gives_an_error_message_and_the_app_keeps_running(app, face_files):
    at = _upload(app.run(), [("broken.ply", b"ply\nformat ascii 1.0\nelement vertex 3\n")])
    assert not at.exception
    assert not _headline(at)
    [error] = at.error
    assert "broken.ply" in error.value and "affectvlm-upload" not in error.value
    at = _upload(at, face_files)  # the next, good upload still works
    assert not at.exception and _headline(at)


@pytest.mark.parametrize(
    "files, fault",
    [
        ([("notes.exe", b"MZ")], "not accepted"),
        ([("big.ply", b"\0" * (2 * 2**20))], "MiB limit"),
    ],
)
def test_wrong_type_and_oversized_uploads_are_refused(app, monkeypatch, files, fault):
    monkeypatch.setenv("AFFECTVLM_MAX_UPLOAD_MB", "1")
    at = _upload(app.run(), files)
    assert not at.exception
    assert fault in at.error[0].value


def test_zip_escaping_its_folder_is_refused(app, tmp_path):
    archive = tmp_path / "seq.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../000.ply", b"ply")
    at = _upload(app.run(), [("seq.zip", archive.read_bytes())])
    assert not at.exception and "escapes" in at.error[0].value


def _zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "members, shown",
    [
        ({"S1/000.ply": CORRUPT_PLY, "S1/001.ply": CORRUPT_PLY}, "seq.zip: S1/000.ply: "),
        (
            {"S1": b"x", "S1/000.ply": b"ply"},
            "seq.zip: zip member 'S1' is both a file and a folder",
        ),
        ({"S1/000.ply": b"\0" * (3 * 2**20)}, "seq.zip: zip member 'S1/000.ply' expands to 3 MiB"),
    ],
    ids=["corrupt frame", "file and folder", "zip bomb"],
)
def test_zip_faults_show_the_upload_and_member_names_and_no_server_path(
    app, monkeypatch, members, shown
):
    monkeypatch.setenv("AFFECTVLM_MAX_UPLOAD_MB", "1")
    at = _upload(app.run(), [("seq.zip", _zip_bytes(members))])
    assert not at.exception and not _headline(at)
    [error] = at.error
    assert shown in error.value
    assert "affectvlm-" not in error.value and tempfile.gettempdir() not in error.value


def test_dataset_folder_picker_lists_scans_and_sequences(app, dataset_root):
    at = app.run()
    at.sidebar.radio(key="source").set_value("Dataset folder").run()
    at.sidebar.text_input(key="dataset_root").set_value(str(dataset_root)).run()
    picker = at.sidebar.selectbox(key="dataset_sample")
    assert len(picker.options) == 2
    assert not at.exception and _headline(at)
    picker.set_value(1).run()  # the sequence
    assert not at.exception and len(at.get("vega_lite_chart")) == 2


def test_without_a_model_the_page_says_how_to_make_one(monkeypatch, tmp_path):
    monkeypatch.delenv("AFFECTVLM_CHECKPOINT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(str(page_path()), default_timeout=30).run()
    assert not at.exception
    assert "affectvlm demo" in " ".join(m.value for m in at.markdown)

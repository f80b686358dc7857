"""AffectVLM Streamlit page: pick a face (synthetic, uploaded, or from a dataset folder),
see its rendered views, the emotion probabilities and free-text prompt scores.

Run with ``affectvlm app``. Tests feed uploads through ``st.session_state["upload_files"]``
(a list of ``(name, bytes)``), the same path the file uploader's bytes take.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from affectvlm import EMOTIONS
from affectvlm.app import display, explaining
from affectvlm.app.settings import AppSettings, find_demo_model
from affectvlm.app.synthetic import synthetic_input
from affectvlm.app.uploads import ACCEPTED, UploadError, upload_error, uploaded_input
from affectvlm.explain.saliency import supported_methods
from affectvlm.infer import InferenceError, Prediction, Predictor, resolve_inputs
from affectvlm.infer.predictor import DISPLAY_SIZE, PREDICT_ERRORS
from affectvlm.model import ModelLoadError

SOURCES = ("Synthetic face", "Upload", "Dataset folder")
DEFAULT_PROMPTS = "a person smiling nervously\na face frozen in shock\na calm, relaxed face"
MAX_LISTED = 5000


@st.cache_resource(show_spinner="Loading the model…")
def load_predictor(checkpoint: str, device: str) -> Predictor:
    """Loaded once per checkpoint and device for the whole server, never per interaction."""
    return Predictor.from_checkpoint(checkpoint, device=device, display_size=DISPLAY_SIZE)


@st.cache_data(show_spinner=False, max_entries=8)
def list_dataset(root: str) -> list[tuple[str, str]]:
    items, _ = resolve_inputs([root])
    return [(str(i.path.relative_to(root)) or ".", i.kind) for i in items[:MAX_LISTED]]


def cached_prediction(key: tuple, make: Callable[[], Prediction]) -> Prediction:
    """The last prediction is kept in the session so widget changes elsewhere do not rerun it."""
    if st.session_state.get("prediction_key") != key:
        st.session_state["prediction"] = make()
        st.session_state["prediction_key"] = key
    return st.session_state["prediction"]


def no_model_page() -> None:
    st.warning("No trained model found.")
    st.markdown(
        "Make the demo model with `affectvlm demo` (it trains a small model on synthetic faces "
        "in a few minutes on a CPU), or start the app on your own run with "
        "`affectvlm app --checkpoint RUN_FOLDER`."
    )


def synthetic_source(predictor: Predictor) -> Prediction | None:
    side = st.sidebar
    emotion = side.selectbox("Emotion", EMOTIONS, index=EMOTIONS.index("happiness"))
    sequence = side.toggle("4D sequence (onset → apex → offset)", value=False)
    intensity = 4.0
    if not sequence:
        intensity = side.slider("Intensity", 0.0, 4.0, 4.0, step=0.5)
    seed = int(side.number_input("Identity seed", min_value=0, max_value=10_000, value=0))
    sex = side.selectbox("Sex", ("F", "M"))
    key = ("synthetic", emotion, intensity, seed, sex, sequence)

    def make() -> Prediction:
        return predictor.predict(synthetic_input(emotion, intensity, seed, sex, sequence=sequence))

    return guarded(lambda: cached_prediction(key, make), "the synthetic face")


def upload_source(predictor: Predictor, settings: AppSettings) -> Prediction | None:
    files = st.session_state.get("upload_files")
    if not files:
        uploaded = st.sidebar.file_uploader(
            "A scan (+ texture, landmarks) or a zipped 4D sequence",
            type=list(ACCEPTED),
            accept_multiple_files=True,
        )
        files = [(f.name, f.getvalue()) for f in uploaded or []]
    if not files:
        st.info("Upload a .wrl/.obj/.ply/.bnt scan (with its texture image) or a .zip sequence.")
        return None
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    key = ("upload", digest.hexdigest())
    label = ", ".join(name for name, _ in files)

    def make() -> Prediction:
        with uploaded_input(files, settings.limits) as item:
            try:
                prediction = predictor.predict(item, limits=settings.limits)
            except Exception as exc:  # untrusted input: every fault is a message
                raise upload_error(exc, item.path.parent, label) from exc
        prediction.source = label
        return prediction

    return guarded(lambda: cached_prediction(key, make), label)


def folder_source(predictor: Predictor) -> Prediction | None:
    root = st.sidebar.text_input("Dataset root folder", key="dataset_root").strip()
    if not root:
        st.info("Type the path of a dataset folder (e.g. one written by `affectvlm synth`).")
        return None
    if not Path(root).is_dir():
        st.error(f"{root}: not a folder")
        return None
    items = list_dataset(root)
    if not items:
        st.error(f"{root}: no scans or sequences found")
        return None
    labels = [f"{rel}  [{kind}]" if kind == "sequence" else rel for rel, kind in items]
    choice = st.sidebar.selectbox(
        f"Sample ({len(items)} found)",
        range(len(items)),
        format_func=lambda i: labels[i],
        key="dataset_sample",
    )
    path = Path(root) / items[choice][0]
    key = ("folder", str(path), path.stat().st_mtime_ns)
    return guarded(lambda: cached_prediction(key, lambda: predictor.predict(path)), str(path))


def guarded(run: Callable[[], Prediction], label: str) -> Prediction | None:
    """Run a prediction; a bad input becomes an error message, never a crash."""
    try:
        return run()
    except UploadError as exc:
        st.error(f"Could not use the upload — {exc}")
    except PREDICT_ERRORS as exc:
        st.error(f"Could not read {label} — {exc}")
    st.session_state.pop("prediction_key", None)
    return None


def show_prediction(predictor: Predictor, prediction: Prediction) -> None:
    st.subheader(display.result_line(prediction))
    frame = 0
    frames = display.frame_table(prediction)
    channel = st.radio("Channel", display.channels_of(prediction), horizontal=True)
    if frames is not None and len(prediction.views) > 1:
        frame = st.slider("Frame (sampled)", 0, len(prediction.views) - 1, 0)
        st.caption(f"sequence frame {prediction.frame_indices[frame]}")
    images = display.view_images(prediction, channel, frame)
    why = None
    if st.toggle("Show saliency (where the evidence lies)", key="explain"):
        why = explanation_section(predictor, prediction)
    columns = st.columns(len(prediction.view_names))
    overlays = explaining.overlay_images(why, images, frame) if why else [None] * len(images)
    for column, name, image, heat in zip(
        columns, prediction.view_names, images, overlays, strict=True
    ):
        column.image(image, caption=name, width="stretch")
        if heat is not None:
            column.image(heat, caption=f"{name} · saliency", width="stretch")
    if why is not None:
        st.caption(
            f"Saliency of the score of “{why.target_label}” "
            f"({why.method}); bright = changing these pixels changes the score most."
        )
        st.table(explaining.contribution_table(why).style.format("{:.3f}"))

    left, right = st.columns(2)
    left.markdown("**Emotion probabilities (views fused)**")
    left.bar_chart(display.class_probs(prediction), x="emotion", y="probability", sort=False)
    right.markdown("**Per-view probabilities**")
    right.table(display.view_table(prediction).style.format("{:.3f}"))
    if frames is not None:
        st.markdown("**Timeline: probability per sampled frame**")
        st.line_chart(frames)

    st.markdown("**Free-text prompts** (zero-shot, one per line)")
    text = st.text_area("Prompts", DEFAULT_PROMPTS, key="prompts", label_visibility="collapsed")
    scores = predictor.score_prompts(prediction, display.prompt_lines(text))
    if scores:
        st.table(display.prompt_table(scores).style.format({"score": "{:.3f}", "share": "{:.3f}"}))
    with st.expander("Prompts behind each class"):
        st.json(prediction.class_prompts, expanded=False)


def explanation_section(predictor: Predictor, prediction: Prediction):
    """Pick what to explain (a class or a prompt) and how; kept per prediction in the session."""
    prompts = display.prompt_lines(st.session_state.get("prompts", DEFAULT_PROMPTS))
    options = explaining.target_options(predictor.class_names, prompts)
    left, right = st.columns(2)
    choice = left.selectbox(
        "Explain the score of",
        options,
        index=options.index(explaining.CLASS_PREFIX + prediction.label),
        key="explain_target",
    )
    methods = supported_methods(predictor.model)
    method = right.radio("Saliency", methods, horizontal=True, key="explain_method")
    key = (st.session_state.get("prediction_key"), choice, method, tuple(prompts))
    if st.session_state.get("explanation_key") != key:
        try:
            st.session_state["explanation"] = explaining.explain_choice(
                predictor, prediction, choice, prompts, method
            )
        except ValueError as exc:
            st.error(f"Cannot explain this prediction — {exc}")
            return None
        st.session_state["explanation_key"] = key
    return st.session_state["explanation"]


def main() -> None:
    st.set_page_config(page_title="AffectVLM", layout="wide")
    st.title("AffectVLM · facial emotion from 3D scans")
    settings = AppSettings.from_env()
    checkpoint = settings.checkpoint or find_demo_model()
    if checkpoint is None:
        no_model_page()
        return
    try:
        predictor = load_predictor(str(checkpoint), settings.device)
    except (InferenceError, ModelLoadError, ValueError) as exc:
        st.error(f"Cannot load the model — {exc}")
        return
    st.sidebar.caption(f"Model: `{display.shown_path(predictor.source)}`")
    source = st.sidebar.radio("Input", SOURCES, key="source")
    if source == SOURCES[0]:
        prediction = synthetic_source(predictor)
    elif source == SOURCES[1]:
        prediction = upload_source(predictor, settings)
    else:
        prediction = folder_source(predictor)
    if prediction is not None:
        show_prediction(predictor, prediction)


main()

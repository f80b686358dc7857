import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file
from synthetic import PatternCache, make_foldset, make_records, tiny_config

from affectvlm.model import AffectVLM
from affectvlm.model.config import resolve_model_config
from affectvlm.train.checkpoint import CheckpointError
from affectvlm.train.engine import TrainError, train_fold


class Killed(Exception):
    pass


def _killed_after_epoch_1(config, records, folds, fold, out) -> None:
    """Train ``fold`` into ``out`` and kill the run once epoch 1's checkpoint is written."""

    def kill(epoch, log):
        if epoch == 1:
            raise Killed

    with pytest.raises(Killed):
        train_fold(
            config, records, folds, fold, out, "cpu", cache=PatternCache(records), on_epoch_end=kill
        )


@pytest.fixture(scope="module")
def data():
    records = make_records()
    return records, make_foldset(records)


def test_short_cpu_training_of_the_conv_tower_beats_chance_by_a_wide_margin(data, tmp_path):
    records, folds = data
    model = resolve_model_config({"preset": "rn-tiny", "vision": {"image_size": 32}})
    config = dataclasses.replace(tiny_config(epochs=8), model=model)
    result = train_fold(config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records))
    assert result.test_metrics["accuracy"] >= 0.8  # chance is 1/3
    reloaded = AffectVLM.from_pretrained(tmp_path / "model")
    assert reloaded.config.vision.kind == "resnet"


def test_short_cpu_training_beats_chance_by_a_wide_margin(data, tmp_path):
    records, folds = data
    result = train_fold(
        tiny_config(epochs=8), records, folds, 0, tmp_path, "cpu", cache=PatternCache(records)
    )
    assert result.test_metrics["accuracy"] >= 0.8  # chance is 1/3
    assert result.test_metrics["num_samples"] == 4 * 3 * 4  # 4 test subjects
    for name in (
        "fold_result.json",
        "metrics.json",
        "confusion.png",
        "curves.png",
        "history.jsonl",
        "train.log",
        "checkpoint.pt",
        "model/render.toml",
    ):
        assert (tmp_path / name).exists(), name
    rows = result.predictions  # per-sample test predictions, for the demographic breakdowns
    assert len(rows) == 4 * 3 * 4
    test_subjects = {s.split("/")[-1] for s in folds.folds[0].test}
    assert {row["subject"].split("/")[-1] for row in rows} == test_subjects
    correct = sum(row["true"] == row["pred"] for row in rows)
    assert correct / len(rows) == pytest.approx(result.test_metrics["accuracy"])
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert {"loss", "loss_itc", "loss_mc", "alpha", "temperature", "val_accuracy"} <= set(
        history[0]
    )
    reloaded = AffectVLM.from_pretrained(tmp_path / "model")
    assert (
        reloaded.prompt_bank.fingerprint()
        == AffectVLM.from_pretrained(tmp_path / "model").prompt_bank.fingerprint()
    )


def _weights(run):
    return load_file(str(next((run / "model").glob("*.safetensors"))))


@pytest.mark.parametrize("freeze_text", [False, True])
def test_kill_and_resume_reaches_the_same_result_as_an_uninterrupted_run(
    data, tmp_path, freeze_text
):
    records, folds = data
    config = tiny_config(epochs=2, data={"workers": 0}, model={"freeze_text": freeze_text})
    full = train_fold(
        config, records, folds, 1, tmp_path / "full", "cpu", cache=PatternCache(records)
    )

    _killed_after_epoch_1(config, records, folds, 1, tmp_path / "cut")
    resumed = train_fold(
        config, records, folds, 1, tmp_path / "cut", "cpu", cache=PatternCache(records), resume=True
    )
    assert resumed.test_metrics == full.test_metrics
    for a, b in zip(full.history, resumed.history, strict=True):
        assert a["loss"] == b["loss"]  # bit for bit, with the same thread count
        assert a["val_accuracy"] == b["val_accuracy"]
    wa, wb = _weights(tmp_path / "full"), _weights(tmp_path / "cut")
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], atol=0, rtol=0)


def test_resume_with_another_config_is_an_error_naming_the_keys(data, tmp_path):
    records, folds = data
    train_fold(
        tiny_config(epochs=1), records, folds, 0, tmp_path, "cpu", cache=PatternCache(records)
    )
    with pytest.raises(CheckpointError, match=r"optim\.lr_heads"):
        train_fold(
            tiny_config(epochs=1, optim={"lr_heads": 0.1}),
            records,
            folds,
            0,
            tmp_path,
            "cpu",
            cache=PatternCache(records),
            resume=True,
        )
    with pytest.raises(TrainError, match="--resume"):
        train_fold(
            tiny_config(epochs=1), records, folds, 0, tmp_path, "cpu", cache=PatternCache(records)
        )


def test_resume_from_states_that_do_not_fit_the_model_is_a_checkpoint_error(data, tmp_path):
    from affectvlm.train.checkpoint import load_checkpoint, save_checkpoint

    records, folds = data
    config = tiny_config(epochs=1)
    train_fold(config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records))
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    saved["step"] = {"renamed." + k: v for k, v in saved["step"].items()}  # another code version
    save_checkpoint(tmp_path / "checkpoint.pt", saved)
    with pytest.raises(CheckpointError, match="do not fit this model and optimizer") as info:
        train_fold(
            config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records), resume=True
        )
    assert info.value.path == tmp_path / "checkpoint.pt"


def test_the_checkpoint_leaves_out_frozen_weights_and_refuses_other_ones_on_resume(data, tmp_path):
    from affectvlm.train.checkpoint import load_checkpoint, save_checkpoint

    records, folds = data
    config = tiny_config(epochs=2, model={"freeze_text": True})

    _killed_after_epoch_1(config, records, folds, 0, tmp_path)
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    stored = {k.removeprefix("model.") for k in saved["step"]}
    weights = _weights(tmp_path)  # the model folder keeps every weight
    text = {k for k in weights if k.startswith("text_tower.encoder.")}
    assert text and not text & stored
    assert set(weights) - text <= stored
    saved["frozen_digest"] = "0" * 32  # as if another copy of the encoder were installed
    save_checkpoint(tmp_path / "checkpoint.pt", saved)
    with pytest.raises(CheckpointError, match="frozen weights of this model differ"):
        train_fold(
            config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records), resume=True
        )


def test_model_selection_never_reads_the_test_subjects(data, tmp_path):
    records, folds = data
    test_subjects = {s.split("/")[1] for s in folds.folds[2].test}
    cache = PatternCache(records, poison=test_subjects)
    reads_before_test = []
    train_fold(
        tiny_config(epochs=2, patience=1),
        records,
        folds,
        2,
        tmp_path,
        "cpu",
        cache=cache,
        on_epoch_end=lambda epoch, log: reads_before_test.append(len(cache.loaded)),
    )
    selection_reads = cache.loaded[: reads_before_test[-1]]
    test_reads = cache.loaded[reads_before_test[-1] :]
    assert not any(key.split("/")[0] in test_subjects for key in selection_reads)
    assert {key.split("/")[0] for key in test_reads} == test_subjects


def test_the_linear_class_head_trains_by_cross_entropy_in_the_same_engine(data, tmp_path):
    records, folds = data
    model = dataclasses.replace(tiny_config().model, head="linear")
    config = dataclasses.replace(tiny_config(epochs=8), model=model)
    result = train_fold(config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records))
    assert result.test_metrics["accuracy"] >= 0.8  # chance is 1/3
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert "loss_ce" in history[0] and "loss_itc" not in history[0]
    reloaded = AffectVLM.from_pretrained(tmp_path / "model")
    assert reloaded.config.head == "linear"
    assert reloaded.config.classes == result.class_names
    with torch.no_grad():
        vectors = reloaded.class_embeddings(None, result.class_names[::-1])
    assert torch.equal(vectors, reloaded.class_head.weight.flip(0))
    with pytest.raises(ValueError, match="linear class head"):
        reloaded.class_embeddings(None, ["contempt"])


def test_extra_test_sets_are_scored_with_the_selected_model(data, tmp_path):
    records, folds = data
    cache = PatternCache(records)
    result = train_fold(
        tiny_config(epochs=3),
        records,
        folds,
        0,
        tmp_path,
        "cpu",
        cache=cache,
        extra_tests={"again": records},
    )
    assert result.extra_test_metrics["again"] == result.test_metrics
    saved = json.loads((tmp_path / "fold_result.json").read_text())
    assert saved["extra_test_metrics"]["again"]["accuracy"] == result.test_metrics["accuracy"]


def test_keep_last_keeps_the_end_of_the_schedule_whatever_validation_says(data, tmp_path):
    records, folds = data
    config = tiny_config(epochs=3, keep="last")
    result = train_fold(config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records))
    assert result.best_epoch == result.epochs_run == 3
    assert "accuracy" in result.val_metrics  # validation is still scored
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["step"]
    kept = _weights(tmp_path)
    for name, tensor in kept.items():
        torch.testing.assert_close(tensor, state[f"model.{name}"], rtol=0, atol=0)
    with pytest.raises(ValueError, match="early stopping"):
        tiny_config(keep="last", patience=3)


def test_resuming_with_another_thread_count_warns_that_results_differ_in_the_last_digits(
    data, tmp_path
):
    records, folds = data
    config = tiny_config(epochs=2)

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        _killed_after_epoch_1(config, records, folds, 0, tmp_path)
        torch.set_num_threads(2)
        train_fold(config, records, folds, 0, tmp_path, "cpu", cache=PatternCache(records),
                   resume=True)  # fmt: skip
    finally:
        torch.set_num_threads(before)
    log = (tmp_path / "train.log").read_text()
    assert "trained with 1 torch threads and resumes with 2" in log

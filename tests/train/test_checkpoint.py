import random

import numpy as np
import pytest
import torch

from affectvlm.train.checkpoint import (
    CheckpointError,
    check_config,
    config_differences,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)


def test_rng_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    save_checkpoint(tmp_path / "c.pt", {"rng": rng_state(), "epoch": 4})
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.random(), np.random.rand(), torch.rand(1)  # move all states on
    state = load_checkpoint(tmp_path / "c.pt")
    set_rng_state(state["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    assert state["epoch"] == 4


def test_save_leaves_no_temp_file_behind(tmp_path):
    save_checkpoint(tmp_path / "c.pt", {"x": torch.ones(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_config_differences_name_the_dotted_keys():
    stored = {"epochs": 2, "optim": {"lr_heads": 1e-3, "beta1": 0.9}, "data": {"workers": 0}}
    current = {"epochs": 3, "optim": {"lr_heads": 1e-3, "beta1": 0.8}, "data": {"workers": 4}}
    assert config_differences(stored, current) == ["epochs", "optim.beta1"]


def test_config_mismatch_on_resume_is_an_error_naming_the_keys(tmp_path):
    with pytest.raises(CheckpointError, match=r"optim\.lr_heads: 0\.001 -> 0\.01"):
        check_config(
            tmp_path / "c.pt", {"optim": {"lr_heads": 1e-3}}, {"optim": {"lr_heads": 1e-2}}
        )


def test_unreadable_checkpoint_names_the_file(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"bad\.pt"):
        load_checkpoint(bad)


def test_a_setting_added_after_the_run_at_its_default_is_not_a_difference():
    from affectvlm.train.checkpoint import config_differences

    stored = {"data": {"batch_size": 16}}
    defaults = {"data": {"batch_size": 8, "balance_by": ""}}
    same = {"data": {"batch_size": 16, "balance_by": ""}}
    changed = {"data": {"batch_size": 16, "balance_by": "sex"}}
    assert config_differences(stored, same, defaults=defaults) == []
    assert config_differences(stored, changed, defaults=defaults) == ["data.balance_by"]
    assert config_differences(stored, same) == ["data.balance_by"]  # no defaults: strict


def _write(path, how):
    if how == "empty":
        path.write_bytes(b"")
    elif how == "text":
        path.write_text("epoch=3\n")
    elif how == "numpy":
        torch.save({"epoch": np.int64(3)}, path)  # a numpy scalar needs an unsafe unpickle
    elif how == "truncated":
        save_checkpoint(path, {"x": torch.ones(10_000)})
        path.write_bytes(path.read_bytes()[:5000])
    elif how == "list":
        torch.save([1, 2], path)
    elif how == "newer":
        torch.save({"format": "affectvlm-train-checkpoint", "format_version": 99}, path)
    elif how == "other format":
        torch.save({"format": "lightning", "state_dict": {}}, path)
    elif how == "folder":
        path.mkdir()


@pytest.mark.parametrize(
    "how, fault",
    [
        ("empty", "empty file (0 bytes), not a checkpoint"),
        ("text", "not a checkpoint file"),
        ("numpy", "not written by affectvlm's trainer"),
        ("truncated", "truncated or damaged checkpoint"),
        ("list", "holds a list, not an affectvlm training state"),
        ("newer", "written by another affectvlm version (checkpoint format 99"),
        ("other format", "is a 'lightning' file, not an affectvlm training checkpoint"),
        ("folder", "is a folder, not a checkpoint file"),
    ],
)
def test_a_bad_checkpoint_says_what_is_wrong_in_our_words(tmp_path, how, fault):
    path = tmp_path / "last.pt"
    _write(path, how)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert info.value.path == path and fault in info.value.reason
    assert "weights_only" not in str(info.value) and "torch.load" not in str(info.value)


def test_a_checkpoint_without_the_training_state_is_refused_naming_the_missing_keys(tmp_path):
    from affectvlm.train.checkpoint import TRAINING_STATE_KEYS

    save_checkpoint(tmp_path / "c.pt", {"epoch": 1, "config": {}})
    with pytest.raises(CheckpointError, match=r"no best_metric, best_epoch, .*folds_hash\)"):
        load_checkpoint(tmp_path / "c.pt", required=TRAINING_STATE_KEYS)


def test_checkpoints_carry_a_format_and_older_ones_without_it_still_load(tmp_path):
    save_checkpoint(tmp_path / "new.pt", {"epoch": 2})
    state = torch.load(tmp_path / "new.pt", weights_only=True)
    assert state["format"] == "affectvlm-train-checkpoint" and state["format_version"] == 2
    torch.save({"epoch": 2}, tmp_path / "old.pt")  # as written before the format marker
    assert load_checkpoint(tmp_path / "old.pt")["epoch"] == 2


def _half_frozen(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    module[0].requires_grad_(False)
    return module


@pytest.mark.parametrize("written", ["trainable only", "full state (format 1)"])
def test_module_states_leave_out_frozen_weights_and_restore_either_way(tmp_path, written):
    from affectvlm.train.checkpoint import frozen_digest, module_state, restore_states

    trained = _half_frozen(0)
    with torch.no_grad():
        trained[1].weight.add_(1.0)  # training moved the trainable part only
    state = module_state(trained) if written == "trainable only" else trained.state_dict()
    assert ("0.weight" in state) == (written != "trainable only")
    saved = {"step": state, "frozen_digest": frozen_digest(trained), "rng": rng_state()}
    rebuilt = _half_frozen(0)
    restore_states(tmp_path / "c.pt", saved, {"step": rebuilt})
    for a, b in zip(trained.state_dict().values(), rebuilt.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_frozen_weights_other_than_the_runs_are_refused(tmp_path):
    from affectvlm.train.checkpoint import frozen_digest, module_state, restore_states

    trained = _half_frozen(0)
    saved = {"step": module_state(trained), "frozen_digest": frozen_digest(trained)}
    saved["rng"] = rng_state()
    with pytest.raises(CheckpointError, match="frozen weights of this model differ") as info:
        restore_states(tmp_path / "c.pt", saved, {"step": _half_frozen(1)})
    assert info.value.path == tmp_path / "c.pt"
    assert frozen_digest(_half_frozen(0)) == saved["frozen_digest"]

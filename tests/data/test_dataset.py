from types import SimpleNamespace

import numpy as np
import pytest
import torch

from affectvlm.data.augment import AugmentConfig, MixedViewAugment
from affectvlm.data.dataset import MultiviewDataset, collate_samples, record_attributes


class ArraySource:
    def __init__(self, arrays):
        self.arrays = arrays
        self.loaded = []

    def load(self, sample_id):
        self.loaded.append(sample_id)
        return self.arrays[sample_id]


class EchoPrompts:
    def sample(self, emotion, attributes, rng):
        return f"{emotion} {int(rng.integers(1000))}"


def _records():
    return [
        SimpleNamespace(
            path="F0001/a", subject="F0001", emotion="anger", sex="F", age="31", ethnicity=""
        ),
        SimpleNamespace(
            path="M0002/b", subject="M0002", emotion="happiness", sex="M", age="", ethnicity="WH"
        ),
    ]


def _source(frames=1, size=48):
    rng = np.random.default_rng(0)
    return ArraySource(
        {
            r.path: rng.integers(0, 256, (frames, 3, 3, size, size), dtype=np.uint8)
            for r in _records()
        }
    )


def _dataset(source, **kw):
    return MultiviewDataset(
        _records(), source, lambda r: r.path, ["anger", "happiness"], image_size=32, **kw
    )


def test_items_hold_resized_float_views_label_subject_and_attributes():
    item = _dataset(_source())[1]
    assert item["views"].shape == (3, 3, 32, 32)
    assert item["views"].dtype == torch.float32
    assert item["views"].min() >= 0.0 and item["views"].max() <= 1.0
    assert item["label"] == 1 and item["subject"] == "M0002"
    assert item["attributes"] == {"sex": "M", "ethnicity": "WH"}
    assert item["prompt"] is None


def test_sequences_keep_their_time_axis():
    assert _dataset(_source(frames=4))[0]["views"].shape == (4, 3, 3, 32, 32)


def test_training_keys_draw_seeded_augmentation_and_prompts_per_epoch():
    aug = MixedViewAugment(AugmentConfig(), [0, -20, 20], texture=True)
    ds = _dataset(_source(), augment=aug, prompts=EchoPrompts(), seed=7)
    a, b, c = ds[(0, 1)], ds[(0, 1)], ds[(0, 2)]
    assert torch.equal(a["views"], b["views"]) and a["prompt"] == b["prompt"]
    assert not torch.equal(a["views"], c["views"])
    assert a["prompt"].startswith("anger ")
    clean = ds[0]
    assert clean["prompt"] is None and not torch.equal(clean["views"], a["views"])


def test_collate_stacks_tensors_and_keeps_lists():
    ds = _dataset(_source())
    batch = collate_samples([ds[0], ds[1]])
    assert batch["views"].shape == (2, 3, 3, 32, 32)
    assert batch["labels"].tolist() == [0, 1] and batch["indices"].tolist() == [0, 1]
    assert batch["subjects"] == ["F0001", "M0002"]


def test_emotions_outside_the_class_list_are_rejected():
    with pytest.raises(ValueError, match="not in the run's classes"):
        MultiviewDataset(_records(), _source(), lambda r: r.path, ["anger"], image_size=32)


def test_a_malformed_cache_entry_names_the_sample():
    source = ArraySource({r.path: np.zeros((3, 32, 32), np.uint8) for r in _records()})
    with pytest.raises(ValueError, match="F0001/a"):
        _dataset(source)[0]


def test_record_attributes_leave_out_empty_and_unparsable_values():
    rec = SimpleNamespace(sex="", age="unknown", ethnicity="")
    assert record_attributes(rec) == {}
    assert record_attributes(SimpleNamespace(sex="F", age="42", ethnicity="")) == {
        "sex": "F",
        "age": 42.0,
    }

"""A torch Dataset of multiview samples read from the render cache.

Each item is one sample (a 3D scan or a 4D sequence): its rendered views as a float tensor
``(V, 3, H, W)`` (static) or ``(T, V, 3, H, W)`` (4D) in [0, 1], resized to the model's image
size (the model normalises with its own mean/std, see ``AffectVLM._pixels``), plus its
label index in the run's class list, its
subject, its prompt attributes and — for training — one prompt drawn from the prompt bank.

Randomness (augmentation, prompt choice) is seeded from ``(seed, epoch, index)``: the
training sampler yields ``(index, epoch)`` keys (see
:class:`affectvlm.train.distributed.EpochSampler`), so results do not depend on the number
of DataLoader workers and a resumed run sees exactly the samples it would have seen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from affectvlm.data.augment import MixedViewAugment

SampleKey = int | tuple[int, int]


class ViewSource(Protocol):
    """What the dataset needs from the render cache."""

    def load(self, sample_id: str) -> np.ndarray: ...


class PromptSampler(Protocol):
    def sample(self, emotion: str, attributes: Mapping[str, Any] | None, rng: Any) -> str: ...


def record_attributes(record: Any) -> dict[str, Any]:
    """Prompt attributes of a record: sex, age (a number of years) and ethnicity.

    Empty or unparsable values are left out, never guessed.
    """
    out: dict[str, Any] = {}
    for key in ("sex", "ethnicity"):
        value = getattr(record, key, "")
        if value not in ("", None):
            out[key] = str(value)
    age = getattr(record, "age", "")
    if isinstance(age, (int, float)) and not isinstance(age, bool):
        out["age"] = age
    elif isinstance(age, str) and age.strip():
        with contextlib.suppress(ValueError):
            out["age"] = float(age)
    return out


def sample_seed(seed: int, epoch: int, index: int, stream: int) -> int:
    """A 63-bit seed for one sample in one epoch; ``stream`` separates uses (augment, prompt)."""
    state = np.random.SeedSequence([seed, epoch, index, stream]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


class MultiviewDataset(Dataset):
    """Samples of ``records`` served from ``source`` (a :class:`RenderCache` or alike).

    ``sample_id`` maps a record to its cache key; ``image_size`` is the model's input
    size (views are resized here, once, before augmentation). ``augment`` and ``prompts``
    are used only for
    keys of the form ``(index, epoch)`` (training); plain ``int`` keys give the clean sample.
    """

    def __init__(
        self,
        records: Sequence[Any],
        source: ViewSource,
        sample_id: Callable[[Any], str],
        class_names: Sequence[str],
        image_size: int,
        augment: MixedViewAugment | None = None,
        prompts: PromptSampler | None = None,
        seed: int = 0,
    ) -> None:
        self.records = list(records)
        self.source = source
        self.sample_id = sample_id
        self.class_names = list(class_names)
        unknown = sorted({r.emotion for r in self.records} - set(self.class_names))
        if unknown:
            raise ValueError(
                f"records carry emotions {unknown} that are not in the run's classes "
                f"{self.class_names}; filter them with the fold's sample filter first"
            )
        self.labels = [self.class_names.index(r.emotion) for r in self.records]
        self.image_size = int(image_size)
        self.augment = augment
        self.prompts = prompts
        self.seed = int(seed)

    def __len__(self) -> int:
        return len(self.records)

    def load_views(self, index: int) -> torch.Tensor:
        """Float views in [0, 1], ``(T, V, 3, S, S)`` at the model's image size."""
        record = self.records[index]
        sid = self.sample_id(record)
        array = np.asarray(self.source.load(sid))
        if array.dtype != np.uint8 or array.ndim != 5 or array.shape[2] != 3:
            raise ValueError(
                f"render cache entry '{sid}' ({record.path}): expected uint8 (T, V, 3, H, W), "
                f"got {array.dtype} {array.shape}"
            )
        x = torch.from_numpy(np.array(array, dtype=np.uint8)).float().div_(255.0)
        t, v, c, h, w = x.shape
        if (h, w) != (self.image_size, self.image_size):
            x = F.interpolate(
                x.view(t * v, c, h, w),
                size=(self.image_size, self.image_size),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            ).view(t, v, c, self.image_size, self.image_size)
        return x

    def __getitem__(self, key: SampleKey) -> dict[str, Any]:
        index, epoch = (key, None) if isinstance(key, (int, np.integer)) else key
        index = int(index)
        record = self.records[index]
        views = self.load_views(index)
        prompt = None
        if epoch is not None:
            if self.augment is not None:
                g = torch.Generator().manual_seed(sample_seed(self.seed, epoch, index, 0))
                views = self.augment(views, g)
            if self.prompts is not None:
                rng = np.random.default_rng(sample_seed(self.seed, epoch, index, 1))
                prompt = self.prompts.sample(record.emotion, record_attributes(record), rng)
        if views.shape[0] == 1:
            views = views[0]
        return {
            "views": views,
            "label": self.labels[index],
            "index": index,
            "subject": record.subject,
            "attributes": record_attributes(record),
            "prompt": prompt,
        }


def collate_samples(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stack views/labels/indices into tensors; keep subjects, attributes and prompts as lists."""
    return {
        "views": torch.stack([it["views"] for it in items]),
        "labels": torch.tensor([it["label"] for it in items], dtype=torch.long),
        "indices": torch.tensor([it["index"] for it in items], dtype=torch.long),
        "subjects": [it["subject"] for it in items],
        "attributes": [it["attributes"] for it in items],
        "prompts": [it["prompt"] for it in items],
    }


def seed_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: seed numpy and python from torch's per-worker seed."""
    import random

    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)

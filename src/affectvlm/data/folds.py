"""Subject folds: seeded assignment, validation draws, and the fold file (JSON + content hash).

Subjects are keyed ``dataset/subject`` (see :attr:`SampleRecord.subject_key`), so two
datasets that both name a subject ``F001`` never collide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.config import ConfigError, from_dict, to_dict
from affectvlm.data.config import ProtocolConfig
from affectvlm.errors import PathError
from affectvlm.fileio import atomic_write_json

FOLDS_FORMAT = "affectvlm-folds"
FOLDS_VERSION = 1
PARTS: tuple[str, ...] = ("train", "val", "test")


class FoldsError(PathError, ValueError):
    """A fold file or fold request that cannot be used; names the file (if any) and the fault."""


@dataclass
class Fold:
    """Subject keys of one fold; ``val`` is drawn from the subjects not in ``test``."""

    index: int
    train: list[str]
    val: list[str]
    test: list[str]


@dataclass
class FoldSet:
    """The folds of one protocol run, with the protocol (sample filter, seed) that made them.

    ``records_hash`` fingerprints the records that took part, so a run can check that its
    manifest is the one the folds were made from.
    """

    protocol: ProtocolConfig
    folds: list[Fold]
    subjects: list[str]
    records_hash: str
    messages: list[str] = field(default_factory=list)

    @property
    def seed(self) -> int:
        return self.protocol.seed

    def to_dict(self) -> dict[str, Any]:
        payload = {
            "format": FOLDS_FORMAT,
            "version": FOLDS_VERSION,
            "protocol": to_dict(self.protocol),
            "subjects": self.subjects,
            "records_hash": self.records_hash,
            "messages": self.messages,
            "folds": [to_dict(f) for f in self.folds],
        }
        return {**payload, "content_hash": content_hash(payload)}

    @property
    def content_hash(self) -> str:
        """SHA-256 of the fold file's content (what a checkpoint stores to name its folds)."""
        return self.to_dict()["content_hash"]


def content_hash(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stream_rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator per use (subject draw, fold deal, validation draw)."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def assign_folds(
    subjects: Sequence[str],
    k: int,
    rng: np.random.Generator,
    strata: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Deal shuffled subjects round-robin into ``k`` folds, one stratum after another.

    Fold sizes differ by at most one and each stratum (e.g. sex) spreads evenly.
    """
    if not 1 <= k <= len(subjects):
        raise FoldsError(None, f"cannot make {k} folds from {len(subjects)} subjects")
    strata = strata or {}
    groups: dict[str, list[str]] = {}
    for subject in sorted(subjects):
        groups.setdefault(strata.get(subject, ""), []).append(subject)
    folds: list[list[str]] = [[] for _ in range(k)]
    slot = 0
    for key in sorted(groups):
        for j in rng.permutation(len(groups[key])):
            folds[slot % k].append(groups[key][j])
            slot += 1
    return [sorted(f) for f in folds]


def draw_validation(
    candidates: Sequence[str], fraction: float, rng: np.random.Generator
) -> list[str]:
    """``round(fraction·n)`` subjects of ``candidates`` (at least 1 if fraction > 0, never all)."""
    n = len(candidates)
    count = min(max(round(fraction * n), 1 if fraction > 0 else 0), n - 1)
    if count <= 0:
        return []
    return sorted(str(s) for s in rng.choice(sorted(candidates), size=count, replace=False))


def check_folds(foldset: FoldSet, path: str | Path | None = None) -> None:
    """Raise FoldsError unless the folds are subject-disjoint and test each subject once."""
    tested: dict[str, int] = {}
    for fold in foldset.folds:
        parts = {p: set(getattr(fold, p)) for p in PARTS}
        for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
            shared = parts[a] & parts[b]
            if shared:
                raise FoldsError(path, f"fold {fold.index}: {sorted(shared)[:3]} in {a} and {b}")
        for subject in fold.test:
            if subject in tested:
                raise FoldsError(
                    path, f"subject {subject} tested in folds {tested[subject]} and {fold.index}"
                )
            tested[subject] = fold.index
    if not foldset.protocol.cross_dataset and set(tested) != set(foldset.subjects):
        untested = sorted(set(foldset.subjects) - set(tested))
        raise FoldsError(path, f"subjects never tested: {untested[:5]}")


def save_folds(path: str | Path, foldset: FoldSet) -> Path:
    """Write the fold file atomically (JSON with its ``content_hash``)."""
    check_folds(foldset)
    return atomic_write_json(path, foldset.to_dict())


def load_folds(path: str | Path) -> FoldSet:
    """Read a fold file; a bad format, an edited file (hash mismatch) or broken folds raise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FoldsError(path, "no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FoldsError(path, f"not a JSON fold file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FOLDS_FORMAT:
        raise FoldsError(path, f"not a fold file (format is not {FOLDS_FORMAT!r})")
    if data.get("version") != FOLDS_VERSION:
        raise FoldsError(path, f"fold file version {data.get('version')!r}, expected 1")
    stored = data.pop("content_hash", None)
    if stored != content_hash(data):
        raise FoldsError(path, "content hash mismatch: the file was edited or truncated")
    try:
        foldset = FoldSet(
            protocol=from_dict(ProtocolConfig, data["protocol"]),
            folds=[Fold(**f) for f in data["folds"]],
            subjects=list(data["subjects"]),
            records_hash=str(data["records_hash"]),
            messages=list(data["messages"]),
        )
    except (KeyError, TypeError, ConfigError) as exc:
        raise FoldsError(path, f"malformed fold file: {exc}") from None
    check_folds(foldset, path)
    return foldset

"""Subject-independent evaluation protocols: which records take part, and their folds.

``make_folds(records, protocol)`` applies the protocol's sample filter, chooses subjects
(seeded), deals them into folds and draws each fold's validation subjects from its training
side only. ``select_records(records, foldset, fold, part)`` gives the records of one part.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from affectvlm.config import ConfigError, from_dict, merge, parse_override
from affectvlm.data.config import PRESETS, ProtocolConfig
from affectvlm.data.folds import (
    PARTS,
    Fold,
    FoldsError,
    FoldSet,
    assign_folds,
    draw_validation,
    stream_rng,
)
from affectvlm.io.layouts import SampleRecord, read_manifest

Side = Literal["train", "test"]
STREAM_SUBJECTS, STREAM_FOLDS, STREAM_VAL = 1, 2, 3


def protocol_config(
    name: str, overrides: Iterable[str] = (), seed: int | None = None
) -> ProtocolConfig:
    """A preset by name with ``protocol.key=value`` (or ``key=value``) overrides and a seed."""
    if name not in PRESETS:
        raise ConfigError(f"unknown protocol {name!r} (known: {', '.join(PRESETS)})")
    data: dict = {"name": name, **PRESETS[name]}
    for text in overrides:
        update = parse_override(text)
        if set(update) == {"protocol"} and isinstance(update["protocol"], dict):
            update = update["protocol"]
        data = merge(data, update)
    if seed is not None:
        data["seed"] = seed
    return from_dict(ProtocolConfig, data, prefix="protocol")


def takes_part(record: SampleRecord, protocol: ProtocolConfig, side: Side = "train") -> bool:
    """The protocol's sample filter. A filter on intensity or task binds only records that
    carry that field (so a BP4D task filter leaves BU-4DFE sequences alone)."""
    datasets = protocol.test_datasets if side == "test" else protocol.datasets
    return (
        (not datasets or record.dataset in datasets)
        and record.emotion in protocol.classes
        and (
            not protocol.intensities
            or record.intensity is None
            or record.intensity in protocol.intensities
        )
        and (not protocol.tasks or not record.task or record.task in protocol.tasks)
    )


def _eligible(
    records: Sequence[SampleRecord], protocol: ProtocolConfig, side: Side
) -> tuple[list[SampleRecord], list[str], list[str]]:
    """Records taking part, eligible subject keys, and messages about excluded subjects."""
    kept = [r for r in records if takes_part(r, protocol, side)]
    classes: dict[str, set[str]] = {}
    for r in kept:
        classes.setdefault(r.subject_key, set()).add(r.emotion)
    subjects = sorted(classes)
    messages = []
    if protocol.require_all_classes:
        full = [s for s in subjects if classes[s] >= set(protocol.classes)]
        if len(full) < len(subjects):
            messages.append(
                f"{len(subjects) - len(full)} {side} subject(s) lack some of the "
                f"{len(protocol.classes)} classes and are left out"
            )
        subjects = full
        keep = set(full)
        kept = [r for r in kept if r.subject_key in keep]
    return kept, subjects, messages


def _choose(subjects: list[str], protocol: ProtocolConfig, messages: list[str]) -> list[str]:
    wanted = protocol.subjects
    if wanted and len(subjects) < wanted:
        messages.append(
            f"protocol {protocol.name!r} names {wanted} subjects but only {len(subjects)} "
            f"are eligible: using all {len(subjects)}"
        )
    if not wanted or len(subjects) <= wanted:
        return subjects
    rng = stream_rng(protocol.seed, STREAM_SUBJECTS)
    return sorted(str(s) for s in rng.choice(subjects, size=wanted, replace=False))


def _sexes(records: Iterable[SampleRecord]) -> dict[str, str]:
    sexes: dict[str, str] = {}
    for r in records:
        if r.sex and r.subject_key not in sexes:
            sexes[r.subject_key] = r.sex
    return sexes


def records_hash(records: Iterable[SampleRecord]) -> str:
    """Fingerprint of the records taking part (path, dataset, subject, emotion)."""
    lines = sorted(f"{r.dataset}|{r.path}|{r.subject}|{r.emotion}" for r in records)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def make_folds(records: Sequence[SampleRecord], protocol: ProtocolConfig) -> FoldSet:
    """Split the protocol's subjects into folds (see the module docstring)."""
    train_records, pool, messages = _eligible(records, protocol, "train")
    chosen = _choose(pool, protocol, messages)
    strata = _sexes(train_records) if protocol.stratify_by_sex else None
    val_rng = stream_rng(protocol.seed, STREAM_VAL)
    chosen_set = set(chosen)
    taking_part = [r for r in train_records if r.subject_key in chosen_set]
    if protocol.cross_dataset:
        test_records, tested, test_messages = _eligible(records, protocol, "test")
        messages += test_messages
        if not chosen or not tested:
            side = "train" if not chosen else "test"
            raise FoldsError(None, f"no {side} subjects take part in protocol {protocol.name!r}")
        val = draw_validation(chosen, protocol.val_fraction, val_rng)
        train = sorted(set(chosen) - set(val))
        folds = [Fold(0, train, val, tested)]
        subjects = sorted(chosen + tested)
        taking_part += test_records
    else:
        if len(chosen) < 2:
            raise FoldsError(
                None, f"protocol {protocol.name!r} needs at least 2 subjects, found {len(chosen)}"
            )
        k = protocol.folds
        if len(chosen) < k:
            messages.append(f"{len(chosen)} subjects < {k} folds: using {len(chosen)} folds")
            k = len(chosen)
        tests = assign_folds(chosen, k, stream_rng(protocol.seed, STREAM_FOLDS), strata)
        folds = []
        for i, test in enumerate(tests):
            rest = sorted(set(chosen) - set(test))
            val = draw_validation(rest, protocol.val_fraction, val_rng)
            folds.append(Fold(i, sorted(set(rest) - set(val)), val, test))
        subjects = chosen
    return FoldSet(protocol, folds, subjects, records_hash(taking_part), messages)


def select_records(
    records: Sequence[SampleRecord], foldset: FoldSet, fold: int, part: str
) -> list[SampleRecord]:
    """Records of ``part`` (train/val/test) of fold ``fold``, through the protocol's filter."""
    if part not in PARTS:
        raise ValueError(f"part {part!r} is not one of {', '.join(PARTS)}")
    if not 0 <= fold < len(foldset.folds):
        raise ValueError(f"fold {fold} out of range (0..{len(foldset.folds) - 1})")
    subjects = set(getattr(foldset.folds[fold], part))
    side: Side = "test" if part == "test" and foldset.protocol.cross_dataset else "train"
    return [
        r for r in records if r.subject_key in subjects and takes_part(r, foldset.protocol, side)
    ]


def load_records(manifests: Sequence[str | Path]) -> list[SampleRecord]:
    """Records of one or more manifests (e.g. BU-4DFE and BP4D for ``bp4d-cross``)."""
    records: list[SampleRecord] = []
    seen: dict[tuple[str, str], str] = {}
    for manifest in manifests:
        for r in read_manifest(manifest):
            key = (r.dataset, r.path)
            if key in seen:
                raise FoldsError(manifest, f"{r.dataset} record {r.path} also in {seen[key]}")
            seen[key] = str(manifest)
            records.append(r)
    return records


def build_folds(
    manifests: Sequence[str | Path],
    protocol: str,
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
) -> tuple[FoldSet, list[SampleRecord]]:
    """What ``affectvlm folds`` does before saving: manifests + preset + overrides → folds."""
    config = protocol_config(protocol, overrides, seed)
    records = load_records(manifests)
    return make_folds(records, config), records


def format_folds(foldset: FoldSet, records: Sequence[SampleRecord] | None = None) -> str:
    """Text summary: protocol, subjects, per-fold subject (and sample) counts, messages."""
    p = foldset.protocol
    lines = [
        f"protocol {p.name} (seed {p.seed}): {len(foldset.subjects)} subjects, "
        f"{len(foldset.folds)} fold(s), classes {', '.join(p.classes)}"
    ]
    for fold in foldset.folds:
        counts = []
        for part in PARTS:
            n = len(getattr(fold, part))
            if records is not None:
                samples = Counter(
                    r.emotion for r in select_records(records, foldset, fold.index, part)
                )
                counts.append(f"{part} {n} subj / {sum(samples.values())} samples")
            else:
                counts.append(f"{part} {n}")
        lines.append(f"  fold {fold.index}: " + ", ".join(counts))
    lines += [f"  note: {m}" for m in foldset.messages]
    lines.append(f"  content hash {foldset.content_hash[:16]}…")
    return "\n".join(lines)

"""Study files: named sets of config variants × seeds × folds, read from TOML.

A study file (see ``affectvlm/experiments/studies/*.toml``) names a training preset, ``base``
overrides shared by every variant, the seeds, the synthetic data to make when the user
gives none, and a list of ``[[variants]]``. A variant is the preset + base + its own
``--set``-style overrides, run as one of four kinds: ``vlm`` (the AffectVLM trainer),
``ce-head`` (the same trainer with ``model.head = "linear"``: same towers and fusion,
cross-entropy against learned class vectors), ``pca-logreg`` (depth-image PCA + logistic
regression, scikit-learn) or ``zero-shot`` (one emotion held out of training). A variant
with a ``sweep`` table expands into one variant per value (product over several keys).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from affectvlm.config import ConfigError, from_dict, read_toml
from affectvlm.experiments.data import SyntheticSpec
from affectvlm.train.config import TrainConfig, load_train_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Kind = Literal["vlm", "ce-head", "pca-logreg", "zero-shot"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass
class BaselineSettings:
    """The depth-image PCA + logistic-regression reference (``kind = "pca-logreg"``): the
    grid its components and C are chosen from by subject-grouped inner CV on the training
    side of each fold; ``image_size`` 0 keeps the cached views' size."""

    image_size: int = 0
    components: list[int] = field(default_factory=lambda: [10, 20, 40])
    cs: list[float] = field(default_factory=lambda: [0.01, 0.1, 1.0])
    inner_folds: int = 4


@dataclass
class Variant:
    """One arm of a study. ``holdout`` names the emotion a ``zero-shot`` variant never trains on."""

    name: str
    label: str = ""
    kind: Kind = "vlm"
    overrides: list[str] = field(default_factory=list)
    holdout: str = ""
    sweep: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass
class Study:
    """A named experiment; ``reference`` is the variant the others are compared against."""

    name: str
    description: str = ""
    preset: str = "tiny"
    base: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    folds_only: list[int] = field(default_factory=list)
    reference: str = ""
    curves: bool = True
    convergence: bool = False
    data: SyntheticSpec = field(default_factory=SyntheticSpec)
    baseline: BaselineSettings = field(default_factory=BaselineSettings)
    variants: list[Variant] = field(default_factory=list)

    def __post_init__(self) -> None:
        expanded = expand_variants(self.variants)
        names = [v.name for v in expanded]
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise ValueError(f"variant names must be file-name safe, got {bad}")
        if len(set(names)) != len(names):
            raise ValueError(f"variant names repeat: {names}")
        if not expanded:
            raise ValueError("a study needs at least one variant")
        if self.reference and self.reference not in names:
            raise ValueError(f"reference {self.reference!r} is not one of the variants {names}")
        for v in expanded:
            if (v.kind == "zero-shot") != bool(v.holdout):
                raise ValueError(f"variant {v.name!r}: zero-shot variants (only) need a holdout")
        if not self.seeds:
            raise ValueError("seeds must not be empty")

    @property
    def reference_name(self) -> str:
        return self.reference or expand_variants(self.variants)[0].name


@dataclass(frozen=True)
class RunSpec:
    """One unit of work: a variant trained with one seed on one fold."""

    variant: str
    seed: int
    fold: int

    def run_dir(self, out: Path) -> Path:
        """The run_folds output folder of ``(variant, seed)``; the fold lives inside it."""
        return Path(out) / "runs" / self.variant / f"seed_{self.seed}"


def _value_text(value: Any) -> str:
    """A sweep value as it goes into a ``--set`` override (TOML literal)."""
    return json.dumps(value) if isinstance(value, (str, bool)) else str(value)


def _name_part(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", str(value).lower()).strip("_")


def expand_variants(variants: list[Variant]) -> list[Variant]:
    """Each variant with a ``sweep`` becomes one variant per value combination.

    ``sweep = {"model.fusion" = ["logits", "learned"]}`` on variant ``fusion`` gives
    ``fusion-logits`` and ``fusion-learned``, each with ``model.fusion=...`` appended.
    """
    out: list[Variant] = []
    for v in variants:
        if not v.sweep:
            out.append(v)
            continue
        keys = list(v.sweep)
        for values in itertools.product(*(v.sweep[k] for k in keys)):
            suffix = "-".join(_name_part(x) for x in values)
            sets = [f"{k}={_value_text(x)}" for k, x in zip(keys, values, strict=True)]
            label_bits = ", ".join(
                f"{k.split('.')[-1]}={x}" for k, x in zip(keys, values, strict=True)
            )
            out.append(
                replace(
                    v,
                    name=f"{v.name}-{suffix}",
                    label=f"{v.title} ({label_bits})",
                    overrides=[*v.overrides, *sets],
                    sweep={},
                )
            )
    return out


def expand_runs(study: Study, seeds: list[int], folds: list[int]) -> list[RunSpec]:
    """Every ``(variant, seed, fold)`` unit in a stable order (variant-major)."""
    return [
        RunSpec(v.name, s, k) for v in expand_variants(study.variants) for s in seeds for k in folds
    ]


def variant_overrides(study: Study, variant: Variant, seed: int) -> list[str]:
    """The ``--set`` overrides that make a variant's config for one seed."""
    kind = ['model.head="linear"'] if variant.kind == "ce-head" else []
    return [*study.base, *kind, *variant.overrides, f"seed={seed}", "progress=false"]


def seen_classes(classes: Sequence[str], holdout: str) -> list[str]:
    """The protocol's classes without ``holdout`` (which must be one of them)."""
    if holdout not in classes:
        raise ValueError(f"held-out emotion {holdout!r} is not a protocol class {list(classes)}")
    return [c for c in classes if c != holdout]


def variant_config(
    study: Study, variant: Variant, seed: int, classes: Sequence[str]
) -> TrainConfig:
    """The resolved training config of one variant and seed (seen classes for zero-shot)."""
    overrides = variant_overrides(study, variant, seed)
    if variant.kind == "zero-shot":
        overrides.append(f"classes={json.dumps(seen_classes(classes, variant.holdout))}")
    return load_train_config(study.preset, (), overrides)


def study_names() -> list[str]:
    """Names of the studies shipped in ``affectvlm/experiments/studies``."""
    folder = resources.files("affectvlm.experiments") / "studies"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def study_source(name: str) -> tuple[str, dict[str, Any]]:
    """``(where, table)`` of a built-in study name or a TOML path."""
    if name.endswith(".toml") or "/" in name:
        return str(Path(name).resolve()), read_toml(name)
    resource = resources.files("affectvlm.experiments") / "studies" / f"{name}.toml"
    if not resource.is_file():
        raise ConfigError(f"unknown study {name!r} (built in: {', '.join(study_names())})")
    return f"built-in study {name!r}", tomllib.loads(resource.read_text(encoding="utf-8"))


def load_study(name: str) -> Study:
    """A :class:`Study` from a built-in name or a TOML file; faults name the file and key."""
    where, table = study_source(name)
    try:
        return from_dict(Study, table)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def find_variant(study: Study, name: str) -> Variant:
    for v in expand_variants(study.variants):
        if v.name == name:
            return v
    raise KeyError(name)

"""The data a study runs on: synthetic sets made on the spot, or the user's indexed datasets.

:func:`prepare_synthetic` is the demo's chain (synthesise → index → folds) for one or more
synthetic datasets; :func:`ensure_rendered` renders what a config needs into one render
cache (resumable: cached samples are skipped), so every variant can change ``[render]``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from affectvlm.config import to_dict
from affectvlm.data import build_folds, load_folds, load_records, save_folds, takes_part
from affectvlm.errors import PathError
from affectvlm.fileio import atomic_write_json
from affectvlm.io.index import index_dataset, manifest_root, write_index
from affectvlm.io.layouts import SampleRecord
from affectvlm.render.cache import RenderCache, render_dataset
from affectvlm.synth import SynthConfig, generate_dataset


class ExperimentError(PathError, RuntimeError):
    """A study that cannot run; names the file or folder and the fault."""


@dataclass
class StudyData:
    """Manifests (each with its dataset root), the fold file and the render-cache folder.

    ``extra_tests`` name further manifests (same roots, same cache) whose records of each
    fold's test subjects are also scored, e.g. another synthetic face family."""

    manifests: list[Path]
    roots: list[Path]
    folds: Path
    cache_dir: Path
    notes: list[str] = field(default_factory=list)
    extra_tests: dict[str, list[Path]] = field(default_factory=dict)
    spec: SyntheticSpec | None = None  # how it was made, when synthetic

    def records(self) -> list[SampleRecord]:
        return load_records(self.manifests)

    def extra_records(self) -> dict[str, list[SampleRecord]]:
        return {name: load_records(paths) for name, paths in self.extra_tests.items()}


@dataclass
class SyntheticSpec:
    """What :func:`prepare_synthetic` makes: datasets, the face ``family`` trained on, other
    ``test_families`` tested on (same subject plan), subjects, protocol and its overrides."""

    datasets: list[str] = field(default_factory=lambda: ["bu3dfe"])
    family: str = "base"
    test_families: list[str] = field(default_factory=list)
    subjects: int = 20
    seed: int = 0
    resolution: int = 96
    frames: int = 12
    protocol: str = "bu3dfe"
    protocol_set: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line naming the data, e.g. for a report."""
        tested = f"; also tested on family {', '.join(self.test_families)}" * bool(
            self.test_families
        )
        return (
            f"synthetic {' + '.join(self.datasets)} (`affectvlm synth`), face family "
            f"{self.family}{tested}; {self.subjects} subjects a dataset, seed {self.seed}, "
            f"mesh resolution {self.resolution}, protocol {self.protocol} "
            f"{' '.join(self.protocol_set)}".rstrip()
        )


def prepare_synthetic(
    out: str | Path, spec: SyntheticSpec | None = None, *, progress: bool = False
) -> StudyData:
    """Synthesise, index and fold the datasets of ``spec`` under ``out`` (each stage resumable).

    Layout: ``out/<dataset>/<family>/`` scans (one dataset root for all families, record
    paths start with the family, so one render cache holds them all),
    ``out/<dataset>.csv`` (the training family) and ``out/<dataset>-<family>.csv`` (test
    families) manifests, ``out/folds.json`` (from the training family) and ``out/cache/``.
    """
    spec = spec or SyntheticSpec()
    out = Path(out)
    _check_spec(out, spec)
    manifests, roots, notes = [], [], []
    extra: dict[str, list[Path]] = {f: [] for f in spec.test_families}
    for dataset in spec.datasets:
        root = out / dataset
        for family in [spec.family, *spec.test_families]:
            name = dataset if family == spec.family else f"{dataset}-{family}"
            manifest = _synthesise(root, dataset, family, out / f"{name}.csv", spec, progress)
            (manifests if family == spec.family else extra[family]).append(manifest)
        roots.append(root)
    folds = out / "folds.json"
    if not folds.is_file():
        foldset, _ = build_folds(
            manifests, spec.protocol, seed=spec.seed, overrides=spec.protocol_set
        )
        save_folds(folds, foldset)
        notes += foldset.messages
    return StudyData(manifests, roots, folds, out / "cache", notes, extra, spec)


def _synthesise(
    root: Path, dataset: str, family: str, manifest: Path, spec: SyntheticSpec, progress: bool
) -> Path:
    """One family of one dataset under ``root/<family>``, indexed with family-prefixed paths."""
    synth = SynthConfig(
        dataset=dataset,  # type: ignore[arg-type]
        family=family,  # type: ignore[arg-type]
        subjects=spec.subjects,
        seed=spec.seed,
        resolution=spec.resolution,
        frames=spec.frames,
    )
    report = generate_dataset(root / family, synth, progress=progress)
    if not report.ok:
        raise ExperimentError(root / family, f"synthesis failed: {report.summary()}")
    if not manifest.is_file():
        result = index_dataset(root / family, dataset, validate=True, progress=progress)
        records = [replace(r, path=f"{family}/{r.path}") for r in result.records]
        write_index(manifest, replace(result, root=root, records=records))
    return manifest


def _check_spec(out: Path, spec: SyntheticSpec) -> None:
    """Record the spec in ``out/synthetic.json``; a folder made with another spec is an error
    (its files would silently be reused otherwise)."""
    path = out / "synthetic.json"
    wanted = to_dict(spec)
    if path.is_file():
        found = json.loads(path.read_text(encoding="utf-8"))
        if found != wanted:
            raise ExperimentError(
                path,
                f"data folder was made with {found}, the study asks for {wanted}; "
                "use another --out",
            )
        return
    atomic_write_json(path, wanted)


def user_data(
    manifests: Sequence[str | Path], roots: Sequence[str | Path], folds: str | Path, out: Path
) -> StudyData:
    """The user's datasets: manifests (a root not given is read from the manifest's report),
    or only roots, indexed here into ``out/index/<dataset>.csv`` (datasets in the fold
    file's protocol order: train datasets, then test datasets)."""
    if not Path(folds).is_file():
        raise ExperimentError(folds, "fold file not found")
    if not manifests:
        manifests = index_roots(roots, folds, Path(out) / "index")
    if roots and len(roots) != len(manifests):
        raise ExperimentError(None, "give one --data root per --manifest (or none)")
    found = []
    for i, manifest in enumerate(manifests):
        if not Path(manifest).is_file():
            raise ExperimentError(manifest, "manifest not found")
        root = Path(roots[i]) if roots else manifest_root(manifest)
        if root is None or not root.is_dir():
            raise ExperimentError(manifest, f"dataset root {root} is not a folder (pass --data)")
        found.append(root)
    return StudyData([Path(m) for m in manifests], found, Path(folds), out / "cache")


def index_roots(roots: Sequence[str | Path], folds: str | Path, out: Path) -> list[Path]:
    """Index each dataset root (validated) into ``out/<dataset>.csv``, unless done before."""
    protocol = load_folds(folds).protocol
    names = [*protocol.datasets, *protocol.test_datasets]
    if not roots or len(names) != len(roots):
        raise ExperimentError(
            folds,
            f"protocol {protocol.name!r} uses datasets {names or '(any)'}: give one --data "
            "root for each, in that order, or pass --manifest",
        )
    manifests = []
    for name, root in zip(names, roots, strict=True):
        if not Path(root).is_dir():
            raise ExperimentError(root, "dataset root is not a folder")
        manifest = out / f"{name}.csv"
        if not manifest.is_file():
            write_index(manifest, index_dataset(root, name, validate=True, progress=False))
        manifests.append(manifest)
    return manifests


def ensure_rendered(data: StudyData, render: Any, workers: int = 1) -> Any:
    """Render every sample the protocol uses with ``render`` settings; return the cache."""
    foldset = load_folds(data.folds)
    protocol = foldset.protocol
    tests = list(zip(*data.extra_tests.values(), strict=True)) if data.extra_tests else []
    for i, (manifest, root) in enumerate(zip(data.manifests, data.roots, strict=True)):
        used = [
            r
            for r in load_records([manifest, *(tests[i] if tests else ())])
            if takes_part(r, protocol, "train") or takes_part(r, protocol, "test")
        ]
        report = render_dataset(root, used, data.cache_dir, render, workers=workers, progress=False)
        if report.failed:
            first = next(iter(report.failed.items()))
            raise ExperimentError(
                root,
                f"{len(report.failed)} sample(s) failed to render, e.g. {first[0]}: {first[1]}",
            )
    return RenderCache(data.cache_dir, render)

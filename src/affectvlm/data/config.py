"""Configuration of a subject-independent evaluation protocol (the ``[protocol]`` section)."""

from __future__ import annotations

from dataclasses import dataclass, field

from affectvlm import BASIC_EMOTIONS, EMOTIONS
from affectvlm.io.layouts.record import DATASETS


@dataclass
class ProtocolConfig:
    """Which records take part and how their subjects are split into folds.

    A record takes part when its dataset is in ``datasets`` (empty: any), its emotion in
    ``classes``, its intensity in ``intensities`` (empty: any) and its task in ``tasks``
    (empty: any). ``subjects`` > 0 draws that many eligible subjects (seeded); 0 uses all.
    With ``test_datasets`` set the protocol is cross-dataset: train/val subjects come from
    ``datasets`` and every subject of ``test_datasets`` is tested (``folds`` must be 1).
    ``val_fraction`` of each fold's training subjects become its validation subjects.
    """

    name: str = "kfold"
    datasets: list[str] = field(default_factory=list)
    test_datasets: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=lambda: list(EMOTIONS))
    intensities: list[int] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    require_all_classes: bool = False
    subjects: int = 0
    folds: int = 10
    val_fraction: float = 0.1
    stratify_by_sex: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in EMOTIONS]
        if unknown or not self.classes:
            raise ValueError(f"classes {unknown or '[]'}: choose from {', '.join(EMOTIONS)}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes repeat a name: {self.classes}")
        for key in ("datasets", "test_datasets"):
            bad = [d for d in getattr(self, key) if d not in DATASETS]
            if bad:
                raise ValueError(f"{key} {bad}: choose from {', '.join(DATASETS)}")
        if self.test_datasets and not self.datasets:
            raise ValueError("a cross-dataset protocol (test_datasets) needs its train datasets")
        if set(self.datasets) & set(self.test_datasets):
            raise ValueError("datasets and test_datasets overlap")
        if self.test_datasets and self.folds != 1:
            raise ValueError(f"a cross-dataset protocol has 1 fold, got folds={self.folds}")
        if not self.test_datasets and self.folds < 2:
            raise ValueError(f"folds must be >= 2 for cross-validation, got {self.folds}")
        if self.subjects < 0:
            raise ValueError(f"subjects must be >= 0 (0 = all), got {self.subjects}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")

    @property
    def cross_dataset(self) -> bool:
        return bool(self.test_datasets)


SIX = list(BASIC_EMOTIONS)

PRESETS: dict[str, dict] = {
    "bu3dfe": dict(datasets=["bu3dfe"], classes=SIX, intensities=[3, 4], subjects=60, folds=10),
    "bosphorus": dict(
        datasets=["bosphorus"], classes=SIX, require_all_classes=True, subjects=60, folds=10
    ),
    "bu4dfe": dict(datasets=["bu4dfe"], classes=SIX, subjects=60, folds=10),
    "bp4d-cross": dict(
        datasets=["bu4dfe"],
        test_datasets=["bp4d"],
        classes=SIX,
        tasks=["T1", "T2", "T3", "T5", "T7", "T8"],
        folds=1,
    ),
    "kfold": dict(),
}
"""Protocol presets by name (FORMATS §5); ``kfold`` is generic k-fold over any manifest."""

"""BU-3DFE layout: ``<root>/F0001/F0001_AN01WH_F3D.wrl`` (FORMATS §1.1–1.2).

The sample file is ``_F3D.wrl``; ``_F3D.bmp``, ``_F3D.bnd``, ``_RAW.wrl``, ``_RAW.pse`` and
``_F2D.bmp`` of the same scan are companions. ``NE`` takes intensity ``00`` only, the six
expressions ``01``–``04``; unknown codes are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from affectvlm.io.layouts.base import (
    GrammarError,
    WalkResult,
    group_scan_files,
    rel,
    sex_from_id,
    subject_folders,
)
from affectvlm.io.layouts.record import SampleRecord

DATASET = "bu3dfe"
SUBJECT = re.compile(r"[FM][0-9]{4}")
EXPRESSIONS: dict[str, str] = {
    "AN": "anger",
    "DI": "disgust",
    "FE": "fear",
    "HA": "happiness",
    "NE": "neutral",
    "SA": "sadness",
    "SU": "surprise",
}
ETHNICITY_CODES: tuple[str, ...] = ("WH", "BL", "AE", "AM", "LA", "IN")
KIND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "F3D": (".wrl", ".bmp", ".bnd"),
    "RAW": (".wrl", ".pse"),
    "F2D": (".bmp",),
}
SAMPLE_FILE = "F3D.wrl"
EXPECTED_COMPANIONS = {"F3D.bmp": "texture", "F3D.bnd": "landmarks"}


@dataclass(frozen=True)
class BU3DFEName:
    """The fields of one BU-3DFE file name."""

    subject: str
    expression: str  # e.g. "AN01"
    emotion: str
    intensity: int
    ethnicity: str
    kind: str  # "F3D.wrl", "RAW.pse", ...

    @property
    def scan_id(self) -> str:
        return f"{self.subject}_{self.expression}{self.ethnicity}"


def parse_name(name: str) -> BU3DFEName:
    """Parse ``<S><NNNN>_<EE><II><RR>_<KIND>.<ext>``; raises GrammarError with the fault."""
    stem, dot, suffix = name.rpartition(".")
    parts = stem.split("_") if dot else []
    if len(parts) != 3:
        raise GrammarError(f"{name!r} is not <subject>_<EEIIRR>_<KIND>.<ext>")
    subject, code, kind = parts
    if not SUBJECT.fullmatch(subject):
        raise GrammarError(f"subject {subject!r} is not F/M + 4 digits")
    if len(code) != 6:
        raise GrammarError(f"expression code {code!r} is not <EE><II><RR> (6 characters)")
    ee, ii, rr = code[:2], code[2:4], code[4:]
    if ee not in EXPRESSIONS:
        raise GrammarError(f"unknown expression code {ee!r} (known: {', '.join(EXPRESSIONS)})")
    if ee == "NE" and ii != "00":
        raise GrammarError(f"neutral NE takes intensity 00, got {ii!r}")
    if ee != "NE" and ii not in ("01", "02", "03", "04"):
        raise GrammarError(f"intensity {ii!r} of {ee} is not 01-04 (00 goes with NE only)")
    if rr not in ETHNICITY_CODES:
        raise GrammarError(f"unknown ethnicity code {rr!r} (known: {', '.join(ETHNICITY_CODES)})")
    if kind not in KIND_SUFFIXES:
        raise GrammarError(f"unknown file kind {kind!r} (known: {', '.join(KIND_SUFFIXES)})")
    if f".{suffix}" not in KIND_SUFFIXES[kind]:
        allowed = ", ".join(KIND_SUFFIXES[kind])
        raise GrammarError(f"suffix .{suffix} does not go with {kind} (allowed: {allowed})")
    return BU3DFEName(subject, ee + ii, EXPRESSIONS[ee], int(ii), rr, f"{kind}.{suffix}")


def walk(root: Path) -> WalkResult:
    """Index a BU-3DFE root: one record per ``_F3D.wrl``."""
    out = WalkResult()
    for folder in subject_folders(root, out, SUBJECT, "F/M + 4 digits, e.g. F0001"):
        scans = group_scan_files(root, folder, out, parse_name, lambda p: p.kind)
        _collect(root, folder.name, scans, out)
    return out


def _collect(
    root: Path, subject: str, scans: dict[str, dict[str, tuple[Path, BU3DFEName]]], out: WalkResult
) -> None:
    ethnicities = set()
    for scan_id, files in scans.items():
        if SAMPLE_FILE not in files:
            for entry, _ in files.values():
                out.skip(rel(entry, root), f"no {SAMPLE_FILE} sample for scan {scan_id}")
            continue
        entry, name = files[SAMPLE_FILE]
        missing = [f"{k} ({what})" for k, what in EXPECTED_COMPANIONS.items() if k not in files]
        notes = [f"missing {', '.join(missing)}"] if missing else []
        for kind in files:
            if kind != SAMPLE_FILE:
                out.companions[kind] += 1
        ethnicities.add(name.ethnicity)
        out.records.append(
            SampleRecord(
                path=rel(entry, root),
                dataset=DATASET,
                subject=subject,
                sex=sex_from_id(subject),
                ethnicity=name.ethnicity,
                emotion=name.emotion,
                intensity=name.intensity,
                expression=name.expression,
                category="neutral" if name.emotion == "neutral" else "emotion",
                notes=notes,
            )
        )
    if len(ethnicities) > 1:
        codes = ", ".join(sorted(ethnicities))
        out.warnings.append(f"subject {subject} has several ethnicity codes: {codes}")

"""Bosphorus layout: ``<root>/bs000/bs000_E_HAPPY_0.bnt`` (+ .png, .lm2, .lm3) (FORMATS §3.1).

A stem splits on ``_`` into exactly four parts: subject, class, code, repetition. The
``.bnt`` is the sample file; a scan missing any of its four files is noted on its record,
and companions whose ``.bnt`` is absent are skipped. Codes are case-sensitive.
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
    subject_folders,
)
from affectvlm.io.layouts.record import SampleRecord

DATASET = "bosphorus"
SUBJECT = re.compile(r"bs[0-9]{3}")
EMOTION_CODES: dict[str, str] = {
    "ANGER": "anger",
    "DISGUST": "disgust",
    "FEAR": "fear",
    "HAPPY": "happiness",
    "SADNESS": "sadness",
    "SURPRISE": "surprise",
}
CLASS_CATEGORIES: dict[str, str] = {
    "N": "neutral",
    "E": "emotion",
    "LFAU": "au",
    "UFAU": "au",
    "CAU": "au",
    "YR": "pose",
    "PR": "pose",
    "CR": "pose",
    "O": "occlusion",
    "IGN": "ignored",
}
SUFFIXES: tuple[str, ...] = (".bnt", ".png", ".lm2", ".lm3")
SAMPLE_SUFFIX = ".bnt"
CODE = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class BosphorusName:
    subject: str
    cls: str
    code: str
    repetition: int
    suffix: str

    @property
    def scan_id(self) -> str:
        return f"{self.subject}_{self.cls}_{self.code}_{self.repetition}"

    @property
    def expression(self) -> str:
        return f"{self.cls}_{self.code}"


def parse_name(name: str) -> BosphorusName:
    """Parse ``bsNNN_<CLASS>_<CODE>_<K>.<ext>``; raises GrammarError with the fault."""
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}"
    if not dot or suffix not in SUFFIXES:
        raise GrammarError(f"{name!r} does not end in one of {', '.join(SUFFIXES)}")
    parts = stem.split("_")
    if len(parts) != 4:
        raise GrammarError(f"stem {stem!r} has {len(parts)} '_'-parts, not 4 (subj_CLASS_CODE_K)")
    subject, cls, code, rep = parts
    if not SUBJECT.fullmatch(subject):
        raise GrammarError(f"subject {subject!r} is not bs + 3 digits")
    if cls not in CLASS_CATEGORIES:
        raise GrammarError(f"unknown class {cls!r} (known: {', '.join(CLASS_CATEGORIES)})")
    if cls == "N" and code != "N":
        raise GrammarError(f"neutral scans are N_N_<K>, got code {code!r}")
    if cls == "E" and code not in EMOTION_CODES:
        raise GrammarError(f"unknown emotion code {code!r} (known: {', '.join(EMOTION_CODES)})")
    if not CODE.fullmatch(code):
        raise GrammarError(f"code {code!r} is not letters and digits")
    if not rep.isascii() or not rep.isdigit():
        raise GrammarError(f"repetition {rep!r} is not a number")
    return BosphorusName(subject, cls, code, int(rep), suffix)


def emotion_of(name: BosphorusName) -> str:
    if name.cls == "N":
        return "neutral"
    return EMOTION_CODES.get(name.code, "") if name.cls == "E" else ""


def walk(root: Path) -> WalkResult:
    """Index a Bosphorus root: one record per ``.bnt`` scan, every class kept."""
    out = WalkResult()
    for folder in subject_folders(root, out, SUBJECT, "bs + 3 digits, e.g. bs000"):
        scans = group_scan_files(root, folder, out, parse_name, lambda p: p.suffix)
        for scan_id, files in scans.items():
            _collect(root, scan_id, files, out)
    return out


def _collect(
    root: Path, scan_id: str, files: dict[str, tuple[Path, BosphorusName]], out: WalkResult
) -> None:
    if SAMPLE_SUFFIX not in files:
        for entry, _ in files.values():
            out.skip(rel(entry, root), f"no {SAMPLE_SUFFIX} for scan {scan_id}")
        return
    entry, name = files[SAMPLE_SUFFIX]
    missing = [s for s in SUFFIXES if s not in files]
    for suffix in files:
        if suffix != SAMPLE_SUFFIX:
            out.companions[suffix] += 1
    emotion = emotion_of(name)
    out.records.append(
        SampleRecord(
            path=rel(entry, root),
            dataset=DATASET,
            subject=name.subject,
            emotion=emotion,
            expression=name.expression,
            category=CLASS_CATEGORIES[name.cls],
            repetition=name.repetition,
            notes=[f"incomplete scan: missing {', '.join(missing)}"] if missing else [],
        )
    )

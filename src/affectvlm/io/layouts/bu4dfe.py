"""BU-4DFE layout: ``<root>/F001/Angry/000.wrl`` (+ ``000.jpg``) (FORMATS §2.2).

Only ``^[FM][0-9]{3}$`` subject folders and the six exact-case expression folders count; the
distribution's viewer folder is ignored. One record per sequence folder, with its frames.
"""

from __future__ import annotations

import re
from pathlib import Path

from affectvlm.io.layouts.base import GrammarError, WalkResult, sex_from_id, subject_folders
from affectvlm.io.layouts.frames import FrameFolder, FrameGrammar, walk_sequence_tree
from affectvlm.io.layouts.record import SampleRecord

DATASET = "bu4dfe"
SUBJECT = re.compile(r"[FM][0-9]{3}")
EXPRESSIONS: dict[str, str] = {
    "Angry": "anger",
    "Disgust": "disgust",
    "Fear": "fear",
    "Happy": "happiness",
    "Sad": "sadness",
    "Surprise": "surprise",
}
VIEWER_FOLDER = "BU_WrlViewer_V2"
FRAMES = FrameGrammar(mesh_suffix=".wrl", number=re.compile(r"[0-9]{3}"), number_text="NNN")


def parse_expression(name: str) -> str:
    """The canonical emotion of an expression folder; raises GrammarError otherwise."""
    if name not in EXPRESSIONS:
        known = ", ".join(EXPRESSIONS)
        raise GrammarError(f"expression folder {name!r} is not one of {known} (exact case)")
    return EXPRESSIONS[name]


def walk(root: Path) -> WalkResult:
    """Index a BU-4DFE root: one record per ``<subject>/<Expression>/`` sequence."""
    out = WalkResult()
    subjects = subject_folders(
        root, out, SUBJECT, "F/M + 3 digits, e.g. F001", {VIEWER_FOLDER: "BU-4DFE viewer"}
    )

    def make_record(path: str, subject: str, emotion: object, _: FrameFolder) -> SampleRecord:
        return SampleRecord(
            path=path,
            dataset=DATASET,
            subject=subject,
            sex=sex_from_id(subject),
            emotion=str(emotion),
            expression=path.rsplit("/", 1)[-1],
            category="emotion",
        )

    walk_sequence_tree(
        root, out, subjects, "expression folders", parse_expression, FRAMES, make_record
    )
    return out

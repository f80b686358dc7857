"""BP4D-Spontaneous layout: ``<root>/F001/T1/<frame>.obj`` (+ .mtl, .jpg) (FORMATS §4).

Each ``<subject>/<task>/`` folder is one 4D sequence. T1, T2, T3, T5, T7, T8 map to
happiness, sadness, surprise, fear, anger, disgust; T4 and T6 are kept with their task and
no emotion. Frame numbers are matched by integer value (zero-padding varies). The 3D layout
is unverified [FORMATS §4, U]: the grammar fails loudly on anything else.
"""

from __future__ import annotations

import re
from pathlib import Path

from affectvlm.io.layouts.base import GrammarError, WalkResult, sex_from_id, subject_folders
from affectvlm.io.layouts.frames import FrameFolder, FrameGrammar, walk_sequence_tree
from affectvlm.io.layouts.record import SampleRecord

DATASET = "bp4d"
SUBJECT = re.compile(r"[FM][0-9]{3}")
TASKS: dict[str, str] = {
    "T1": "happiness",
    "T2": "sadness",
    "T3": "surprise",
    "T4": "",
    "T5": "fear",
    "T6": "",
    "T7": "anger",
    "T8": "disgust",
}
AUX_FOLDERS = {
    "AUCoding": "BP4D AU labels",
    "2DFeatures": "BP4D 2D landmarks",
    "3DFeatures": "BP4D 3D landmarks",
}
FRAMES = FrameGrammar(
    mesh_suffix=".obj",
    number=re.compile(r"[0-9]+"),
    number_text="<number>",
    other_suffixes=(".mtl",),
)


def parse_task(name: str) -> str:
    """The task folder name itself (T1..T8); raises GrammarError otherwise."""
    if name not in TASKS:
        raise GrammarError(f"task folder {name!r} is not one of {', '.join(TASKS)}")
    return name


def walk(root: Path) -> WalkResult:
    """Index a BP4D root: one record per ``<subject>/<task>/`` sequence, T4/T6 included."""
    out = WalkResult()
    subjects = subject_folders(root, out, SUBJECT, "F/M + 3 digits, e.g. F001", AUX_FOLDERS)

    def make_record(path: str, subject: str, task: object, _: FrameFolder) -> SampleRecord:
        emotion = TASKS[str(task)]
        return SampleRecord(
            path=path,
            dataset=DATASET,
            subject=subject,
            sex=sex_from_id(subject),
            emotion=emotion,
            expression=str(task),
            task=str(task),
            category="emotion" if emotion else "task-other",
        )

    walk_sequence_tree(root, out, subjects, "task folders T1..T8", parse_task, FRAMES, make_record)
    return out

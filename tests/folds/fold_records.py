"""Synthetic manifests: records built in memory, no files needed."""

from __future__ import annotations

from affectvlm import BASIC_EMOTIONS
from affectvlm.io.layouts import SampleRecord


def bu3dfe_records(n_subjects: int) -> list[SampleRecord]:
    """A BU-3DFE-like manifest: neutral + 6 emotions × intensities 1–4 per subject."""
    records = []
    for i in range(n_subjects):
        subject = f"{'F' if i % 3 else 'M'}{i + 1:04d}"
        records.append(
            SampleRecord(f"{subject}/n.wrl", "bu3dfe", subject, "neutral", "NE00", "neutral",
                         sex=subject[0], intensity=0)
        )  # fmt: skip
        for emotion in BASIC_EMOTIONS:
            for level in range(1, 5):
                records.append(
                    SampleRecord(f"{subject}/{emotion}{level}.wrl", "bu3dfe", subject, emotion,
                                 f"{emotion[:2].upper()}0{level}", "emotion", sex=subject[0],
                                 intensity=level)
                )  # fmt: skip
    return records


def sequence_records(dataset: str, n_subjects: int, tasks: bool = False) -> list[SampleRecord]:
    """BU-4DFE-like (or BP4D-like with ``tasks``) sequence records, one per emotion."""
    task_of = {"happiness": "T1", "sadness": "T2", "surprise": "T3", "fear": "T5",
               "anger": "T7", "disgust": "T8"}  # fmt: skip
    records = []
    for i in range(n_subjects):
        subject = f"{'F' if i % 2 else 'M'}{i + 1:03d}"
        for emotion in BASIC_EMOTIONS:
            task = task_of[emotion] if tasks else ""
            records.append(
                SampleRecord(f"{subject}/{task or emotion}", dataset, subject, emotion,
                             task or emotion, "emotion", sex=subject[0], task=task, frames=10,
                             first_frame=0, last_frame=9)
            )  # fmt: skip
        if tasks:
            records.append(
                SampleRecord(f"{subject}/T4", dataset, subject, "", "T4", "task-other",
                             sex=subject[0], task="T4", frames=10, first_frame=0, last_frame=9)
            )  # fmt: skip
    return records

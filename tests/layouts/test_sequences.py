"""BU-4DFE and BP4D: one record per sequence folder, frames counted, bad folders skipped."""

import pytest

from affectvlm.io.layouts import SampleRecord, bp4d, bu4dfe


def frames(folder: str, numbers, suffixes=(".wrl", ".jpg"), width=3) -> list[str]:
    return [f"{folder}/{n:0{width}d}{s}" for n in numbers for s in suffixes]


def test_bu4dfe_walk_gives_one_record_per_sequence_with_frame_count(tree):
    root = tree(
        frames("F001/Angry", range(3))
        + frames("M043/Surprise", range(5))
        + ["BU_WrlViewer_V2/viewer.exe", "subjects.csv"]
    )
    out = bu4dfe.walk(root)
    assert out.skipped == []
    assert out.records == [
        SampleRecord(
            path="F001/Angry",
            dataset="bu4dfe",
            subject="F001",
            sex="F",
            emotion="anger",
            expression="Angry",
            category="emotion",
            frames=3,
            first_frame=0,
            last_frame=2,
        ),
        SampleRecord(
            path="M043/Surprise",
            dataset="bu4dfe",
            subject="M043",
            sex="M",
            emotion="surprise",
            expression="Surprise",
            category="emotion",
            frames=5,
            first_frame=0,
            last_frame=4,
        ),
    ]
    assert ("BU_WrlViewer_V2/", "BU-4DFE viewer") in out.ignored
    assert out.companions[".jpg"] == 8


@pytest.mark.parametrize(
    ("paths", "skipped", "reason"),
    [
        (frames("F001/angry", [0]), "F001/angry/", "not one of Angry"),
        (frames("F001/Neutral", [0]), "F001/Neutral/", "not one of Angry"),
        (["F001/Happy/a.wrl"], "F001/Happy/", "'a.wrl' is not named NNN.wrl"),
        (["F001/Happy/0001.wrl"], "F001/Happy/", "'0001.wrl' is not named NNN.wrl"),
        (["F001/Happy/000.jpg"], "F001/Happy/", "no .wrl frames"),
        (["F001/Happy/"], "F001/Happy/", "no .wrl frames"),
        (frames("F0001/Happy", [0]), "F0001/", "not a subject id"),
        (["F001/readme.txt"], "F001/readme.txt", "file directly in a subject folder"),
    ],
)
def test_bu4dfe_walk_skips_bad_forms_with_the_reason(tree, paths, skipped, reason):
    out = bu4dfe.walk(tree(paths))
    assert out.records == []
    assert len(out.skipped) == 1
    assert out.skipped[0][0] == skipped
    assert reason in out.skipped[0][1]


def test_bu4dfe_walk_notes_gaps_and_missing_images_without_renumbering(tree):
    root = tree(
        frames("F002/Sad", [0, 1, 4, 5, 9], (".wrl",))
        + frames("F002/Sad", [0, 1, 4, 5, 11], (".jpg",))
        + ["F002/Sad/notes.txt"]
    )
    out = bu4dfe.walk(root)
    (record,) = out.records
    assert (record.frames, record.first_frame, record.last_frame) == (5, 0, 9)
    assert record.notes == [
        "frame gaps: 2-3, 6-8",
        "no .jpg for frames 9",
        ".jpg without a mesh for frames 11",
    ]
    assert out.skipped == [
        ("F002/Sad/notes.txt", "not a frame file (expected NNN.wrl and companions)")
    ]


def test_bp4d_walk_maps_tasks_to_emotions_and_keeps_t4_t6(tree):
    paths = []
    for task in bp4d.TASKS:
        paths += frames(f"F001/{task}", [0, 1], (".obj", ".mtl", ".jpg"), width=4)
    root = tree([*paths, "AUCoding/AU_OCC/F001_T1.csv", "2DFeatures/F001_T1.mat"])
    out = bp4d.walk(root)
    assert out.skipped == []
    got = {r.task: (r.emotion, r.category, r.expression, r.frames) for r in out.records}
    assert got == {
        "T1": ("happiness", "emotion", "T1", 2),
        "T2": ("sadness", "emotion", "T2", 2),
        "T3": ("surprise", "emotion", "T3", 2),
        "T4": ("", "task-other", "T4", 2),
        "T5": ("fear", "emotion", "T5", 2),
        "T6": ("", "task-other", "T6", 2),
        "T7": ("anger", "emotion", "T7", 2),
        "T8": ("disgust", "emotion", "T8", 2),
    }
    assert {p for p, _ in out.ignored} == {"AUCoding/", "2DFeatures/"}


def test_bp4d_walk_matches_frames_by_integer_value(tree):
    root = tree(["M001/T2/0.obj", "M001/T2/0001.obj", "M001/T2/00.jpg", "M001/T2/1.jpg"])
    (record,) = bp4d.walk(root).records
    assert (record.frames, record.first_frame, record.last_frame, record.notes) == (2, 0, 1, [])


@pytest.mark.parametrize(
    ("paths", "reason"),
    [
        (["F001/T9/0000.obj"], "'T9' is not one of T1"),
        (["F001/t1/0000.obj"], "'t1' is not one of T1"),
        (["F001/T1/0000.jpg"], "no .obj frames"),
        (["F001/T1/1.obj", "F001/T1/001.obj"], "have the same number"),
        (["F001/T1/frame1.obj"], "not named <number>.obj"),
    ],
)
def test_bp4d_walk_skips_bad_sequence_folders_with_the_reason(tree, paths, reason):
    out = bp4d.walk(tree(paths))
    assert out.records == []
    assert reason in out.skipped[0][1]

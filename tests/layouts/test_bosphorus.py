import pytest

from affectvlm.io.layouts import GrammarError, SampleRecord, bosphorus

FOUR = (".bnt", ".png", ".lm2", ".lm3")


def scan_files(stem: str, suffixes=FOUR) -> list[str]:
    return [f"{stem.split('_')[0]}/{stem}{s}" for s in suffixes]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bs000_N_N_0.bnt", ("bs000", "N", "N", 0, "neutral")),
        ("bs104_E_HAPPY_1.png", ("bs104", "E", "HAPPY", 1, "happiness")),
        ("bs001_E_ANGER_0.lm3", ("bs001", "E", "ANGER", 0, "anger")),
        ("bs001_LFAU_12LW_0.bnt", ("bs001", "LFAU", "12LW", 0, "")),
        ("bs000_CAU_A26A12lw_0.lm2", ("bs000", "CAU", "A26A12lw", 0, "")),
        ("bs002_YR_R90_0.bnt", ("bs002", "YR", "R90", 0, "")),
    ],
)
def test_parse_name_reads_subject_class_code_repetition(name, expected):
    parsed = bosphorus.parse_name(name)
    assert (parsed.subject, parsed.cls, parsed.code, parsed.repetition) == expected[:4]
    assert bosphorus.emotion_of(parsed) == expected[4]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bs000_E_HAPPY.bnt", "3 '_'-parts, not 4"),
        ("bs000_E_HAPPY_0_x.bnt", "5 '_'-parts"),
        ("bs000_E_happy_0.bnt", "unknown emotion code 'happy'"),
        ("bs000_E_JOY_0.bnt", "unknown emotion code 'JOY'"),
        ("bs000_X_N_0.bnt", "unknown class 'X'"),
        ("bs000_N_E_0.bnt", "neutral scans are N_N"),
        ("bs000_N_N_a.bnt", "repetition 'a'"),
        ("bs0000_N_N_0.bnt", "subject 'bs0000'"),
        ("BS000_N_N_0.bnt", "subject 'BS000'"),
        ("bs000_O_EYE-L_0.bnt", "letters and digits"),
        ("bs000_N_N_0.obj", "does not end in one of"),
        ("bs000_N_N_0", "does not end in one of"),
    ],
)
def test_parse_name_rejects_bad_forms_with_the_reason(name, reason):
    with pytest.raises(GrammarError, match=reason):
        bosphorus.parse_name(name)


def test_walk_keeps_every_class_with_category_and_bnt_as_the_sample(tree):
    root = tree(
        scan_files("bs000_N_N_0")
        + scan_files("bs000_E_SURPRISE_2")
        + scan_files("bs000_LFAU_9_0")
        + scan_files("bs000_YR_R90_0")
        + scan_files("bs000_O_GLASSES_0")
        + scan_files("bs000_IGN_X_0")
    )
    out = bosphorus.walk(root)
    assert out.skipped == []
    got = {r.expression: (r.category, r.emotion, r.repetition) for r in out.records}
    assert got == {
        "N_N": ("neutral", "neutral", 0),
        "E_SURPRISE": ("emotion", "surprise", 2),
        "LFAU_9": ("au", "", 0),
        "YR_R90": ("pose", "", 0),
        "O_GLASSES": ("occlusion", "", 0),
        "IGN_X": ("ignored", "", 0),
    }
    surprise = next(r for r in out.records if r.emotion == "surprise")
    assert surprise == SampleRecord(
        path="bs000/bs000_E_SURPRISE_2.bnt",
        dataset="bosphorus",
        subject="bs000",
        emotion="surprise",
        expression="E_SURPRISE",
        category="emotion",
        repetition=2,
    )
    assert dict(out.companions) == {".png": 6, ".lm2": 6, ".lm3": 6}


def test_walk_notes_incomplete_sets_and_skips_companions_without_bnt(tree):
    root = tree(
        scan_files("bs001_E_FEAR_0", (".bnt", ".png"))
        + scan_files("bs001_E_DISGUST_0", (".png", ".lm3"))
    )
    out = bosphorus.walk(root)
    assert [(r.path, r.notes) for r in out.records] == [
        ("bs001/bs001_E_FEAR_0.bnt", ["incomplete scan: missing .lm2, .lm3"])
    ]
    assert sorted(out.skipped) == [
        ("bs001/bs001_E_DISGUST_0.lm3", "no .bnt for scan bs001_E_DISGUST_0"),
        ("bs001/bs001_E_DISGUST_0.png", "no .bnt for scan bs001_E_DISGUST_0"),
    ]


def test_walk_skips_misplaced_and_misnamed_files(tree):
    root = tree(
        [
            "bs001/bs002_N_N_0.bnt",
            "bs001/bs001_E_JOY_0.bnt",
            "bs1/bs1_N_N_0.bnt",
        ]
    )
    out = bosphorus.walk(root)
    assert out.records == []
    reasons = dict(out.skipped)
    assert "subject bs002 in folder bs001" in reasons["bs001/bs002_N_N_0.bnt"]
    assert "unknown emotion code 'JOY'" in reasons["bs001/bs001_E_JOY_0.bnt"]
    assert "not a subject id" in reasons["bs1/"]

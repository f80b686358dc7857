import csv
import io
import json

from affectvlm import EMOTIONS


def test_predict_prints_a_table_by_default(cli_main, tiny_run, samples, capsys):
    assert cli_main(["predict", str(tiny_run), str(samples / "a"), "--device", "cpu"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["input", "label", "conf"]
    assert out[0].split()[3:] == list(EMOTIONS)
    assert str(samples / "a" / "face1.ply") in out[2]


def test_predict_json_lists_probabilities_views_frames_and_prompts(
    cli_main, tiny_run, samples, capsys
):
    args = ["predict", str(tiny_run), str(samples / "a"), str(samples / "seq" / "S1")]
    code = cli_main(
        [*args, "--format", "json", "--prompt", "a smiling face", "--prompt", "a frown"]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["kind"] for r in rows] == ["scan", "sequence"]
    for row in rows:
        assert abs(sum(row["probs"].values()) - 1) < 1e-4
        assert set(row["view_probs"]) == {"frontal", "left", "right"}
        assert {p["prompt"] for p in row["prompts"]} == {"a smiling face", "a frown"}
    assert len(rows[1]["frame_probs"]) == 3 and "frame_probs" not in rows[0]


def test_predict_csv_has_one_row_per_input_and_a_column_per_class(
    cli_main, tiny_run, samples, capsys
):
    code = cli_main(["predict", str(tiny_run), str(samples / "b"), "--format", "csv"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 1 and rows[0]["input"].endswith("face2.ply")
    total = sum(float(rows[0][f"p_{c}"]) for c in EMOTIONS)
    assert abs(total - 1) < 1e-4


def test_corrupt_file_among_good_ones_is_reported_and_exit_is_nonzero(
    cli_main, tiny_run, samples, capsys
):
    code = cli_main(["predict", str(tiny_run), str(samples), "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert {r["input"].rsplit("/", 1)[-1] for r in rows} == {"face1.ply", "face2.ply", "S1"}
    assert str(samples / "broken.ply") in captured.err
    assert "1 of 4 input(s) failed" in captured.err


def test_missing_checkpoint_is_a_one_line_error(cli_main, tmp_path, samples, capsys):
    assert cli_main(["predict", str(tmp_path / "nope"), str(samples / "a")]) == 2
    err = capsys.readouterr().err
    assert "checkpoint not found" in err and "Traceback" not in err


def test_an_unexpected_fault_in_one_input_is_recorded_and_the_others_are_predicted(
    cli_main, tiny_run, samples, monkeypatch, capsys
):
    import affectvlm.infer.predictor as predictor_module

    real = predictor_module.open_input

    def crashing(item, limits=None):
        if item.path.name == "face2.ply":
            raise RecursionError("maximum recursion depth exceeded")
        return real(item, limits)

    monkeypatch.setattr(predictor_module, "open_input", crashing)
    args = ["predict", str(tiny_run), str(samples / "a"), str(samples / "b"), "--format", "csv"]
    code = cli_main(args)
    captured = capsys.readouterr()
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [r["input"].rsplit("/", 1)[-1] for r in rows] == ["face1.ply"]
    assert f"{samples / 'b' / 'face2.ply'}: unexpected RecursionError" in captured.err
    assert "1 of 2 input(s) failed" in captured.err

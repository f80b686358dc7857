"""The ``experiment`` verb (registered on a parser here until cli.py imports it)."""

import argparse

import pytest
from conftest import write_study

from affectvlm.commands import experiment


def _main(argv):
    parser = argparse.ArgumentParser(prog="affectvlm")
    sub = parser.add_subparsers(dest="verb", required=True)
    experiment.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_list_names_the_builtin_studies(capsys):
    assert _main(["experiment", "--list"]) == 0
    out = capsys.readouterr().out
    assert "ablation:" in out and "convergence:" in out and "baselines:" in out


def test_data_without_folds_is_a_clear_error(capsys, tmp_path):
    code = _main(["experiment", "ablation", "--data", str(tmp_path), "--out", str(tmp_path)])
    assert code == 2
    assert "need --folds" in capsys.readouterr().err


def test_missing_manifest_names_the_file(capsys, tmp_path):
    folds = tmp_path / "folds.json"
    folds.write_text("{}")
    argv = ["experiment", "ablation", "--folds", str(folds), "--manifest", str(tmp_path / "m.csv")]
    assert _main([*argv, "--out", str(tmp_path / "o")]) == 2
    assert "m.csv: manifest not found" in capsys.readouterr().err


@pytest.mark.slow
def test_runs_a_study_on_the_users_indexed_data(tiny_data, tmp_path, capsys):
    study = write_study(tmp_path / "one.toml", '[[variants]]\nname = "full"\n')
    argv = ["experiment", study, "--manifest", str(tiny_data.manifests[0]), "--folds"]
    argv += [str(tiny_data.folds), "--out", str(tmp_path / "o"), "--folds-only", "1", "--quiet"]
    assert _main(argv) == 0
    assert "1 run(s): 1 trained now, 0 already finished, 0 failed" in capsys.readouterr().out
    report = (tmp_path / "o" / "report" / "report.md").read_text()
    assert "--folds-only 1" in report
    assert (tmp_path / "o" / "runs" / "full" / "seed_0" / "fold_01" / "fold_result.json").is_file()


def test_dataset_roots_alone_are_indexed_in_the_output_folder(tiny_data, tmp_path, capsys):
    variants = '[[variants]]\nname = "pca"\nkind = "pca-logreg"\n'
    study = write_study(
        tmp_path / "p.toml", variants + "overrides = ['render.model_input=\"depth\"']\n"
    )
    root = tiny_data.roots[0] / tiny_data.spec.family  # one family's folder: a BU-3DFE root
    argv = ["experiment", study, "--data", str(root), "--folds", str(tiny_data.folds)]
    assert _main([*argv, "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert (tmp_path / "o" / "index" / "bu3dfe.csv").is_file()
    assert "2 run(s): 2 trained now" in capsys.readouterr().out
    assert "Reproduces `cv`?" not in (tmp_path / "o" / "report" / "report.md").read_text()


def test_wrong_number_of_roots_names_the_protocol_datasets(tiny_data, tmp_path, capsys):
    argv = ["experiment", "ablation", "--folds", str(tiny_data.folds), "--out", str(tmp_path)]
    assert _main([*argv, "--data", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "uses datasets ['bu3dfe']" in capsys.readouterr().err

"""The console script's verbs, called in-process through ``main(argv)``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from affectvlm.cli import main


def test_info_reports_versions_and_devices(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "cuda" in out and "optional parts" in out


def test_unknown_verb_exits_with_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_python_dash_m_runs_the_same_cli():
    out = subprocess.run(
        [sys.executable, "-m", "affectvlm", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("affectvlm ")

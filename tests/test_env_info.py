"""The source commit a report names."""

import subprocess
from pathlib import Path

import pytest

import affectvlm
from affectvlm.env_info import source_commit


def test_source_commit_is_the_checkouts_head():
    here = Path(affectvlm.__file__).parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the package does not run from a git checkout")
    assert source_commit().split("+")[0] == head

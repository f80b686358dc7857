import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("tower", ["vit", "conv"])
def test_two_process_gloo_run_completes_and_only_rank_zero_writes(tmp_path, tower):
    out, logs = tmp_path / "run", tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(HERE / "ddp_worker.py"),
        str(out),
        str(logs),
        tower,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    accuracies = {(logs / f"done_rank{r}.txt").read_text() for r in (0, 1)}
    assert len(accuracies) == 1  # both ranks hold the same gathered test metrics
    assert not (logs / "writes_rank1.txt").exists()
    written = (logs / "writes_rank0.txt").read_text()
    assert "checkpoint.pt" in written and "results.json" in written
    assert (out / "fold_00" / "model").is_dir() and (out / "results.json").exists()

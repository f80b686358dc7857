import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_checkpoint import CORRUPT_PLY, make_tiny_run, write_face, write_sequence


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return make_tiny_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def predictor(tiny_run):
    from affectvlm.infer import Predictor

    return Predictor.from_checkpoint(tiny_run, device="cpu")


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    """A dataset folder: two scans in subfolders, one sequence folder, one corrupt scan."""
    root = tmp_path_factory.mktemp("samples")
    write_face(root / "a" / "face1.ply", seed=1)
    write_face(root / "b" / "face2.ply", seed=3, emotion="anger")
    write_sequence(root / "seq" / "S1")
    (root / "broken.ply").write_bytes(CORRUPT_PLY)
    return root


@pytest.fixture
def cli_main():
    """``affectvlm.cli.main`` with the serving verbs, whether or not cli.py wires them yet."""
    from affectvlm import cli
    from affectvlm.commands import serve

    parser = cli.build_parser()
    verbs = next(a for a in parser._actions if a.dest == "verb").choices
    if "predict" in verbs:
        yield cli.main
        return
    data = cli.data

    class WithServe:
        @staticmethod
        def register(sub):
            data.register(sub)
            serve.register(sub)

    cli.data = WithServe
    yield cli.main
    cli.data = data

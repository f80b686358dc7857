import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "infer"))

from tiny_checkpoint import make_tiny_run, write_face, write_sequence


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return make_tiny_run(tmp_path_factory.mktemp("apprun"), image_size=48)


@pytest.fixture(scope="session")
def face_files(tmp_path_factory):
    """An uploaded scan with its texture image, as (name, bytes) pairs."""
    path = write_face(tmp_path_factory.mktemp("upload") / "F0001_HA04WH_F3D.ply")
    return [
        (path.name, path.read_bytes()),
        (f"{path.stem}.png", path.with_suffix(".png").read_bytes()),
    ]


@pytest.fixture(scope="session")
def dataset_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    write_face(root / "F0001" / "face.ply")
    write_sequence(root / "F002" / "Happy", frames=4)
    return root

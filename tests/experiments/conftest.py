import contextlib

import pytest
import torch

from affectvlm.experiments import SyntheticSpec, prepare_synthetic

TINY_BASE = [
    "epochs=1",
    "patience=0",
    "render.image_size=32",
    "model.vision.image_size=32",
    "data.workers=0",
    "data.batch_size=8",
]


@contextlib.contextmanager
def one_thread():
    """Tiny models gain nothing from intra-op threads, and on a busy machine the thread
    barriers cost far more than they give; the previous setting is restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """Four synthetic BU-3DFE-style subjects (face family base; the same subject plan of family
    rbf as an extra test set) in two subject-independent folds."""
    spec = SyntheticSpec(
        test_families=["rbf"],
        subjects=4,
        resolution=32,
        protocol="bu3dfe",
        protocol_set=["protocol.folds=2", "protocol.val_fraction=0.5"],
    )
    with one_thread():
        return prepare_synthetic(tmp_path_factory.mktemp("study_data"), spec)


def write_study(path, variants: str, base=TINY_BASE, extra: str = "") -> str:
    """A study TOML with the tiny preset, the given ``[[variants]]`` text and base overrides."""
    base_text = ", ".join(f"'{b}'" for b in base)
    path.write_text(
        f'name = "tiny-study"\npreset = "tiny"\nbase = [{base_text}]\nseeds = [0]\n{extra}\n'
        + variants
    )
    return str(path)

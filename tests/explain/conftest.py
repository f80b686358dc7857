import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from toy import class_embeddings, tiny_model, train_on_mouth_task


@pytest.fixture(scope="session")
def mouth_model():
    """A tiny model trained (in the test session, ~10 s) on the mouth-patch task."""
    model = tiny_model()
    text = class_embeddings()
    accuracy = train_on_mouth_task(model, text)
    assert accuracy >= 0.9, f"the toy task was not learnt (accuracy {accuracy:.2f})"
    return model, text

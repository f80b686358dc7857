import pytest
import torch

from affectvlm import EMOTIONS
from affectvlm.eval.paraphrases import (
    image_accuracy,
    paraphrase_class_embeddings,
    paraphrase_text_accuracy,
)
from affectvlm.model import AffectVLM, model_preset
from affectvlm.text import PromptBank, TextConfig

CLASSES = ["anger", "happiness", "surprise"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return AffectVLM.from_config(model_preset("tiny"), TextConfig())


@pytest.fixture(scope="module")
def plain_bank():
    return PromptBank.from_config(TextConfig(augmented=False))


def test_a_paraphrase_equal_to_its_class_prompt_maps_to_its_own_class(model, plain_bank):
    own = {c: plain_bank.all(c) for c in CLASSES}
    score = paraphrase_text_accuracy(model, own, CLASSES, plain_bank)
    assert score.accuracy == 1.0 and score.misses() == []
    assert score.metrics.num_samples == len(CLASSES)


def test_accuracy_is_the_share_of_paraphrases_mapped_to_their_own_class(model, plain_bank):
    swapped = {
        "anger": plain_bank.all("anger") + plain_bank.all("happiness"),  # 1 right, 1 wrong
        "happiness": plain_bank.all("happiness"),
        "surprise": plain_bank.all("surprise"),
    }
    score = paraphrase_text_accuracy(model, swapped, CLASSES, plain_bank)
    assert score.accuracy == pytest.approx(3 / 4)
    assert score.misses() == [(plain_bank.all("happiness")[0], "anger", "happiness")]
    assert score.metrics.confusion[0] == [1, 1, 0]


def test_text_accuracy_leaves_the_model_in_its_training_mode(model, plain_bank):
    model.train()
    paraphrase_text_accuracy(model, {c: plain_bank.all(c) for c in CLASSES}, CLASSES, plain_bank)
    assert model.training
    model.eval()


def test_a_class_without_paraphrases_is_an_error(model):
    with pytest.raises(ValueError, match="surprise"):
        paraphrase_text_accuracy(model, {"anger": ["a scowl"], "happiness": ["a grin"]}, CLASSES)


def test_paraphrase_ensembles_match_the_prompt_ensembles_on_the_same_texts(model):
    bank = model.prompt_bank
    texts = {c: bank.all(c) for c in EMOTIONS}
    expected = model.class_text_embeddings(None, list(EMOTIONS))
    got = paraphrase_class_embeddings(model, texts, list(EMOTIONS))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_image_accuracy_scores_views_against_the_given_class_embeddings(model):
    torch.manual_seed(1)
    images = torch.rand(5, model.config.num_views, 3, 32, 32)
    text = model.class_text_embeddings(None, CLASSES)
    with torch.no_grad():
        predicted = model(images, text).logits.argmax(-1).tolist()
    metrics = image_accuracy(model, images, predicted, text, CLASSES, batch_size=2)
    assert metrics.accuracy == 1.0 and metrics.num_samples == 5
    wrong = [(p + 1) % 3 for p in predicted]
    assert image_accuracy(model, images, wrong, text, CLASSES).accuracy == 0.0

import pytest

from affectvlm import EMOTIONS
from affectvlm.text import (
    PromptBank,
    PromptBankError,
    TextConfig,
    load_heldout_paraphrases,
    training_overlap,
)


@pytest.fixture(scope="module")
def paraphrases():
    return load_heldout_paraphrases()


def test_every_emotion_has_at_least_eight_heldout_paraphrases(paraphrases):
    assert set(paraphrases) == set(EMOTIONS)
    assert all(len(phrases) >= 8 for phrases in paraphrases.values())


@pytest.mark.parametrize("attributes", [False, True])
def test_no_heldout_paraphrase_shares_a_synonym_template_or_prompt_with_training(
    paraphrases, attributes
):
    bank = PromptBank.from_config(TextConfig(use_attributes=attributes))
    assert training_overlap(paraphrases, bank) == []
    prompts = {p.lower() for e in bank.emotions for p in bank.all(e, {"sex": "F", "age": 30})}
    assert not any(
        phrase.lower() in prompt
        for phrases in paraphrases.values()
        for phrase in phrases
        for prompt in prompts
    )


def test_overlap_check_catches_synonyms_inflections_template_pieces_and_prompts():
    bank = PromptBank.from_config(TextConfig())
    found = training_overlap(
        {
            "fear": ["a person recoiling in terror", "a fearful look"],
            "happiness": ["someone enjoying the sun", "a face expressing glee"],
            "neutral": ["a blank face"],
            "anger": [bank.all("anger")[0]],
        },
        bank,
    )
    leaked = {phrase for phrase, _ in found}
    assert leaked == {
        "a person recoiling in terror",
        "a fearful look",
        "someone enjoying the sun",
        "a face expressing glee",
        bank.all("anger")[0],
    }
    assert ("a face expressing glee", "template piece 'a face expressing'") in found


def test_a_paraphrase_listed_under_two_emotions_is_rejected_with_the_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        'version = 1\n[paraphrases]\nfear = ["a stunned face"]\nsurprise = ["A stunned face"]\n'
    )
    with pytest.raises(PromptBankError, match=r"p\.toml.*listed twice"):
        load_heldout_paraphrases(path)

import numpy as np
import pytest

from affectvlm import EMOTIONS
from affectvlm.text import PromptBank, PromptBankError, TextConfig


@pytest.fixture(scope="module")
def bank() -> PromptBank:
    return PromptBank.from_config(TextConfig())


def test_shipped_bank_covers_every_canonical_emotion(bank):
    assert set(bank.emotions) == set(EMOTIONS)


def test_augmented_prompts_are_many_distinct_and_fully_filled(bank):
    for emotion in EMOTIONS:
        prompts = bank.all(emotion)
        assert len(prompts) >= 10
        assert len(set(prompts)) == len(prompts)
        assert not any("{" in p or "}" in p for p in prompts)
    assert any("furious" in p for p in bank.all("anger"))
    assert not any("furious" in p for p in bank.all("happiness"))


def test_plain_bank_gives_one_template_with_the_class_name_only():
    plain = PromptBank.from_config(TextConfig(augmented=False))
    assert plain.all("anger") == ["a photo of a face showing anger."]
    assert plain.all("anger", {"sex": "F", "age": 30}) == ["a photo of a face showing anger."]


def test_attributes_build_the_subject_phrase(bank):
    assert bank.subject_phrase(None) == "a person"
    assert bank.subject_phrase({"sex": "F", "age": 25}) == "a young woman"
    assert bank.subject_phrase({"sex": "M", "age": 61}) == "an older man"
    assert any("a young woman" in p for p in bank.all("fear", {"sex": "F", "age": 25}))


def test_missing_attributes_are_left_out_never_invented(bank):
    assert bank.subject_phrase({"sex": None, "age": None, "ethnicity": None}) == "a person"
    assert bank.subject_phrase({"age": 40}) == "a middle-aged person"
    # an ethnicity code with no configured phrase never enters a prompt
    assert bank.subject_phrase({"sex": "M", "ethnicity": "AE"}) == "a man"


def test_ethnicity_code_is_used_only_through_the_configured_mapping():
    bank = PromptBank.from_config(TextConfig(ethnicity_phrases={"AE": "East Asian"}))
    assert bank.subject_phrase({"sex": "F", "ethnicity": "AE"}) == "an East Asian woman"
    assert bank.subject_phrase({"sex": "F", "ethnicity": "WH"}) == "a woman"


def test_attributes_can_be_switched_off():
    bank = PromptBank.from_config(TextConfig(use_attributes=False))
    assert bank.subject_phrase({"sex": "F", "age": 25}) == "a person"


def test_bad_attribute_values_raise(bank):
    with pytest.raises(PromptBankError, match="unknown sex"):
        bank.subject_phrase({"sex": "X"})
    with pytest.raises(PromptBankError, match="age"):
        bank.subject_phrase({"age": "old"})


def test_unknown_emotion_raises_and_lists_known(bank):
    with pytest.raises(PromptBankError, match=r"contempt.*known: neutral"):
        bank.all("contempt")


def test_sample_is_seeded_and_drawn_from_all(bank):
    attrs = {"sex": "M", "age": 30}
    a = [bank.sample("sadness", attrs, np.random.default_rng(3)) for _ in range(5)]
    b = [bank.sample("sadness", attrs, np.random.default_rng(3)) for _ in range(5)]
    assert a == b
    rng = np.random.default_rng(0)
    draws = {bank.sample("sadness", attrs, rng) for _ in range(200)}
    assert draws <= set(bank.all("sadness", attrs))
    assert len(draws) > 5
    with pytest.raises(PromptBankError, match="Generator"):
        bank.sample("sadness")


def test_to_dict_roundtrip_keeps_prompts_and_fingerprint(bank):
    again = PromptBank.from_dict(bank.to_dict())
    assert again.fingerprint() == bank.fingerprint()
    assert again.all("disgust", {"sex": "F"}) == bank.all("disgust", {"sex": "F"})
    other = PromptBank.from_config(TextConfig(augmented=False))
    assert other.fingerprint() != bank.fingerprint()


def test_bank_file_errors_name_the_file(tmp_path):
    with pytest.raises(PromptBankError, match=r"missing\.toml"):
        PromptBank.from_config(TextConfig(bank=str(tmp_path / "missing.toml")))
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'plain_template = "{emotion}"\ntemplates = ["{noun} {adj}"]\n'
        'emotions = {}\n[subject]\ndefault = "person"\nsex = {}\nage_groups = []\n'
    )
    with pytest.raises(PromptBankError, match=r"bad.toml.*both"):
        PromptBank.from_config(TextConfig(bank=str(bad)))

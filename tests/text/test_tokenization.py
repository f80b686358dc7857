import pytest

from affectvlm.text import PromptBank, TextConfig
from affectvlm.text.tokenization import (
    TokenizerError,
    bundled_minilm_dir,
    check_eos_pooling,
    check_vocabulary,
    load_tokenizer,
    tokenize,
)


@pytest.fixture(scope="module")
def wordpiece():
    return load_tokenizer(bundled_minilm_dir())


def test_bundled_tokenizer_gives_distinct_ids_for_distinct_words(wordpiece):
    ids = tokenize(wordpiece, ["a happy face", "an angry face"], 16, "cpu")["input_ids"]
    assert ids[0].tolist() != ids[1].tolist()
    assert ids.shape[1] <= 16


def test_every_prompt_bank_word_is_known_to_the_bundled_tokenizer(wordpiece):
    words = PromptBank.from_config(TextConfig()).vocabulary()
    unk = wordpiece.unk_token_id
    for word in words:
        assert unk not in wordpiece(word, add_special_tokens=False)["input_ids"], word


class _DegenerateTokenizer:
    """What an offline CLIPTokenizer without its vocabulary files looks like."""

    def __len__(self):
        return 2

    def __call__(self, texts, add_special_tokens=True):
        return {"input_ids": [[0] for _ in texts]}


def test_degenerate_two_token_tokenizer_is_rejected():
    with pytest.raises(TokenizerError, match="only 2 tokens"):
        check_vocabulary(_DegenerateTokenizer(), "openai/clip-vit-base-patch32")


def test_eos_pooling_must_match_the_tokenizer_end_token(wordpiece):
    check_eos_pooling(wordpiece, wordpiece.sep_token_id, "x")
    with pytest.raises(TokenizerError, match="legacy"):
        check_eos_pooling(wordpiece, 2, "x")
    with pytest.raises(TokenizerError, match="wrong position"):
        check_eos_pooling(wordpiece, 0, "x")


def test_missing_tokenizer_dir_raises_with_offline_hint(tmp_path):
    with pytest.raises(TokenizerError, match="local-dir"):
        load_tokenizer(tmp_path / "nothing")

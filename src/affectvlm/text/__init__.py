"""The text side: emotion prompt bank (templates × synonyms × attributes), tokenizers and
the held-out paraphrases that test it."""

from affectvlm.text.config import TextConfig
from affectvlm.text.paraphrases import load_heldout_paraphrases, training_overlap
from affectvlm.text.prompts import PromptBank, PromptBankError

__all__ = [
    "PromptBank",
    "PromptBankError",
    "TextConfig",
    "load_heldout_paraphrases",
    "training_overlap",
]

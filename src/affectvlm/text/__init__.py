"""The text side: emotion prompt bank (templates × synonyms × attributes) and tokenizers."""

from affectvlm.text.config import TextConfig
from affectvlm.text.prompts import PromptBank, PromptBankError

__all__ = ["PromptBank", "PromptBankError", "TextConfig"]

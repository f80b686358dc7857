"""``save_pretrained`` / ``from_pretrained`` directories for AffectVLM.

A directory holds ``affectvlm.json`` (the :class:`ModelConfig` and the exact transformers
configs of both encoders), ``model.safetensors`` (all weights), ``tokenizer/`` and
``prompt_bank.json``. Loading needs nothing else: no hub, no bundled package.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affectvlm import __version__
from affectvlm.config import ConfigError, from_dict, to_dict
from affectvlm.fileio import atomic_write_bytes, atomic_write_json
from affectvlm.model.config import ModelConfig
from affectvlm.model.errors import ModelLoadError
from affectvlm.model.towers import towers_from_saved
from affectvlm.text.prompts import PromptBank, PromptBankError
from affectvlm.text.tokenization import TokenizerError

if TYPE_CHECKING:
    from affectvlm.model.affectvlm import AffectVLM

FORMAT = "affectvlm-model"
FORMAT_VERSION = 1
META_FILE = "affectvlm.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_DIR = "tokenizer"
BANK_FILE = "prompt_bank.json"


def save_pretrained(model: AffectVLM, directory: str | Path) -> Path:
    """Write ``model`` to ``directory``; every file goes through an atomic rename."""
    from safetensors.torch import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(directory / WEIGHTS_FILE, save(state, metadata={"format": "pt"}))
    with tempfile.TemporaryDirectory() as tmp:
        model.text_tower.tokenizer.save_pretrained(tmp)
        for file in sorted(Path(tmp).rglob("*")):
            if file.is_file():
                target = directory / TOKENIZER_DIR / file.relative_to(tmp)
                atomic_write_bytes(target, file.read_bytes())
    bank = model.prompt_bank
    if bank is not None:
        atomic_write_json(directory / BANK_FILE, bank.to_dict())
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "affectvlm_version": __version__,
        "model_config": to_dict(model.config),
        "vision_config": model.vision_tower.encoder.config.to_dict(),
        "text_config": model.text_tower.encoder.config.to_dict(),
        "text_pooling": model.text_tower.pooling,
        "text_max_length": model.text_tower.max_length,
        "prompt_bank_fingerprint": bank.fingerprint() if bank is not None else None,
    }
    atomic_write_json(directory / META_FILE, meta)  # last: its presence marks a complete save
    return directory


def _read_meta(directory: Path) -> dict[str, Any]:
    path = directory / META_FILE
    if not path.is_file():
        raise ModelLoadError(directory, f"not an AffectVLM model directory (no {META_FILE})")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(path, f"not valid JSON ({exc})") from exc
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            path,
            f"unsupported format {meta.get('format')!r} version {meta.get('format_version')!r}",
        )
    return meta


def load_pretrained(directory: str | Path, map_location: str = "cpu") -> AffectVLM:
    """Rebuild the model saved in ``directory`` and load its weights strictly."""
    from safetensors.torch import load_file

    from affectvlm.model.affectvlm import AffectVLM

    directory = Path(directory)
    meta = _read_meta(directory)
    try:
        config = from_dict(ModelConfig, meta["model_config"], prefix="model")
    except ConfigError as exc:
        raise ModelLoadError(directory / META_FILE, str(exc)) from exc
    try:
        towers = towers_from_saved(
            meta["vision_config"],
            meta["text_config"],
            meta["text_pooling"],
            meta["text_max_length"],
            config.embed_dim,
            directory / TOKENIZER_DIR,
        )
    except TokenizerError as exc:
        raise ModelLoadError(directory / TOKENIZER_DIR, exc.reason) from exc
    bank = None
    if (directory / BANK_FILE).is_file():
        try:
            bank = PromptBank.from_dict(json.loads((directory / BANK_FILE).read_text("utf-8")))
        except (json.JSONDecodeError, PromptBankError) as exc:
            raise ModelLoadError(directory / BANK_FILE, str(exc)) from exc
        if bank.fingerprint() != meta.get("prompt_bank_fingerprint"):
            raise ModelLoadError(directory / BANK_FILE, "prompt bank differs from the saved one")
    model = AffectVLM(config, towers, bank)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelLoadError(weights, "weights file missing")
    state = load_file(str(weights), device=map_location)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelLoadError(
            weights, f"weights do not match the config (missing {missing}, unexpected {unexpected})"
        )
    return model.to(map_location)

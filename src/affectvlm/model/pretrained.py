"""``save_pretrained`` / ``from_pretrained`` directories for AffectVLM.

A directory holds ``affectvlm.json`` (the :class:`ModelConfig` and the exact transformers
configs of both encoders), ``model.safetensors`` (all weights), ``tokenizer/`` and
``prompt_bank.json``. Loading needs nothing else: no hub, no bundled package. A folder that
is incomplete, damaged or saved by another version is refused with a :class:`ModelLoadError`
that says which file and what is wrong.
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
META_KEYS = ("model_config", "vision_config", "text_config", "text_pooling", "text_max_length")


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
        text = path.read_text(encoding="utf-8")
        meta = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ModelLoadError(path, "not a text file (not UTF-8)") from exc
    except json.JSONDecodeError as exc:
        fault = "empty file" if not text.strip() else f"not valid JSON ({exc})"
        raise ModelLoadError(path, fault) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelLoadError(path, "not an AffectVLM model description (no 'format' of ours)")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelLoadError(
            path,
            f"saved by another affectvlm version (model format version {version!r}, saved by "
            f"affectvlm {meta.get('affectvlm_version', '?')}; this version reads "
            f"{FORMAT_VERSION})",
        )
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ModelLoadError(path, f"incomplete model description (no {', '.join(missing)})")
    return meta


def load_pretrained(directory: str | Path, map_location: str = "cpu") -> AffectVLM:
    """Rebuild the model saved in ``directory`` and load its weights strictly."""
    from affectvlm.model.affectvlm import AffectVLM

    directory = Path(directory)
    meta = _read_meta(directory)
    try:
        config = from_dict(ModelConfig, meta["model_config"], prefix="model")
    except ConfigError as exc:
        raise ModelLoadError(directory / META_FILE, str(exc)) from exc
    if not (directory / TOKENIZER_DIR).is_dir():
        raise ModelLoadError(directory / TOKENIZER_DIR, "tokenizer folder missing")
    try:
        towers = towers_from_saved(
            meta["vision_config"],
            meta["text_config"],
            meta["text_pooling"],
            meta["text_max_length"],
            config.embed_dim,
            directory / TOKENIZER_DIR,
        )
    except TokenizerError as exc:  # the files are here: the hub advice would mislead
        cause = exc.__cause__
        reason = f"saved tokenizer cannot be loaded ({cause})" if cause else exc.reason
        raise ModelLoadError(directory / TOKENIZER_DIR, reason) from exc
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ModelLoadError(
            directory / META_FILE, f"the saved encoder configs cannot be rebuilt ({exc})"
        ) from exc
    bank = None
    if (directory / BANK_FILE).is_file():
        try:
            bank = PromptBank.from_dict(json.loads((directory / BANK_FILE).read_text("utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelLoadError(directory / BANK_FILE, f"not valid JSON ({exc})") from exc
        except PromptBankError as exc:
            raise ModelLoadError(directory / BANK_FILE, str(exc)) from exc
        if bank.fingerprint() != meta.get("prompt_bank_fingerprint"):
            raise ModelLoadError(directory / BANK_FILE, "prompt bank differs from the saved one")
    model = AffectVLM(config, towers, bank)
    weights = directory / WEIGHTS_FILE
    state = _read_weights(weights, map_location)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shapes differ
        shapes = [line.strip() for line in str(exc).splitlines() if "size mismatch" in line]
        detail = "; ".join(shapes[:3]) or str(exc).splitlines()[0]
        raise ModelLoadError(weights, f"weights do not match the config ({detail})") from exc
    if missing or unexpected:
        raise ModelLoadError(
            weights, f"weights do not match the config (missing {missing}, unexpected {unexpected})"
        )
    return model.to(map_location)


def _read_weights(weights: Path, map_location: str) -> dict[str, Any]:
    """The tensors of a ``model.safetensors`` file, or a :class:`ModelLoadError` saying what
    the file is instead (missing, empty, a pickle, damaged)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not weights.is_file():
        raise ModelLoadError(weights, "weights file missing")
    with open(weights, "rb") as fh:
        head = fh.read(4)
    if not head:
        raise ModelLoadError(weights, "weights file is empty (0 bytes)")
    try:
        return load_file(str(weights), device=map_location)
    except SafetensorError as exc:
        if head == b"PK\x03\x04" or head[:1] == b"\x80":
            fault = "a PyTorch pickle, not safetensors (not written by save_pretrained)"
        else:
            fault = "not a safetensors file, or truncated"
        raise ModelLoadError(weights, f"weights file is {fault}") from exc

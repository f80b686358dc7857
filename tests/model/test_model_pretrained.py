import json
import shutil

import pytest
import torch

from affectvlm import EMOTIONS
from affectvlm.config import ConfigError
from affectvlm.model import AffectVLM, ModelLoadError, model_preset, preset_names
from affectvlm.text import TextConfig


def _images():
    return torch.rand(2, 3, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def _offline_only(monkeypatch):
    """Make any use of the bundled MiniLM package fail: a reload must need only its folder."""

    def refuse():
        raise AssertionError("reload touched the bundled package")

    monkeypatch.setattr("affectvlm.model.towers.bundled_minilm_dir", refuse)


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    torch.manual_seed(0)
    text_cfg = TextConfig(ethnicity_phrases={"AE": "East Asian"})
    model = AffectVLM.from_config(model_preset("tiny", fusion="learned"), text_cfg).eval()
    with torch.no_grad():
        model.fusion.view_logits.copy_(torch.tensor([0.3, -0.1, 0.2]))
    folder = tmp_path_factory.mktemp("tiny")
    model.save_pretrained(folder)
    return model, folder


def test_tiny_model_reloads_offline_with_identical_outputs(saved_tiny, monkeypatch):
    model, folder = saved_tiny
    _offline_only(monkeypatch)
    again = AffectVLM.from_pretrained(folder).eval()
    assert again.config == model.config
    assert again.prompt_bank.fingerprint() == model.prompt_bank.fingerprint()
    prompts = ["a happy face", "an angry face", "a 3D scan of an East Asian woman"]
    ids = again.text_tower.tokenizer(prompts)["input_ids"]
    assert ids == model.text_tower.tokenizer(prompts)["input_ids"]
    assert ids[0] != ids[1]  # a real tokenizer: distinct words, distinct ids
    with torch.no_grad():
        text_a = model.class_text_embeddings(None, EMOTIONS, {"ethnicity": "AE", "sex": "F"})
        text_b = again.class_text_embeddings(None, EMOTIONS, {"ethnicity": "AE", "sex": "F"})
        out_a, out_b = model(_images(), text_a), again(_images(), text_b)
    assert torch.equal(text_a, text_b)
    assert torch.equal(out_a.logits, out_b.logits)
    assert torch.equal(out_a.view_logits, out_b.view_logits)


def test_saved_directory_lists_config_weights_tokenizer_and_bank(saved_tiny):
    _, folder = saved_tiny
    meta = json.loads((folder / "affectvlm.json").read_text())
    assert meta["model_config"]["fusion"] == "learned"
    assert meta["text_config"]["eos_token_id"] == 102  # pools at [SEP] of the WordPiece tokenizer
    assert (folder / "model.safetensors").is_file() and (folder / "prompt_bank.json").is_file()
    assert (folder / "tokenizer" / "tokenizer_config.json").is_file()


def test_loading_a_broken_directory_names_the_fault(saved_tiny, tmp_path):
    with pytest.raises(ModelLoadError, match=r"no affectvlm\.json"):
        AffectVLM.from_pretrained(tmp_path)
    _, folder = saved_tiny
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("affectvlm.json", "prompt_bank.json"):
        (broken / f).write_bytes((folder / f).read_bytes())
    (broken / "tokenizer").mkdir()
    for f in (folder / "tokenizer").iterdir():
        (broken / "tokenizer" / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ModelLoadError, match="weights file missing"):
        AffectVLM.from_pretrained(broken)


def test_minilm_text_tower_round_trips(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("tiny-minilm")).eval()
    model.save_pretrained(tmp_path)
    _offline_only(monkeypatch)
    again = AffectVLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        a = model.encode_text(["a happy face", "an angry face"])
        b = again.encode_text(["a happy face", "an angry face"])
    assert torch.equal(a, b)


def test_local_clip_directory_is_loaded_as_pretrained(tmp_path):
    from transformers import CLIPConfig, CLIPModel

    from affectvlm.text.tokenization import bundled_minilm_dir, load_tokenizer

    tokenizer = load_tokenizer(bundled_minilm_dir())
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "max_position_embeddings": 24,
        "eos_token_id": 102,
        "bos_token_id": 101,
        "pad_token_id": 0,
    }
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 16,
    }
    clip = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
    clip.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model = AffectVLM.from_config(model_preset("tiny", pretrained=str(tmp_path), embed_dim=16))
    assert torch.equal(model.vision_tower.proj.weight, clip.visual_projection.weight)
    assert model.scale().item() == pytest.approx(clip.logit_scale.exp().item(), rel=1e-5)
    assert model.encode_images(torch.rand(1, 3, 3, 64, 64)).view_embeds.shape == (1, 3, 16)
    with pytest.raises(ModelLoadError, match="projection_dim=16"):
        AffectVLM.from_config(model_preset("tiny", pretrained=str(tmp_path), embed_dim=64))


def test_unavailable_pretrained_weights_raise_with_offline_hint(tmp_path):
    cfg = model_preset("vit-b-32", pretrained=str(tmp_path / "no-such-clip"))
    with pytest.raises(ModelLoadError, match=r"no-such-clip.*--local-dir"):
        AffectVLM.from_config(cfg)


def test_presets_resolve_and_pretrained_is_overridable():
    assert {"tiny", "tiny-minilm", "vit-b-32", "vit-b-16", "vit-b-32-random"} <= set(preset_names())
    for name in preset_names():
        assert model_preset(name).name == name
    assert model_preset("vit-b-32").pretrained == "openai/clip-vit-base-patch32"
    assert model_preset("vit-b-16").vision.patch_size == 16
    assert model_preset("vit-b-32-random").pretrained == ""
    assert model_preset("vit-b-32", pretrained="/models/clip").pretrained == "/models/clip"
    with pytest.raises(ConfigError, match="unknown model preset"):
        model_preset("vit-h-14")
    with pytest.raises(ConfigError, match="fusoin"):
        model_preset("tiny", fusoin="mean")


def _meta_edit(**changes):
    def edit(folder):
        meta = json.loads((folder / "affectvlm.json").read_text())
        for key, value in changes.items():
            if value is None:
                del meta[key]
            else:
                meta[key] = value
        (folder / "affectvlm.json").write_text(json.dumps(meta))

    return edit


def _wrong_shape(folder):
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / "model.safetensors"))
    state["logit_scale"] = torch.zeros(3)
    save_file(state, str(folder / "model.safetensors"))


def _weights(data):
    return lambda f: (f / "model.safetensors").write_bytes(data(f) if callable(data) else data)


BROKEN_FOLDERS = [  # (case, how to break a good folder, the file named, the fault)
    ("empty weights", _weights(b""), "model.safetensors", "weights file is empty (0 bytes)"),
    ("junk weights", _weights(b"junk" * 100), "model.safetensors", "not a safetensors file"),
    (
        "truncated weights",
        _weights(lambda f: (f / "model.safetensors").read_bytes()[:5000]),
        "model.safetensors",
        "not a safetensors file, or truncated",
    ),
    (
        "pickled weights",
        lambda f: torch.save({"w": torch.ones(2)}, f / "model.safetensors"),
        "model.safetensors",
        "a PyTorch pickle, not safetensors",
    ),
    ("shape", _wrong_shape, "model.safetensors", "weights do not match the config (size mis"),
    ("empty meta", lambda f: (f / "affectvlm.json").write_text(""), "affectvlm.json", "empty"),
    (
        "list meta",
        lambda f: (f / "affectvlm.json").write_text("[1]"),
        "affectvlm.json",
        "not an AffectVLM model description",
    ),
    (
        "binary meta",
        lambda f: (f / "affectvlm.json").write_bytes(b"\xff\xfe\x00"),
        "affectvlm.json",
        "not a text file",
    ),
    (
        "newer",
        _meta_edit(format_version=2),
        "affectvlm.json",
        "saved by another affectvlm version (model format version 2",
    ),
    (
        "no vision",
        _meta_edit(vision_config=None),
        "affectvlm.json",
        "incomplete model description (no vision_config)",
    ),
    (
        "bad vision",
        _meta_edit(vision_config={"hidden_size": "x"}),
        "affectvlm.json",
        "the saved encoder configs cannot be rebuilt",
    ),
    (
        "no tokenizer",
        lambda f: shutil.rmtree(f / "tokenizer"),
        "tokenizer",
        "tokenizer folder missing",
    ),
    (
        "bad bank",
        lambda f: (f / "prompt_bank.json").write_text("{"),
        "prompt_bank.json",
        "not valid JSON",
    ),
]


@pytest.mark.parametrize(
    "spoil, file, fault", [c[1:] for c in BROKEN_FOLDERS], ids=[c[0] for c in BROKEN_FOLDERS]
)
def test_a_broken_or_foreign_model_folder_says_which_file_and_what_is_wrong(
    saved_tiny, tmp_path, spoil, file, fault
):
    _, folder = saved_tiny
    copy = shutil.copytree(folder, tmp_path / "model")
    spoil(copy)
    with pytest.raises(ModelLoadError) as info:
        AffectVLM.from_pretrained(copy)
    assert info.value.source == str(copy / file) and fault in info.value.reason
    assert "weights_only" not in str(info.value)

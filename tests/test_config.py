"""The typed config machinery: presets, files, overrides, errors naming the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from affectvlm import config
from affectvlm.config import ConfigError


@dataclass
class Inner:
    size: int = 224
    names: list[str] = field(default_factory=lambda: ["frontal", "left"])
    mode: Literal["a", "b"] = "a"


@dataclass
class Outer:
    seed: int = 0
    rate: float = 0.1
    flag: bool = False
    label: str | None = None
    inner: Inner = field(default_factory=Inner)


def test_defaults_come_from_the_dataclass():
    cfg = config.load(Outer)
    assert cfg == Outer()


def test_overrides_are_parsed_as_toml_values():
    cfg = config.load(Outer, overrides=["inner.size=64", "flag=true", "rate=3", "label=hello"])
    assert cfg.inner.size == 64
    assert cfg.flag is True
    assert cfg.rate == 3.0 and isinstance(cfg.rate, float)
    assert cfg.label == "hello"


def test_file_then_override_order(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("seed = 5\n[inner]\nsize = 32\nnames = ['x']\n")
    cfg = config.load(Outer, files=[path], overrides=["inner.size=48"])
    assert (cfg.seed, cfg.inner.size, cfg.inner.names) == (5, 48, ["x"])


def test_unknown_key_is_an_error_naming_the_dotted_key():
    with pytest.raises(ConfigError, match=r"unknown config key 'inner\.sise'"):
        config.load(Outer, overrides=["inner.sise=3"])


def test_badly_typed_value_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"inner\.size: expected an integer"):
        config.load(Outer, overrides=["inner.size='big'"])
    with pytest.raises(ConfigError, match=r"flag: expected true or false"):
        config.load(Outer, overrides=["flag=1"])
    with pytest.raises(ConfigError, match=r"inner\.mode: expected one of"):
        config.load(Outer, overrides=["inner.mode=c"])


def test_malformed_override_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"section\.key=value"):
        config.load(Outer, overrides=["seed"])
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(Outer, files=[tmp_path / "nope.toml"])


def test_saved_config_reloads_to_the_same_value(tmp_path):
    cfg = config.load(Outer, overrides=["label=x y", "inner.names=['a','b']", "seed=9"])
    path = config.save(cfg, tmp_path / "resolved.toml")
    assert config.load(Outer, files=[path]) == cfg


def test_unknown_preset_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        config.read_preset("nope")

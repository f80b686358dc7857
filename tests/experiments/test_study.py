"""Study files: loading, variant expansion, run units, variant configs."""

import pytest

from affectvlm.config import ConfigError
from affectvlm.experiments import (
    RunSpec,
    Variant,
    expand_runs,
    expand_variants,
    load_study,
    study_names,
    variant_config,
)

SIX = ["anger", "disgust", "fear", "happiness", "sadness", "surprise"]


def test_every_builtin_study_loads():
    names = study_names()
    assert {"ablation", "convergence", "baselines", "cross-dataset", "zero-shot-emotion"} <= set(
        names
    )
    for name in names:
        study = load_study(name)
        assert study.reference_name in [v.name for v in expand_variants(study.variants)]


def test_sweep_expands_into_one_variant_per_value_with_its_override():
    base = Variant("fusion", overrides=["epochs=2"], sweep={"model.fusion": ["logits", "learned"]})
    out = expand_variants([Variant("full"), base])
    assert [v.name for v in out] == ["full", "fusion-logits", "fusion-learned"]
    assert out[1].overrides == ["epochs=2", 'model.fusion="logits"']
    assert out[2].sweep == {}


def test_sweep_over_two_keys_is_a_product():
    v = Variant("grid", sweep={"epochs": [1, 2], "loss.use_mc": [True, False]})
    names = [x.name for x in expand_variants([v])]
    assert names == ["grid-1-true", "grid-1-false", "grid-2-true", "grid-2-false"]


def test_runs_are_variant_major_and_cover_every_seed_and_fold():
    study = load_study("ablation")
    runs = expand_runs(study, [0, 1], [0, 2])
    variants = [v.name for v in expand_variants(study.variants)]
    assert len(runs) == len(variants) * 4
    assert runs[:4] == [RunSpec(variants[0], s, k) for s in (0, 1) for k in (0, 2)]
    assert len(set(runs)) == len(runs)


def test_variant_config_applies_base_variant_and_seed(tmp_path):
    study = load_study("ablation")
    one_view = next(v for v in expand_variants(study.variants) if v.name == "one-view")
    config = variant_config(study, one_view, 3, SIX)
    assert config.seed == 3 and config.progress is False and config.patience == 0
    assert [v.name for v in config.render.views] == ["frontal"] and config.model.num_views == 1
    learned = next(v for v in expand_variants(study.variants) if v.name == "fusion-learned")
    assert variant_config(study, learned, 0, SIX).model.fusion == "learned"


def test_zero_shot_variant_trains_on_the_seen_classes():
    study = load_study("zero-shot-emotion")
    v = next(v for v in expand_variants(study.variants) if v.kind == "zero-shot")
    config = variant_config(study, v, 0, SIX)
    assert v.holdout not in config.classes and len(config.classes) == 5


@pytest.mark.parametrize(
    "body, fault",
    [
        ('name = "x"\n[[variants]]\nname = "a"\n[[variants]]\nname = "a"\n', "repeat"),
        ('name = "x"\nreference = "b"\n[[variants]]\nname = "a"\n', "reference"),
        ('name = "x"\n[[variants]]\nname = "a"\nkind = "zero-shot"\n', "holdout"),
        ('name = "x"\n[[variants]]\nname = "a"\nkind = "magic"\n', "kind"),
        ('name = "x"\ntypo = 1\n[[variants]]\nname = "a"\n', "typo"),
    ],
)
def test_bad_study_file_names_the_file_and_the_fault(tmp_path, body, fault):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=fault) as info:
        load_study(str(path))
    assert "bad.toml" in str(info.value)


def test_unknown_study_lists_the_builtin_ones():
    with pytest.raises(ConfigError, match="ablation"):
        load_study("no-such-study")

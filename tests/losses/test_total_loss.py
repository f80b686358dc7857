import pytest
import torch

from affectvlm.losses import (
    AffectVLMLoss,
    LabelAwareITCLoss,
    LossConfig,
    MultiviewContrastiveLoss,
    MultiviewTripletLoss,
)


def _inputs():
    g = torch.Generator().manual_seed(4)
    views = torch.randn(6, 3, 8, generator=g)
    return (
        views.mean(dim=1),
        views,
        torch.randn(6, 8, generator=g),
        torch.tensor([0, 1, 2, 0, 1, 2]),
    )


def test_total_is_the_weighted_sum_of_the_enabled_terms():
    fused, views, text, labels = _inputs()
    cfg = LossConfig(lambda_mc=0.7, lambda_mt=0.3, triplet_margin=0.25, mining="all")
    out = AffectVLMLoss(cfg)(fused, views, text, labels, torch.tensor(10.0))
    itc = LabelAwareITCLoss()(fused, text, labels, torch.tensor(10.0)).item()
    mc = MultiviewContrastiveLoss(cfg.alpha_max, cfg.alpha_init)(views, labels).item()
    mt = MultiviewTripletLoss(0.25, "all")(views, labels).item()
    assert out.itc == pytest.approx(itc, abs=1e-6)
    assert out.mc == pytest.approx(mc, abs=1e-6)
    assert out.mt == pytest.approx(mt, abs=1e-6)
    assert out.total.item() == pytest.approx(itc + 0.7 * mc + 0.3 * mt, abs=1e-5)
    assert out.alpha == pytest.approx(cfg.alpha_init, abs=1e-6)


def test_disabled_terms_contribute_nothing_and_report_zero():
    fused, views, text, labels = _inputs()
    out = AffectVLMLoss(LossConfig(use_mc=False, use_mt=False))(
        fused, views, text, labels, torch.tensor(10.0)
    )
    assert out.mc == 0.0 and out.mt == 0.0 and out.alpha is None
    assert out.total.item() == pytest.approx(out.itc, abs=1e-6)


def test_class_prompt_mode_scores_images_against_class_texts():
    fused, views, _, labels = _inputs()
    classes = torch.randn(3, 8)
    out = AffectVLMLoss(LossConfig(use_mc=False, use_mt=False))(
        fused, views, classes, labels, torch.tensor(10.0), text_labels=torch.arange(3)
    )
    want = LabelAwareITCLoss()(fused, classes, labels, torch.tensor(10.0), torch.arange(3))
    assert out.itc == pytest.approx(want.item(), abs=1e-6)


def test_loss_config_rejects_inconsistent_settings():
    with pytest.raises(ValueError, match="at least one"):
        LossConfig(use_itc=False, use_mc=False, use_mt=False)
    with pytest.raises(ValueError, match="alpha"):
        LossConfig(alpha_init=0.6, alpha_max=0.5)

import torch

from affectvlm.losses import AffectVLMLoss, LossConfig
from affectvlm.model import AffectVLM, model_preset, param_groups


def _two_class_batch(seed=0):
    """Class 0: bright top half, class 1: bright bottom half; views are shifted copies."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(8, 3, 3, 64, 64, generator=g) * 0.3
    labels = torch.tensor([0, 1] * 4)
    for i, label in enumerate(labels.tolist()):
        for v in range(3):
            rows = slice(4 + v, 30 + v) if label == 0 else slice(34 + v, 60 + v)
            images[i, v, :, rows] += 0.6
    return images, labels


def test_tiny_model_overfits_a_two_class_batch_with_the_total_loss():
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset("tiny")).train()
    loss_fn = AffectVLMLoss(LossConfig(mining="batch_hard"))
    opt = torch.optim.AdamW(param_groups(model, 1e-3, 1e-3, 0.01, extra=[loss_fn]))
    images, labels = _two_class_batch()
    classes = ["happiness", "anger"]
    history = []
    for _ in range(40):
        text = model.class_text_embeddings(None, classes)
        out = model(images, text)
        loss = loss_fn(
            out.fused_embed,
            out.view_embeds,
            text,
            labels,
            out.logit_scale,
            text_labels=torch.arange(2),
        )
        opt.zero_grad()
        loss.total.backward()
        opt.step()
        history.append(loss.total.item())
    assert history[-1] < 0.5 * history[0]
    model.eval()
    with torch.no_grad():
        out = model(images, model.class_text_embeddings(None, classes))
    assert torch.equal(out.logits.argmax(dim=1), labels)

import math

import torch
import torch.nn.functional as F

from affectvlm.losses import LabelAwareITCLoss, label_aware_targets


def _hand_itc(img, txt, labels, text_labels, scale):
    """Explicit loops: mean over rows of −mean_{positives} log softmax, both directions."""
    img = F.normalize(img, dim=-1).tolist()
    txt = F.normalize(txt, dim=-1).tolist()
    logits = [[scale * sum(a * b for a, b in zip(i, t, strict=True)) for t in txt] for i in img]

    def direction(rows, row_labels, col_labels):
        losses = []
        for r, row in enumerate(rows):
            pos = [j for j, c in enumerate(col_labels) if c == row_labels[r]]
            if not pos:
                continue
            lse = math.log(sum(math.exp(v) for v in row))
            losses.append(-sum(row[j] - lse for j in pos) / len(pos))
        return sum(losses) / len(losses)

    cols = [list(c) for c in zip(*logits, strict=True)]
    return 0.5 * (direction(logits, labels, text_labels) + direction(cols, text_labels, labels))


def test_itc_per_sample_prompts_matches_hand_computation():
    g = torch.Generator().manual_seed(0)
    img, txt = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    labels = torch.tensor([0, 0, 1, 2, 1])
    got = LabelAwareITCLoss()(img, txt, labels, torch.tensor(3.0))
    want = _hand_itc(img, txt, labels.tolist(), labels.tolist(), 3.0)
    assert abs(got.item() - want) < 1e-5


def test_itc_class_prompts_matches_hand_computation_and_skips_absent_classes():
    g = torch.Generator().manual_seed(1)
    img, txt = torch.randn(4, 3, generator=g), torch.randn(3, 3, generator=g)
    labels = torch.tensor([0, 0, 1, 1])  # class 2 absent: only a negative for the images
    got = LabelAwareITCLoss()(img, txt, labels, torch.tensor(2.0), text_labels=torch.arange(3))
    want = _hand_itc(img, txt, labels.tolist(), [0, 1, 2], 2.0)
    assert abs(got.item() - want) < 1e-5


def test_targets_spread_over_same_label_columns_only():
    t = label_aware_targets(torch.tensor([0, 0, 1]), torch.tensor([0, 0, 1]))
    want = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    assert torch.equal(t, want)


def test_same_emotion_pair_gets_the_gradient_of_a_positive_not_a_negative():
    # Image 0 and text 1 share a label. With equal logits on the diagonal and on (0, 1),
    # a label-aware loss must treat them the same; CLIP's diagonal loss would push (0, 1) down.
    img = F.normalize(torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), dim=-1)
    txt = img.clone().requires_grad_(True)
    labels = torch.tensor([0, 0, 1])
    loss = LabelAwareITCLoss()(img, txt, labels, torch.tensor(5.0))
    loss.backward()
    assert torch.allclose(txt.grad[0], txt.grad[1], atol=1e-7)
    logits = (5.0 * img @ txt.detach().t()).requires_grad_(True)
    clip = 0.5 * (
        F.cross_entropy(logits, torch.arange(3)) + F.cross_entropy(logits.t(), torch.arange(3))
    )
    clip.backward()
    assert logits.grad[0, 1] > 0  # the false negative a plain CLIP loss would create


def test_itc_gradient_on_same_class_logits_vanishes_at_the_target():
    labels = torch.tensor([0, 0, 1, 1])
    # perfectly separated classes, both samples of a class identical → softmax = targets
    img = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    txt = img.clone().requires_grad_(True)
    loss = LabelAwareITCLoss()(img, txt, labels, torch.tensor(100.0))
    loss.backward()
    assert abs(loss.item() - math.log(2)) < 1e-4  # entropy of the two-positive target
    assert txt.grad.abs().max() < 1e-4

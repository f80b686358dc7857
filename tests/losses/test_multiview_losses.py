import itertools

import torch
import torch.nn.functional as F

from affectvlm.losses import MultiviewContrastiveLoss, MultiviewTripletLoss


def _flat(views, labels):
    n, v, _ = views.shape
    z = F.normalize(views.reshape(n * v, -1), dim=-1).tolist()
    return z, [int(labels[i // v]) for i in range(n * v)]


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def _sq(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def _batch():
    g = torch.Generator().manual_seed(2)
    return torch.randn(4, 3, 5, generator=g), torch.tensor([0, 1, 0, 2])


def test_multiview_contrastive_matches_hand_computation():
    views, labels = _batch()
    loss = MultiviewContrastiveLoss(alpha_max=0.5, alpha_init=0.1)
    z, y = _flat(views, labels)
    pos, neg = [], []
    for i, j in itertools.permutations(range(len(z)), 2):
        c = _cos(z[i], z[j])
        (pos if y[i] == y[j] else neg).append(c)
    want = sum(1 - c for c in pos) / len(pos) + sum(max(0.0, c - 0.1) for c in neg) / len(neg)
    assert abs(loss(views, labels).item() - want) < 1e-5
    assert abs(loss.alpha.item() - 0.1) < 1e-6


def test_alpha_stays_strictly_inside_bounds_when_optimised_hard():
    # all embeddings equal → every negative hinge is active → the gradient pushes α up
    views, labels = torch.ones(4, 3, 5), torch.tensor([0, 1, 0, 1])
    loss = MultiviewContrastiveLoss(alpha_max=0.4, alpha_init=0.2)
    opt = torch.optim.Adam(loss.parameters(), lr=1.0)
    for _ in range(300):
        opt.zero_grad()
        loss(views, labels).backward()
        opt.step()
    alpha = loss.alpha.item()
    assert 0.39 < alpha < 0.4


def test_triplet_batch_hard_matches_hand_computation():
    views, labels = _batch()
    z, y = _flat(views, labels)
    losses = []
    for a in range(len(z)):
        ps = [_sq(z[a], z[p]) for p in range(len(z)) if p != a and y[p] == y[a]]
        ns = [_sq(z[a], z[n]) for n in range(len(z)) if y[n] != y[a]]
        if ps and ns:
            losses.append(max(0.0, max(ps) - min(ns) + 0.3))
    got = MultiviewTripletLoss(margin=0.3, mining="batch_hard")(views, labels)
    assert abs(got.item() - sum(losses) / len(losses)) < 1e-5


def test_triplet_all_averages_over_active_triplets():
    views, labels = _batch()
    z, y = _flat(views, labels)
    active = []
    for a, p, n in itertools.product(range(len(z)), repeat=3):
        if p != a and y[p] == y[a] and y[n] != y[a]:
            t = _sq(z[a], z[p]) - _sq(z[a], z[n]) + 0.3
            if t > 0:
                active.append(t)
    got = MultiviewTripletLoss(margin=0.3, mining="all")(views, labels)
    assert active and abs(got.item() - sum(active) / len(active)) < 1e-5


def test_triplet_is_zero_when_classes_are_separated_beyond_the_margin():
    views = torch.tensor([[[1.0, 0.0]] * 2, [[0.0, 1.0]] * 2])
    for mining in ("batch_hard", "all"):
        assert MultiviewTripletLoss(0.5, mining)(views, torch.tensor([0, 1])).item() == 0.0


def test_multiview_losses_do_not_grow_with_batch_size():
    views, labels = _batch()
    big_views, big_labels = views.repeat(3, 1, 1), labels.repeat(3)
    for loss in (MultiviewTripletLoss(0.3, "batch_hard"), MultiviewTripletLoss(0.3, "all")):
        assert abs(loss(views, labels).item() - loss(big_views, big_labels).item()) < 1e-4
    mc = MultiviewContrastiveLoss()
    # duplicating samples adds zero-distance positives, so L_mc may only go down, not up
    assert mc(big_views, big_labels).item() <= mc(views, labels).item() + 1e-6

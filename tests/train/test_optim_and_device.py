import itertools

import pytest
import torch

from affectvlm.device import resolve_device
from affectvlm.train.distributed import DistInfo, EpochSampler, shard_indices
from affectvlm.train.optim import OptimConfig, WarmupCosine, build_optimizer, build_scheduler


def test_warmup_rises_linearly_then_cosine_decays_to_the_floor():
    f = WarmupCosine(total_steps=10, warmup_steps=4, min_ratio=0.1)
    values = [f(s) for s in range(10)]
    assert values[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert values[4] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(values[4:]))
    assert f(10) == pytest.approx(0.1)


def test_scheduler_state_survives_a_weights_only_round_trip(tmp_path):
    p = torch.nn.Parameter(torch.zeros(2))
    opt = build_optimizer([{"params": [p], "lr": 0.1, "weight_decay": 0.0}], OptimConfig())
    sched = build_scheduler(opt, OptimConfig(warmup_epochs=1), steps_per_epoch=3, epochs=2)
    for _ in range(2):
        opt.step()
        sched.step()
    torch.save(sched.state_dict(), tmp_path / "s.pt")
    state = torch.load(tmp_path / "s.pt", weights_only=True)
    assert state["last_epoch"] == 2


def test_device_auto_falls_back_to_cpu_and_unknown_names_fail():
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")


def test_epoch_sampler_order_depends_only_on_seed_and_epoch_and_shards_cover_all():
    a = EpochSampler(10, DistInfo(), seed=3)
    b = EpochSampler(10, DistInfo(), seed=3)
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) == list(b)
    assert {e for _, e in a} == {1}
    b.set_epoch(2)
    assert [i for i, _ in a] != [i for i, _ in b]
    shards = [list(shard_indices(7, DistInfo(rank=r, world_size=2))) for r in range(2)]
    assert sorted(shards[0] + shards[1]) == list(range(7))

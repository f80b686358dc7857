"""Two gloo CPU processes must give the single-process loss and gradients on the full batch."""

import gc
import socket
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from affectvlm.losses import AffectVLMLoss, LossConfig

N, V, D_IN, D = 8, 3, 6, 4
JOIN_TIMEOUT_S = 120


class _Heads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.image = nn.Linear(D_IN, D)
        self.text = nn.Linear(D_IN, D)

    def forward(self, x, t):
        return self.image(x), self.text(t)


def _data():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(N, V, D_IN, generator=g)
    t = torch.randn(N, D_IN, generator=g)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    return x, t, labels


def _step(model, loss_fn, x, t, labels):
    views, texts = model(x, t)  # through DDP's forward, so its gradient hooks run
    out = loss_fn(views.mean(dim=1), views, texts, labels, torch.tensor(10.0))
    out.total.backward()
    return out


def _worker(rank, world, port, result_path):
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        model = nn.parallel.DistributedDataParallel(_Heads())
        loss_fn = AffectVLMLoss(LossConfig(mining="all"))
        x, t, labels = _data()
        part = slice(rank * N // world, (rank + 1) * N // world)
        out = _step(model, loss_fn, x[part], t[part], labels[part])
        if rank == 0:
            grads = {n: p.grad.clone() for n, p in model.module.named_parameters()}
            grads["alpha_raw"] = loss_fn.mc.alpha_raw.grad.clone()
            torch.save({"total": out.total.detach(), "grads": grads}, result_path)
        del model, out  # the DDP reducer holds the process group: drop it first
    finally:
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


def _spawn_bounded(fn, args, nprocs, timeout_s):
    """``mp.spawn`` whose join gives up after ``timeout_s`` and kills what is left."""
    ctx = mp.spawn(fn, args=args, nprocs=nprocs, join=False)
    deadline = time.monotonic() + timeout_s
    while not ctx.join(timeout=1):
        if time.monotonic() > deadline:
            for proc in ctx.processes:
                if proc.is_alive():
                    proc.kill()
            pytest.fail(f"{nprocs}-process run did not finish within {timeout_s} s")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_loss_and_gradients_equal_single_process_on_full_batch(tmp_path):
    result = tmp_path / "rank0.pt"
    _spawn_bounded(_worker, (2, _free_port(), str(result)), 2, JOIN_TIMEOUT_S)
    got = torch.load(result)

    model, loss_fn = _Heads(), AffectVLMLoss(LossConfig(mining="all"))
    x, t, labels = _data()
    out = _step(model, loss_fn, x, t, labels)
    assert torch.allclose(got["total"], out.total.detach(), atol=1e-6)
    want = {n: p.grad for n, p in model.named_parameters()}
    want["alpha_raw"] = loss_fn.mc.alpha_raw.grad
    for name, grad in want.items():
        assert torch.allclose(got["grads"][name], grad, atol=1e-6), name

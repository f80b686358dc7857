"""Forward and forward+backward time of the AffectVLM model and loss, per batch.

    .venv/bin/python bench/bench_model.py --presets tiny vit-b-32-random --batch 8 --views 3

Each step encodes B×V images at the tower's input size, scores them against the 7 emotion
classes and computes the total loss (ITC + L_mc + L_mt); "train" adds the backward pass (no
optimiser step). Measured twice: with the class text embeddings precomputed, and with the
class-prompt ensemble (every prompt of the bank) encoded in the step. Median over
``--repeats`` after one warm-up step.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from affectvlm import EMOTIONS
from affectvlm.losses import AffectVLMLoss
from affectvlm.model import AffectVLM, model_preset


def _step(model, loss_fn, images, labels, backward: bool, text=None) -> None:
    """One batch; ``text`` given means precomputed class embeddings (text tower skipped)."""
    if text is None:
        text = model.class_text_embeddings(None, EMOTIONS)
    out = model(images, text)
    loss = loss_fn(
        out.fused_embed,
        out.view_embeds,
        text,
        labels,
        out.logit_scale,
        text_labels=torch.arange(len(EMOTIONS), device=labels.device),
    )
    if backward:
        model.zero_grad(set_to_none=True)
        loss.total.backward()


def _time(fn, device: torch.device, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def bench_preset(name: str, batch: int, views: int, repeats: int, device: torch.device) -> dict:
    torch.manual_seed(0)
    model = AffectVLM.from_config(model_preset(name)).to(device).train()
    loss_fn = AffectVLMLoss().to(device)
    size = model.vision_tower.image_size
    g = torch.Generator().manual_seed(0)
    images = torch.rand(batch, views, 3, size, size, generator=g).to(device)
    labels = (torch.arange(batch) % len(EMOTIONS)).to(device)

    with torch.no_grad():
        cached = model.class_text_embeddings(None, EMOTIONS)
    prompts = sum(len(model.prompt_bank.all(e)) for e in EMOTIONS)

    def run(backward: bool, text) -> float:
        def fn():
            with torch.set_grad_enabled(backward):
                _step(model, loss_fn, images, labels, backward, text)

        return _time(fn, device, 1, repeats)

    params = sum(p.numel() for p in model.parameters())
    return {
        "preset": name,
        "params_M": params / 1e6,
        "image_size": size,
        "prompts": prompts,
        "img_fwd": run(False, cached),
        "img_train": run(True, cached),
        "full_fwd": run(False, None),
        "full_train": run(True, None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "vit-b-32-random"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(
        f"device={device} threads={torch.get_num_threads()} torch={torch.__version__} "
        f"B={args.batch} V={args.views} repeats={args.repeats} (median)"
    )
    print("images: text embeddings precomputed; +prompts: the class-prompt ensemble is encoded")
    print("in every step too. ms per batch; train = forward + loss + backward.")
    head = ["preset", "params(M)", "img", "prompts", "fwd", "train", "fwd+prompts", "train+prompts"]
    print(f"{head[0]:<17}" + "".join(f"{h:>14}" for h in head[1:]))
    for name in args.presets:
        r = bench_preset(name, args.batch, args.views, args.repeats, device)
        cells = [f"{r['params_M']:.1f}", r["image_size"], r["prompts"]]
        cells += [f"{r[k]:.1f}" for k in ("img_fwd", "img_train", "full_fwd", "full_train")]
        print(f"{r['preset']:<17}" + "".join(f"{c:>14}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Latency of one prediction from file: read a 35k-vertex .wrl scan + render 3 views + forward.

Run: ``.venv/bin/python bench/bench_predict.py [--runs 7] [--device cpu]``. Models are
random-init (``tiny`` and ``vit-b-32-random``), saved with the trainer's own save function
and reloaded through ``Predictor.from_checkpoint``; views are rendered at the model's input
size. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from affectvlm import EMOTIONS
from affectvlm.infer import Predictor
from affectvlm.io import read_scan
from affectvlm.model import AffectVLM, model_preset
from affectvlm.render.config import RenderConfig
from affectvlm.synth import make_identity
from affectvlm.synth.scans import sample_face
from affectvlm.synth.texture import face_texture
from affectvlm.synth.writers import format_vrml
from affectvlm.train.components import save_best_model
from affectvlm.train.config import TrainConfig

GOALS = {"tiny": 1.0, "vit-b-32-random": 2.0}


def write_scan(folder: Path, resolution: int = 240) -> Path:
    """A BU-4DFE-like frame: ~36k vertices, VRML with a 512² JPEG texture."""
    identity = make_identity(0)
    sample = sample_face(identity, "happiness", 4, resolution=resolution, rng=None)
    path = folder / "000.wrl"
    path.write_bytes(format_vrml(sample.vertices, sample.model, "000.jpg", style="bu4dfe"))
    Image.fromarray(face_texture(identity, 512)).save(folder / "000.jpg", quality=90)
    return path


def make_checkpoint(folder: Path, preset: str) -> Path:
    torch.manual_seed(0)
    model_config = model_preset(preset)
    size = model_config.vision.image_size
    config = TrainConfig(model=model_config, render=RenderConfig(image_size=size))
    model = AffectVLM.from_config(config.model, config.text)
    save_best_model(model, config, list(EMOTIONS), folder / "model")
    return folder


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scan_path = write_scan(tmp)
        n_vertices = len(read_scan(scan_path).vertices)
        rows = []
        for preset, goal in GOALS.items():
            predictor = Predictor.from_checkpoint(
                make_checkpoint(tmp / preset, preset), device=args.device
            )
            scan = read_scan(scan_path)
            rendered = predictor.render(scan)
            images = predictor.images(rendered.array)

            def forward(images=images, predictor=predictor):
                with torch.no_grad():
                    predictor.model.encode_images(images)
                if predictor.device.type == "cuda":
                    torch.cuda.synchronize(predictor.device)

            read = median_ms(lambda: read_scan(scan_path), args.runs)
            render = median_ms(lambda scan=scan, p=predictor: p.render(scan), args.runs)
            fwd = median_ms(forward, args.runs)
            total = median_ms(lambda p=predictor: p.predict(scan_path), args.runs)
            size = predictor.render_config.image_size
            rows.append((preset, size, read, render, fwd, total, goal))
    print(
        f"One {n_vertices}-vertex .wrl scan, 3 views, device {args.device}, "
        f"torch threads {torch.get_num_threads()}, median of {args.runs} runs\n"
    )
    print("| model | view px | read ms | render ms | forward ms | file → probs ms | goal |")
    print("|---|---|---|---|---|---|---|")
    for preset, size, read, render, fwd, total, goal in rows:
        verdict = "met" if total < 1000 * goal else "missed"
        print(
            f"| {preset} | {size} | {read:.0f} | {render:.0f} | {fwd:.0f} | {total:.0f} "
            f"| < {goal:g} s ({verdict}) |"
        )


if __name__ == "__main__":
    main()

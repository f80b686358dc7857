"""Milliseconds per 224² view: the package's torch rasterizer (CPU) vs pyrender + OSMesa.

Renders 3 views (frontal, ±20° yaw) of a ~35k-vertex / ~70k-triangle synthetic textured face,
alternating the two renderers round by round so machine load hits both alike. pyrender is a
benchmark-only peer: ``pip install pyrender pyopengl==3.1.7`` and Debian ``libosmesa6``.

    .venv/bin/python bench/bench_render.py [--rounds 15] [--threads 2] [--size 224]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import numpy as np
import torch

from affectvlm.render import RenderConfig, normalise, render_views
from affectvlm.render.camera import view_rotations
from affectvlm.synth import make_face, make_identity


def ours(scan, config):
    def run() -> None:
        render_views(scan, config)

    return run


def pyrender_peer(scan, config):
    """The same views with pyrender: textured, one directional light, colour + depth."""
    import pyrender
    import trimesh
    from PIL import Image

    norm = normalise(scan)
    vertices = norm.apply(scan.vertices)
    visual = trimesh.visual.TextureVisuals(uv=scan.uv, image=Image.fromarray(scan.texture))
    mesh = trimesh.Trimesh(vertices, scan.faces, visual=visual, process=False)
    scene = pyrender.Scene(ambient_light=(0.2, 0.2, 0.2))
    node = scene.add(pyrender.Mesh.from_trimesh(mesh))
    mag = 1.0 / config.fill
    camera_pose = np.eye(4)
    camera_pose[2, 3] = 3.0
    scene.add(pyrender.OrthographicCamera(xmag=mag, ymag=mag, znear=0.1, zfar=10), pose=camera_pose)
    scene.add(pyrender.DirectionalLight(intensity=3.0), pose=camera_pose)
    renderer = pyrender.OffscreenRenderer(config.image_size, config.image_size)
    poses = []
    for rot in view_rotations(config.views):
        pose = np.eye(4)
        pose[:3, :3] = rot
        poses.append(pose)

    def run() -> None:
        for pose in poses:
            scene.set_pose(node, pose)
            renderer.render(scene)

    return run


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--resolution", type=int, default=236, help="synthetic face grid rows")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    scan = make_face(make_identity(0), "happiness", 4, resolution=args.resolution, rng=0)
    print(f"mesh: {len(scan.vertices)} vertices, {len(scan.faces)} triangles, {args.size}² px")
    candidates = {}
    for channels in (["texture"], ["texture", "shading", "depth"]):
        config = RenderConfig(image_size=args.size, channels=channels)
        candidates[f"torch ({'+'.join(channels)})"] = ours(scan, config)
    try:
        peer_config = RenderConfig(image_size=args.size)
        candidates["pyrender+OSMesa (colour+depth)"] = pyrender_peer(scan, peer_config)
    except Exception as exc:  # the peer is optional; say why it is missing
        print(f"pyrender peer unavailable: {type(exc).__name__}: {exc}")

    n_views = 3
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()  # warm-up (allocations, GL context, shader compilation)
    for _ in range(args.rounds):
        for name, fn in candidates.items():
            times[name].append(timed(fn))
    print(f"torch threads: {args.threads}; {args.rounds} rounds, alternating; per view:")
    peer = next((n for n in times if n.startswith("pyrender")), None)
    peer_ms = statistics.median(w for w, _ in times[peer]) * 1000 / n_views if peer else math.nan
    for name, samples in times.items():
        wall = statistics.median(w for w, _ in samples) * 1000 / n_views
        cpu = statistics.median(c for _, c in samples) * 1000 / n_views
        speed = f"  {peer_ms / wall:4.1f}× vs pyrender" if peer and name != peer else ""
        print(f"  {name:34s} wall {wall:7.1f} ms   cpu {cpu:7.1f} ms{speed}")


if __name__ == "__main__":
    main()

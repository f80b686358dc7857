"""Tiny synthetic meshes for the renderer tests (no reader or generator needed)."""

from __future__ import annotations

import numpy as np

from affectvlm.io.scan import Scan


def grid(n: int, half: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An (n+1)² vertex grid over [-half, half]² in x/y, its triangles and its (u, v)."""
    ticks = np.linspace(-half, half, n + 1)
    xs, ys = np.meshgrid(ticks, ticks)
    xy = np.stack([xs.ravel(), ys.ravel()], axis=1)
    i = np.arange(n)[:, None] * (n + 1) + np.arange(n)[None, :]
    a, b, c, d = i, i + 1, i + n + 1, i + n + 2
    faces = np.concatenate([np.stack([a, b, d], -1), np.stack([a, d, c], -1)]).reshape(-1, 3)
    uv = (xy + half) / (2 * half)
    return xy, faces, uv


def plane(z: float = 0.0, half: float = 50.0, n: int = 8) -> Scan:
    """A flat square facing +z at depth ``z`` (mm)."""
    xy, faces, uv = grid(n, half)
    vertices = np.concatenate([xy, np.full((len(xy), 1), z)], axis=1)
    return Scan(vertices=vertices, faces=faces, uv=uv, uv_faces=faces)


def bumped_face(n: int = 40, half: float = 80.0, bump_x: float = 0.45, seed: int = 0) -> Scan:
    """A dome with a bump at x = bump_x · half (asymmetric unless 0), coloured by position."""
    xy, faces, _ = grid(n, half)
    r2 = (xy**2).sum(1) / half**2
    z = 40.0 * np.sqrt(np.clip(1.0 - 0.8 * r2, 0, None))
    bump = np.exp(-(((xy[:, 0] / half - bump_x) ** 2 + (xy[:, 1] / half) ** 2) / 0.02))
    z = z + 25.0 * bump
    vertices = np.concatenate([xy, z[:, None]], axis=1)
    colors = np.stack(
        [0.5 + 0.5 * xy[:, 0] / half, 0.5 + 0.5 * xy[:, 1] / half, 0.3 + bump * 0.6], 1
    )
    return Scan(vertices=vertices, faces=faces, colors=np.clip(colors, 0, 1))


def two_colour_quad(half: float = 50.0) -> Scan:
    """A quad whose texture is red on the left half and blue on the right, green top row."""
    xy, faces, uv = grid(1, half)
    vertices = np.concatenate([xy, np.zeros((len(xy), 1))], axis=1)
    texture = np.zeros((8, 8, 3), dtype=np.uint8)
    texture[:, :4] = (255, 0, 0)
    texture[:, 4:] = (0, 0, 255)
    texture[0, :] = (0, 255, 0)  # row 0 is the top: v = 1
    return Scan(vertices=vertices, faces=faces, uv=uv, uv_faces=faces, texture=texture)


def dense_face(n_vertices: int = 35_000, seed: int = 0) -> Scan:
    """A face-sized textured surface with about ``n_vertices`` vertices (for benchmarks)."""
    n = int(np.sqrt(n_vertices)) - 1
    scan = bumped_face(n=n, half=90.0)
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, size=(512, 512, 3), dtype=np.uint8)
    _, faces, uv = grid(n, 90.0)
    return Scan(vertices=scan.vertices, faces=faces, uv=uv, uv_faces=faces, texture=texture)


def mirrored(scan: Scan) -> Scan:
    """The mirror image of ``scan`` across the x = 0 plane (winding reversed)."""
    vertices = scan.vertices * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    return Scan(vertices=vertices, faces=scan.faces[:, ::-1], colors=scan.colors)


def with_landmarks(scan: Scan) -> Scan:
    """``scan`` with named eye and mouth landmarks at fixed places on it."""
    eyes = [(-30.0, 25.0), (30.0, 25.0)]
    mouth = [(-20.0, -35.0), (20.0, -35.0)]
    points, names = [], []
    for (x, y), name in zip(eyes + mouth, ["eye_r", "eye_l", "mouth_r", "mouth_l"], strict=True):
        nearest = np.argmin(((scan.vertices[:, :2] - (x, y)) ** 2).sum(1))
        points.append(scan.vertices[nearest])
        names.append(name)
    scan.landmarks = np.array(points, dtype=np.float32)
    scan.landmark_names = names
    return scan


def write_obj(scan: Scan, path) -> None:
    """A plain OBJ (vertices with colours, triangles) the package's reader accepts."""
    lines = []
    colours = scan.colors if scan.colors is not None else np.full_like(scan.vertices, 0.5)
    for (x, y, z), (r, g, b) in zip(scan.vertices, colours, strict=True):
        lines.append(f"v {x:.5f} {y:.5f} {z:.5f} {r:.4f} {g:.4f} {b:.4f}")
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in scan.faces]
    path.write_text("\n".join(lines) + "\n")

"""A z-buffer triangle rasterizer in plain torch, vectorised over triangles and batched over views.

Vertices are snapped to 1/16-pixel fixed point, so coverage is decided exactly (integer
values held in float32/float64 well inside their exact range) with the top-left rule: a pixel
belongs to a triangle when its centre lies strictly inside, or on a top or left edge — shared
edges are neither doubled nor cracked. Triangles are bucketed by bounding-box side: small
ones test a fixed grid of candidate pixels, big ones are expanded to their boxes in chunks.
A scatter-min over int64 keys packing (quantised depth, face id) picks the nearest face per
pixel, ties going to the lower face id, so results are deterministic on CPU and CUDA alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SUBPIXEL_BITS = 4
SUBPIXEL = 1 << SUBPIXEL_BITS  # fixed-point steps per pixel
_HALF = SUBPIXEL // 2
FACE_BITS = 24  # face ids below 2**24 fit beside a 28-bit depth in one int64 key
DEPTH_LEVELS = 2**28
CHUNK = 1 << 21  # candidate pixels per chunk (bounds memory on huge triangles)
SMALL_BOXES = (1, 2, 4, 8)  # box sides tested on a fixed grid, in exact float32
_EMPTY = torch.iinfo(torch.int64).max
_A, _B = (1, 2, 0), (2, 0, 1)  # edge i runs from corner _A[i] to _B[i], opposite corner i


@dataclass
class Fragments:
    """The nearest face per pixel; for the covered pixels, their flat index into ``(V, H, W)``
    and perspective-correct barycentric weights in their face."""

    face: torch.Tensor  # (V, H, W) int64 face index, -1 where nothing was hit
    pixels: torch.Tensor  # (K,) int64 flat indices of the covered pixels
    bary: torch.Tensor  # (K, 3) float32

    @property
    def mask(self) -> torch.Tensor:
        return self.face >= 0


def _gather(values: torch.Tensor, idx: list[torch.Tensor]) -> list[torch.Tensor]:
    flat = values.reshape(-1)
    return [flat.index_select(0, i) for i in idx]


def _take(columns: list[torch.Tensor], idx: torch.Tensor) -> list[torch.Tensor]:
    """Rows ``idx`` of a structure of 1-D arrays (1-D gathers are much faster than 2-D)."""
    return [c.index_select(0, idx) for c in columns]


@dataclass
class _Triangles:
    """Every (view, face) pair, as 1-D arrays over ``V * F`` (view-major)."""

    xs: list[torch.Tensor]  # 3 × int32 fixed-point x of the corners
    ys: list[torch.Tensor]
    far: list[torch.Tensor]  # 3 × float32 in [0, 1], 0 = nearest point of the scene
    box_x: torch.Tensor  # int32 first candidate column (clamped to the image)
    box_y: torch.Tensor
    width: torch.Tensor  # int32 candidate columns (clamped)
    height: torch.Tensor


@dataclass
class _Setup:
    """Per triangle of one bucket: edge and depth planes at its first candidate pixel."""

    edges: list[torch.Tensor]  # 9 ×: per edge E at origin (+ top-left bias), dE/dx, dE/dy
    depth: list[torch.Tensor]  # 3 ×: far-ness at origin, d/dx, d/dy
    origin: torch.Tensor  # int64 flat pixel index of the first candidate
    width: torch.Tensor  # int32
    height: torch.Tensor  # int32
    face: torch.Tensor  # int64 face id


def _scatter_single(buffer, tri: _Triangles, keep: torch.Tensor, n_faces: int, size: int):
    """Triangles whose box holds one pixel centre: test it and interpolate depth directly.

    Corners lie within 2 pixels (32 fixed-point steps) of the centre, so edge coefficients
    are below 64 in magnitude and every quantity here is an integer exact in float32. The
    top-left rule folds into one comparison: ``E·4096 + A·64 + B > 0`` holds exactly when
    E > 0, or E = 0 on a top (A = 0, B > 0) or left (A > 0) edge.
    """
    box_x, box_y = tri.box_x[keep], tri.box_y[keep]
    ox = box_x * SUBPIXEL + _HALF
    oy = box_y * SUBPIXEL + _HALF
    rx = [(c - ox).float() for c in _take(tri.xs, keep)]
    ry = [(c - oy).float() for c in _take(tri.ys, keep)]
    sign = torch.sign((rx[1] - rx[0]) * (ry[2] - ry[0]) - (rx[2] - rx[0]) * (ry[1] - ry[0]))
    far = _take(tri.far, keep)
    test, weighted, total = None, None, None
    for i in range(3):
        a, b = _A[i], _B[i]
        coef_a = (ry[a] - ry[b]).mul_(sign)
        coef_b = (rx[b] - rx[a]).mul_(sign)
        edge = -(coef_a * rx[a]).addcmul_(coef_b, ry[a])  # at the pixel centre (the origin)
        rule = (edge * 4096.0).add_(coef_a, alpha=64.0).add_(coef_b)
        test = rule if test is None else torch.minimum(test, rule)
        weighted = edge * far[i] if weighted is None else weighted.addcmul_(edge, far[i])
        total = edge if total is None else total + edge
    view = torch.div(keep, n_faces, rounding_mode="floor")
    depth = (weighted / total.clamp_min(1e-30)).clamp_(0, 1)
    key = (depth.double() * (DEPTH_LEVELS - 1)).long() << FACE_BITS | (keep - view * n_faces)
    key = key.masked_fill_(test <= 0, _EMPTY)
    pix = view * (size * size) + (box_y * size + box_x).long()
    buffer.scatter_reduce_(0, pix, key, reduce="amin")


def _setup(tri: _Triangles, keep: torch.Tensor, n_faces: int, size: int, dtype) -> _Setup:
    """Plane equations relative to each box's first pixel centre, in ``dtype`` (exact for
    the coordinate ranges of the bucket: float32 for small boxes, float64 otherwise)."""
    box_x, box_y = tri.box_x[keep], tri.box_y[keep]
    ox = box_x * SUBPIXEL + _HALF
    oy = box_y * SUBPIXEL + _HALF
    rx = [(c - ox).to(dtype) for c in _take(tri.xs, keep)]
    ry = [(c - oy).to(dtype) for c in _take(tri.ys, keep)]
    sign = torch.sign((rx[1] - rx[0]) * (ry[2] - ry[0]) - (rx[2] - rx[0]) * (ry[1] - ry[0]))
    edges = []
    for i in range(3):
        a, b = _A[i], _B[i]
        coef_a = (ry[a] - ry[b]) * sign
        coef_b = (rx[b] - rx[a]) * sign
        top_left = (coef_a > 0) | ((coef_a == 0) & (coef_b > 0))
        # E is an integer: the centre is covered ⟺ E + top_left - 1 >= 0 on all three edges
        e0 = top_left.to(dtype) - 1 - coef_a * rx[a] - coef_b * ry[a]
        edges += [e0, coef_a * SUBPIXEL, coef_b * SUBPIXEL]

    far = _take(tri.far, keep)
    x = [c / SUBPIXEL for c in rx]  # pixel units, origin at the first candidate's centre
    y = [c / SUBPIXEL for c in ry]
    df1, df2 = (far[1] - far[0]).to(dtype), (far[2] - far[0]).to(dtype)
    dx1, dx2, dy1, dy2 = x[1] - x[0], x[2] - x[0], y[1] - y[0], y[2] - y[0]
    det = dx1 * dy2 - dx2 * dy1
    grad_x = (df1 * dy2 - df2 * dy1) / det
    grad_y = (df2 * dx1 - df1 * dx2) / det
    at_origin = far[0].to(dtype) - grad_x * x[0] - grad_y * y[0]

    view = torch.div(keep, n_faces, rounding_mode="floor")
    origin = view * (size * size) + box_y.long() * size + box_x.long()
    return _Setup(
        edges,
        [at_origin, grad_x, grad_y],
        origin,
        tri.width[keep],
        tri.height[keep],
        keep - view * n_faces,
    )


def _scatter_keys(buffer, st: _Setup, dx, dy, valid, size) -> None:
    """Scatter-min the (depth, face) keys of candidates ``(n, k)`` of triangles ``(n,)``."""
    for i in range(3):
        e0, step_x, step_y = (t[:, None] for t in st.edges[3 * i : 3 * i + 3])
        edge = e0 if dx is None else e0 + step_x * dx + step_y * dy
        valid = edge >= 0 if valid is None else valid & (edge >= 0)
    d0, d_dx, d_dy = (t[:, None] for t in st.depth)
    far = d0 if dx is None else d0 + d_dx * dx + d_dy * dy
    key = (far.clamp(0, 1).double() * (DEPTH_LEVELS - 1)).long() << FACE_BITS
    key = (key | st.face[:, None]).masked_fill_(~valid, _EMPTY)
    pix = st.origin[:, None] if dx is None else st.origin[:, None] + (dy * size + dx).long()
    pix = pix.expand_as(key).masked_fill(~valid, 0)
    buffer.scatter_reduce_(0, pix.reshape(-1), key.reshape(-1), reduce="amin")


def _scatter_small(buffer, st: _Setup, side: int, size: int) -> None:
    """Triangles whose box fits in ``side``²: every one tests a fixed ``side``² grid."""
    if side == 1:
        _scatter_keys(buffer, st, None, None, None, size)
        return
    grid = torch.arange(side * side, device=buffer.device, dtype=torch.int32)
    dx, dy = (grid % side)[None], (grid // side)[None]
    valid = (dx < st.width[:, None]) & (dy < st.height[:, None])
    dtype = st.edges[0].dtype
    _scatter_keys(buffer, st, dx.to(dtype), dy.to(dtype), valid, size)


def _scatter_large(buffer, st: _Setup, size: int) -> None:
    """Big triangles: expand each box to its candidate pixels, chunk by chunk."""
    count = st.width.long() * st.height.long()
    ends = torch.cumsum(count, 0)
    n_tri, start = len(count), 0
    while start < n_tri:
        before = int(ends[start - 1]) if start else 0
        stop = int(torch.searchsorted(ends, torch.tensor(before + CHUNK, device=ends.device)))
        stop = min(max(stop, start + 1), n_tri)
        local = torch.repeat_interleave(
            torch.arange(start, stop, device=ends.device), count[start:stop]
        )
        first = ends.index_select(0, local) - count.index_select(0, local) - before
        offset = torch.arange(local.numel(), device=ends.device) - first
        w = st.width.index_select(0, local).long()
        dy = torch.div(offset, w, rounding_mode="floor")
        dx = offset - dy * w
        part = _Setup(
            _take(st.edges, local),
            _take(st.depth, local),
            st.origin.index_select(0, local),
            w,
            st.height.index_select(0, local),
            st.face.index_select(0, local),
        )
        dtype = part.edges[0].dtype
        # one candidate per row: pass offsets as (n, 1) so planes broadcast per candidate
        _scatter_keys(buffer, part, dx[:, None].to(dtype), dy[:, None].to(dtype), None, size)
        start = stop


def _triangles(xy, nearness, inv_w, faces, size) -> tuple[_Triangles, torch.Tensor, torch.Tensor]:
    """Gather every face corner of every view; return the triangles, a usable-mask and the
    side (in pixels) of each unclamped bounding box."""
    n_views, n_vert = xy.shape[:2]
    limit = 4 * size * SUBPIXEL  # keep far-off vertices inside the exact integer range
    fixed = torch.round(xy * SUBPIXEL).clamp(-limit, limit).to(torch.int32)
    offsets = torch.arange(n_views, device=xy.device)[:, None] * n_vert
    idx = [(offsets + faces[:, c][None]).reshape(-1) for c in range(3)]
    xs = _gather(fixed[..., 0].contiguous(), idx)
    ys = _gather(fixed[..., 1].contiguous(), idx)
    usable = torch.isfinite(nearness)
    if inv_w is not None:
        usable &= inv_w > 0
    lo = nearness.masked_fill(~usable, float("inf")).min()
    hi = nearness.masked_fill(~usable, float("-inf")).max()
    if not bool(torch.isfinite(lo)):  # nothing drawable
        lo = hi = torch.zeros((), device=xy.device)
    far = ((hi - nearness) / (hi - lo).clamp_min(1e-12)).clamp(0, 1).float()
    far = far.masked_fill(~usable, float("nan"))  # NaN corners fail every test below
    far = _gather(far, idx)
    ok = None
    for c in range(3):
        good = far[c] == far[c]
        ok = good if ok is None else ok & good

    def box(c: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        lo = torch.minimum(torch.minimum(c[0], c[1]), c[2])
        hi = torch.maximum(torch.maximum(c[0], c[1]), c[2])
        return (lo - _HALF + SUBPIXEL - 1) >> SUBPIXEL_BITS, (hi - _HALF) >> SUBPIXEL_BITS

    (x0, x1), (y0, y1) = box(xs), box(ys)
    side = torch.maximum(x1 - x0, y1 - y0) + 1
    bx, by = x0.clamp(0, size), y0.clamp(0, size)
    width = (x1.clamp(-1, size - 1) - bx + 1).clamp_min(0)
    height = (y1.clamp(-1, size - 1) - by + 1).clamp_min(0)
    ok &= (width > 0) & (height > 0)
    return _Triangles(xs, ys, far, bx, by, width, height), ok, side


def rasterize(
    xy: torch.Tensor,
    nearness: torch.Tensor,
    inv_w: torch.Tensor | None,
    faces: torch.Tensor,
    size: int,
) -> Fragments:
    """Rasterize ``faces (F, 3)`` seen by V views into ``size``² pixels.

    ``xy (V, N, 2)`` are pixel coordinates (centres at i + 0.5), ``nearness (V, N)`` is
    larger for nearer points and varies linearly in screen space (orthographic depth, or
    1/w under perspective), ``inv_w (V, N)`` is 1/w under perspective (zero marks a vertex
    behind the camera) and ``None`` for orthographic views.
    """
    n_views, n_faces = xy.shape[0], faces.shape[0]
    if n_faces >= 2**FACE_BITS:
        raise ValueError(f"at most {2**FACE_BITS - 1} faces, got {n_faces}")
    if size * SUBPIXEL * 8 >= 2**24:
        raise ValueError(f"image size {size} too large for exact fixed-point rasterization")
    tri, ok, side = _triangles(xy, nearness, inv_w, faces, size)
    buffer = torch.full((n_views * size * size,), _EMPTY, device=xy.device)
    code = torch.bucketize(side, torch.tensor(SMALL_BOXES, device=side.device, dtype=side.dtype))
    code.masked_fill_(~ok, -1)  # 0..3: small-box buckets, 4: larger boxes, -1: not drawn
    for index, bucket in enumerate((*SMALL_BOXES, None)):
        keep = torch.nonzero(code == index).squeeze(1)
        if keep.numel() and bucket == 1:
            _scatter_single(buffer, tri, keep, n_faces, size)
        elif keep.numel():
            dtype = torch.float64 if bucket is None else torch.float32
            st = _setup(tri, keep, n_faces, size, dtype)
            if bucket is None:
                _scatter_large(buffer, st, size)
            else:
                _scatter_small(buffer, st, bucket, size)
    empty = buffer == _EMPTY
    face = (buffer & (2**FACE_BITS - 1)).masked_fill_(empty, -1).view(n_views, size, size)
    pixels = torch.nonzero(~empty).squeeze(1)
    bary = _barycentrics(face, pixels, tri, inv_w, faces, size)
    return Fragments(face=face, pixels=pixels, bary=bary)


def _barycentrics(face, flat, tri: _Triangles, inv_w, faces, size) -> torch.Tensor:
    """Perspective-correct barycentrics ``(K, 3)`` of each covered pixel centre in its face."""
    n_faces = faces.shape[0]
    if flat.numel() == 0:
        return torch.zeros((0, 3), dtype=torch.float32, device=face.device)
    view = torch.div(flat, size * size, rounding_mode="floor")
    pix = flat - view * size * size
    py = torch.div(pix, size, rounding_mode="floor")
    px = pix - py * size
    row = view * n_faces + face.reshape(-1).index_select(0, flat)  # index into V * F
    cx, cy = (px * SUBPIXEL + _HALF).int(), (py * SUBPIXEL + _HALF).int()
    rx = [(c - cx).float() for c in _take(tri.xs, row)]
    ry = [(c - cy).float() for c in _take(tri.ys, row)]
    lam = []  # edge function of the pixel centre (the origin) opposite each corner
    for i in range(3):
        a, b = _A[i], _B[i]
        lam.append((rx[a] - rx[b]) * ry[a] - (ry[a] - ry[b]) * rx[a])
    if inv_w is not None:  # perspective-correct: weight by 1/w of each corner
        corners = [faces[:, c].index_select(0, row - view * n_faces) for c in range(3)]
        iw = _gather(inv_w.float(), [view * inv_w.shape[1] + c for c in corners])
        lam = [v * w for v, w in zip(lam, iw, strict=True)]
    total = lam[0] + lam[1] + lam[2]  # same sign as the area, never 0 for a kept face
    return torch.stack([v / total for v in lam], dim=1).float()

"""A z-buffer triangle rasterizer in plain torch, vectorised over triangles and batched over views.

Vertices are snapped to 1/16-pixel fixed point, so coverage is decided exactly (integer
values held in float32/float64 well inside their exact range) with the top-left rule: a pixel
belongs to a triangle when its centre lies strictly inside, or on a top or left edge — shared
edges are neither doubled nor cracked. On a dense mesh most triangles hold at most one pixel
centre in their bounding box: every (view, face) pair is tested at that centre in one fused,
mask-free float32 pass. The few triangles whose box holds more centres are bucketed by box
side: small ones test a fixed grid of candidate pixels, big ones are expanded to their boxes
in chunks. A scatter-min over int64 keys packing (quantised depth, face id) picks the nearest
face per pixel, ties going to the lower face id, so results are deterministic on CPU and CUDA.
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
SMALL_BOXES = (2, 4, 8)  # box sides tested on a fixed grid, in exact float32
_EMPTY = torch.iinfo(torch.int64).max
_LAST_KEY = (DEPTH_LEVELS << FACE_BITS) - 1  # keys above this mean "nothing drawn"
_A, _B = (1, 2, 0), (2, 0, 1)  # edge i runs from corner _A[i] to _B[i], opposite corner i
_EDGES = tuple(zip(_A, _B, strict=True))


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


def _take(columns: list[torch.Tensor], idx: torch.Tensor) -> list[torch.Tensor]:
    """Rows ``idx`` of a structure of 1-D arrays (1-D gathers are much faster than 2-D)."""
    return [c.index_select(0, idx) for c in columns]


@dataclass
class _Pairs:
    """Every (view, face) pair, as 1-D float32 arrays over ``V * F`` (view-major)."""

    xs: list[torch.Tensor]  # 3 × fixed-point x of the corners (exact integers)
    ys: list[torch.Tensor]
    far: list[torch.Tensor]  # 3 × in [0, 1], 0 = nearest point of the scene; NaN: unusable
    corners: list[torch.Tensor]  # 3 × int32 index of the corner into the (V * N) vertices


@dataclass
class _Buffer:
    """Depth/face keys of every view with a one-pixel margin; the last slot is scratch."""

    keys: torch.Tensor  # (V * stride² + 1,) int64
    size: int
    stride: int  # size + 2

    def origin(self, view: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Flat slots of in-image pixels ``(x, y)`` of ``view`` (int64 tensors)."""
        return view * (self.stride * self.stride) + (y + 1) * self.stride + (x + 1)

    def faces(self, n_views: int) -> torch.Tensor:
        """Face id per pixel ``(V, H, W)``, -1 where nothing was drawn."""
        s = self.stride
        keys = self.keys[:-1].view(n_views, s, s)[:, 1:-1, 1:-1]
        face = keys & (2**FACE_BITS - 1)
        return face.masked_fill_(keys > _LAST_KEY, -1)


def _pairs(xy, nearness, inv_w, faces, size) -> _Pairs:
    """Fixed-point corners and relative depth of every (view, face) pair."""
    n_views, n_vert = xy.shape[:2]
    limit = 4 * size * SUBPIXEL  # keep far-off vertices inside the exact integer range
    fixed = torch.round(xy * SUBPIXEL).clamp_(-limit, limit).float()
    usable = torch.isfinite(nearness)
    if inv_w is not None:
        usable &= inv_w > 0
    lo = nearness.masked_fill(~usable, float("inf")).min()
    hi = nearness.masked_fill(~usable, float("-inf")).max()
    if not bool(torch.isfinite(lo)):  # nothing drawable
        lo = hi = torch.zeros((), device=xy.device)
    far = ((hi - nearness) / (hi - lo).clamp_min(1e-12)).clamp(0, 1).float()
    far = far.masked_fill(~usable, float("nan")).reshape(-1)  # NaN corners fail every test
    offsets = torch.arange(n_views, device=xy.device, dtype=torch.int32)[:, None] * n_vert
    faces32 = faces.to(torch.int32)
    corners = [(offsets + faces32[:, c][None]).reshape(-1) for c in range(3)]
    x, y = fixed[..., 0].reshape(-1), fixed[..., 1].reshape(-1)
    return _Pairs(
        [x.index_select(0, i) for i in corners],
        [y.index_select(0, i) for i in corners],
        [far.index_select(0, i) for i in corners],
        corners,
    )


def _first_centre(c: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last pixel index whose centre lies within the corners' span (exact)."""
    lo = torch.minimum(torch.minimum(c[0], c[1]), c[2])
    hi = torch.maximum(torch.maximum(c[0], c[1]), c[2])
    first = lo.sub_(_HALF).mul_(1.0 / SUBPIXEL).ceil_()
    last = hi.sub_(_HALF).mul_(1.0 / SUBPIXEL).floor_()
    return first, last


def _edges(
    xs: list[torch.Tensor], ys: list[torch.Tensor], centre: tuple[torch.Tensor, torch.Tensor]
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """Edge values at pixel ``centre`` and their per-pixel steps along x and y, per edge.

    Corners lie within 2 pixels of the centre (32 fixed-point steps), so every value is an
    integer exact in float32. One pixel along x adds ``SUBPIXEL · step_x`` to an edge value.
    """
    px, py = centre
    ox, oy = px * SUBPIXEL + _HALF, py * SUBPIXEL + _HALF
    rx = [c - ox for c in xs]
    ry = [c - oy for c in ys]
    e = [torch.mul(rx[a], ry[b]).addcmul_(rx[b], ry[a], value=-1.0) for a, b in _EDGES]
    step_x = [ry[a] - ry[b] for a, b in _EDGES]
    step_y = [rx[b] - rx[a] for a, b in _EDGES]
    return e, step_x, step_y


def _scatter_centres(
    buf: _Buffer,
    e: list[torch.Tensor],
    steps: tuple[list[torch.Tensor], list[torch.Tensor]],
    far: list[torch.Tensor],
    centre: tuple[torch.Tensor, torch.Tensor],
    reject: torch.Tensor | None,
    base: torch.Tensor,
    face_id: torch.Tensor,
    shape: tuple[int, int],
) -> None:
    """Test one pixel centre per triangle and scatter the keys of those that cover it.

    ``e`` are the edge values at ``centre`` (pixel column, row) and ``steps`` their steps (see
    :func:`_edges`); ``reject`` > 0 marks triangles not to draw. The top-left rule folds into
    one sign test per edge: ``E·4096 + A·64 + B > 0`` holds exactly when E > 0, or E = 0 on a
    top (A = 0, B > 0) or left (A > 0) edge. No boolean masks are built (they are slow on
    CPU): coverage becomes a 0/1 factor. ``e``, ``far``, ``centre``, ``base`` (float buffer
    offset of the view) and ``face_id`` (float64) broadcast against triangles of ``shape``.
    """
    px, py = centre
    area = e[0] + e[1] + e[2]  # twice the signed area
    sign = torch.sign(area)
    test = None
    for i, (coef_a, coef_b) in enumerate(zip(*steps, strict=True)):
        rule = torch.add(torch.add(coef_b, coef_a, alpha=64.0), e[i], alpha=4096.0)
        rule = rule.mul_(sign)
        test = rule if test is None else torch.minimum(test, rule)
    depth = e[0] * far[0]  # exact e: the same float32 rounding as a direct evaluation
    depth = depth.addcmul_(e[1], far[1]).addcmul_(e[2], far[2]).div_(area)
    test = test.add_(depth - depth)  # NaN: an unusable corner or zero area
    if reject is not None:
        test = test.sub_(reject.clamp(min=0), alpha=2.0**26)
    missing = test.clamp_(0, 1).nan_to_num_(0.0).sub_(1.0)  # test is an integer: drawn ⟺ ≥ 1
    depth = depth.clamp_(0, 1).nan_to_num_(0.0).double()
    key = depth.mul_(DEPTH_LEVELS - 1).floor_().mul_(2.0**FACE_BITS)
    key = key.view(shape).add_(face_id).view(-1)
    key = key.add_(missing.view(-1), alpha=-(2.0**60)).long()  # not drawn: above _LAST_KEY
    size, stride = buf.size, buf.stride
    row = py.clamp(-1, size).to(base.dtype)  # off-image pixels land in the margin
    slot = row.mul_(stride).add_(px.clamp(-1, size))
    slot = slot.view(shape).add_(base + (stride + 1)).view(-1).long()
    buf.keys.scatter_reduce_(0, slot, key, reduce="amin")


def _draw_single(buf: _Buffer, pairs: _Pairs, n_views: int, n_faces: int) -> torch.Tensor:
    """Test every pair at the first pixel centre of its box and scatter those covering it.

    Returns the number of further centres in each pair's box, ``(V * F,)`` float32 (> 0:
    those pairs are left to :func:`_draw_boxes`).
    """
    first_x, last_x = _first_centre(pairs.xs)
    first_y, last_y = _first_centre(pairs.ys)
    extra = torch.maximum(last_x.sub_(first_x), last_y.sub_(first_y))
    plane = buf.stride * buf.stride
    dtype = torch.float32 if n_views * plane < 2**24 else torch.float64
    base = torch.arange(n_views, device=extra.device, dtype=dtype)[:, None] * plane
    face_id = torch.arange(n_faces, device=extra.device, dtype=torch.float64)
    centre = (first_x, first_y)
    e, step_x, step_y = _edges(pairs.xs, pairs.ys, centre)
    _scatter_centres(
        buf, e, (step_x, step_y), pairs.far, centre, extra, base, face_id, (n_views, n_faces)
    )
    return extra


def _draw_twos(buf: _Buffer, pairs: _Pairs, keep: torch.Tensor, n_faces: int) -> None:
    """Pairs whose box is at most 2 × 2 pixel centres: test all four in one pass.

    Edge values at the first centre are stepped exactly to the other three (integers)."""
    n = len(keep)
    xs, ys, far = (_take(c, keep) for c in (pairs.xs, pairs.ys, pairs.far))
    first_x, _ = _first_centre(xs)
    first_y, _ = _first_centre(ys)
    e, step_x, step_y = _edges(xs, ys, (first_x, first_y))
    dev = keep.device
    qx = torch.tensor([0.0, 1.0, 0.0, 1.0], device=dev)[:, None]
    qy = torch.tensor([0.0, 0.0, 1.0, 1.0], device=dev)[:, None]
    e4 = [
        (qx * (sx * SUBPIXEL)).addcmul_(qy, sy, value=float(SUBPIXEL)).add_(v)
        for v, sx, sy in zip(e, step_x, step_y, strict=True)
    ]
    centre = (qx + first_x, qy + first_y)
    view = torch.div(keep, n_faces, rounding_mode="floor")
    plane = buf.stride * buf.stride
    dtype = torch.float32 if (int(view.max()) + 1) * plane < 2**24 else torch.float64
    base = (view * plane).to(dtype)
    face_id = (keep - view * n_faces).double()
    _scatter_centres(buf, e4, (step_x, step_y), far, centre, None, base, face_id, (4, n))


@dataclass
class _Setup:
    """Per triangle of one bucket: edge and depth planes at its first candidate pixel."""

    edges: list[torch.Tensor]  # 9 ×: per edge E at origin (+ top-left bias), dE/dx, dE/dy
    depth: list[torch.Tensor]  # 3 ×: far-ness at origin, d/dx, d/dy
    origin: torch.Tensor  # int64 buffer slot of the first candidate
    width: torch.Tensor  # int64 candidate columns (clamped to the image)
    height: torch.Tensor  # int64 candidate rows
    face: torch.Tensor  # int64 face id


def _setup(buf: _Buffer, pairs: _Pairs, keep: torch.Tensor, n_faces: int, dtype) -> _Setup:
    """Plane equations relative to each clamped box's first pixel centre, in ``dtype``
    (exact for the coordinate ranges of the bucket: float32 for small boxes, else float64)."""
    xs, ys = _take(pairs.xs, keep), _take(pairs.ys, keep)
    (x0, x1), (y0, y1) = _first_centre(xs), _first_centre(ys)
    size = buf.size
    box_x, box_y = x0.clamp(0, size), y0.clamp(0, size)
    width = (x1.clamp(-1, size - 1) - box_x + 1).clamp_(min=0).long()
    height = (y1.clamp(-1, size - 1) - box_y + 1).clamp_(min=0).long()
    ox, oy = box_x * SUBPIXEL + _HALF, box_y * SUBPIXEL + _HALF
    rx = [(c - ox).to(dtype) for c in xs]
    ry = [(c - oy).to(dtype) for c in ys]
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

    far = _take(pairs.far, keep)
    x = [c / SUBPIXEL for c in rx]  # pixel units, origin at the first candidate's centre
    y = [c / SUBPIXEL for c in ry]
    df1, df2 = (far[1] - far[0]).to(dtype), (far[2] - far[0]).to(dtype)
    dx1, dx2, dy1, dy2 = x[1] - x[0], x[2] - x[0], y[1] - y[0], y[2] - y[0]
    det = dx1 * dy2 - dx2 * dy1
    grad_x = (df1 * dy2 - df2 * dy1) / det
    grad_y = (df2 * dx1 - df1 * dx2) / det
    at_origin = far[0].to(dtype) - grad_x * x[0] - grad_y * y[0]

    view = torch.div(keep, n_faces, rounding_mode="floor")
    origin = buf.origin(view, box_x.long(), box_y.long())
    return _Setup(edges, [at_origin, grad_x, grad_y], origin, width, height, keep - view * n_faces)


def _scatter_keys(buf: _Buffer, st: _Setup, dx, dy, valid) -> None:
    """Scatter-min the (depth, face) keys of candidates ``(n, k)`` of triangles ``(n,)``."""
    for i in range(3):
        e0, step_x, step_y = (t[:, None] for t in st.edges[3 * i : 3 * i + 3])
        edge = e0 + step_x * dx + step_y * dy
        valid = edge >= 0 if valid is None else valid & (edge >= 0)
    d0, d_dx, d_dy = (t[:, None] for t in st.depth)
    far = d0 + d_dx * dx + d_dy * dy
    key = (far.clamp(0, 1).double() * (DEPTH_LEVELS - 1)).long() << FACE_BITS
    key = (key | st.face[:, None]).masked_fill_(~valid, _EMPTY)
    slot = st.origin[:, None] + (dy * buf.stride + dx).long()
    slot = slot.expand_as(key).masked_fill(~valid, len(buf.keys) - 1)
    buf.keys.scatter_reduce_(0, slot.reshape(-1), key.reshape(-1), reduce="amin")


def _scatter_small(buf: _Buffer, st: _Setup, side: int) -> None:
    """Triangles whose box fits in ``side``²: every one tests a fixed ``side``² grid."""
    grid = torch.arange(side * side, device=buf.keys.device)
    dx, dy = (grid % side)[None], (grid // side)[None]
    valid = (dx < st.width[:, None]) & (dy < st.height[:, None])
    dtype = st.edges[0].dtype
    _scatter_keys(buf, st, dx.to(dtype), dy.to(dtype), valid)


def _scatter_large(buf: _Buffer, st: _Setup) -> None:
    """Big triangles: expand each box to its candidate pixels, chunk by chunk."""
    count = st.width * st.height
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
        w = st.width.index_select(0, local)
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
        _scatter_keys(buf, part, dx[:, None].to(dtype), dy[:, None].to(dtype), None)
        start = stop


def _draw_boxes(buf: _Buffer, pairs: _Pairs, extra: torch.Tensor, n_faces: int) -> None:
    """Pairs whose box holds several pixel centres, bucketed by box side."""
    keep = torch.nonzero(extra > 0).squeeze(1)
    if not keep.numel():
        return
    side = extra.index_select(0, keep).add_(1)
    twos = keep[side == 2]  # unusable corners need no filter here: their tests are NaN
    if twos.numel():
        _draw_twos(buf, pairs, twos, n_faces)
    rest = torch.nonzero(side > 2).squeeze(1)
    if not rest.numel():
        return
    keep, side = keep.index_select(0, rest), side.index_select(0, rest)
    usable = pairs.far[0].index_select(0, keep)
    for f in pairs.far[1:]:
        usable = usable + f.index_select(0, keep)
    usable = usable == usable
    keep, side = keep[usable], side[usable]
    code = torch.bucketize(side, torch.tensor(SMALL_BOXES, device=side.device, dtype=side.dtype))
    for index, bucket in enumerate((*SMALL_BOXES, None)):
        part = keep[code == index]
        if not part.numel():
            continue
        dtype = torch.float64 if bucket is None else torch.float32
        st = _setup(buf, pairs, part, n_faces, dtype)
        if bucket is None:
            _scatter_large(buf, st)
        else:
            _scatter_small(buf, st, bucket)


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
    stride = size + 2
    keys = torch.full((n_views * stride * stride + 1,), _EMPTY, device=xy.device)
    buf = _Buffer(keys, size, stride)
    pairs = _pairs(xy, nearness, inv_w, faces, size)
    if n_faces:
        extra = _draw_single(buf, pairs, n_views, n_faces)
        _draw_boxes(buf, pairs, extra, n_faces)
    face = buf.faces(n_views)
    pixels = torch.nonzero(face.reshape(-1) >= 0).squeeze(1)
    bary = _barycentrics(face, pixels, pairs, inv_w, n_faces, size)
    return Fragments(face=face, pixels=pixels, bary=bary)


def _barycentrics(face, flat, pairs: _Pairs, inv_w, n_faces: int, size: int) -> torch.Tensor:
    """Perspective-correct barycentrics ``(K, 3)`` of each covered pixel centre in its face."""
    if flat.numel() == 0:
        return torch.zeros((0, 3), dtype=torch.float32, device=face.device)
    # exact: integer quotients of values below 2**24 floor correctly in float32
    dtype = torch.float32 if face.numel() < 2**24 else torch.float64
    flat_f = flat.to(dtype)
    plane = float(size * size)
    view = flat_f.div(plane).floor_()
    pix = flat_f.sub_(view, alpha=plane)
    py = pix.div(size).floor_()
    px = pix.sub_(py, alpha=float(size))
    row = view.long().mul_(n_faces).add_(face.reshape(-1).index_select(0, flat))  # into V * F
    cx = px.float().mul_(SUBPIXEL).add_(_HALF)
    cy = py.float().mul_(SUBPIXEL).add_(_HALF)
    rx = [c - cx for c in _take(pairs.xs, row)]
    ry = [c - cy for c in _take(pairs.ys, row)]
    # edge function of the pixel centre (the origin) opposite each corner
    lam = [torch.mul(rx[a], ry[b]).addcmul_(rx[b], ry[a], value=-1.0) for a, b in _EDGES]
    if inv_w is not None:  # perspective-correct: weight by 1/w of each corner
        iw = inv_w.float().reshape(-1)
        lam = [
            v.mul_(iw.index_select(0, c.index_select(0, row)))
            for v, c in zip(lam, pairs.corners, strict=True)
        ]
    total = lam[0] + lam[1] + lam[2]  # same sign as the area, never 0 for a kept face
    bary = torch.empty((len(total), 3), device=total.device)
    for i, v in enumerate(lam):
        torch.div(v, total, out=bary[:, i])
    return bary

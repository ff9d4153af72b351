"""Coordinate-mapped sampling: ``map_coordinates`` and the warps built on it (affine, perspective,
elastic).

One sampler (:func:`sample`) gathers the neighbours of every sample point from the flattened input
(``take``), masks or folds out-of-range indices by the fill mode and blends them with linear
weights. It follows ``jax.scipy.ndimage.map_coordinates`` (Keras-JAX, the reference): ``constant``
is SciPy's ``grid-constant`` and ``wrap`` is ``grid-wrap``; order 0 rounds halves away from zero.
Differentiable with respect to the input values and (order 1) the coordinates.
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from .image_common import (FILL_MODES, INTERPOLATION_ORDERS, check_choice, check_rank, concrete_float, const,
                           float_dtype, round_half_away, saturate_cast, to_nhwc)
from .image_common import data_format as _std_df
from .image_filter import blur_nhwc


# ---- index folding per fill mode (int32 index tensors) -----------------------------------------
def _ic(v: int) -> Any:
    return current().full((), v, "int32")


def _mirror(i: Any, size: int) -> Any:
    b = current()
    if size == 1:
        return b.multiply(i, _ic(0))
    s = size - 1
    return b.abs(b.subtract(b.mod(b.add(i, _ic(s)), _ic(2 * s)), _ic(s)))


def _fold(i: Any, size: int, mode: str) -> Any:
    b = current()
    if mode == "nearest" or mode == "constant":   # constant: any in-range index; masked afterwards
        return b.minimum(b.maximum(i, _ic(0)), _ic(size - 1))
    if mode == "wrap":
        return b.mod(i, _ic(size))
    if mode == "mirror":
        return _mirror(i, size)
    # reflect: (d c b a | a b c d | d c b a), the mirror of the half-sample-shifted index
    m = _mirror(b.add(b.multiply(i, _ic(2)), _ic(1)), 2 * size + 1)
    return b.floor_divide(b.subtract(m, _ic(1)), _ic(2))


def sample(x: Any, coords: Sequence[Any], order: int, fill_mode: str, fill_value: Any,
           batched: bool = False) -> Any:
    """Sample ``x`` at fractional positions of its first ``k = len(coords)`` (non-batch) axes.

    Args:
        x: ``(*S, *T)``, or ``(N, *S, *T)`` when ``batched``; ``S`` are the ``k`` sampled axes,
            ``T`` trailing axes (e.g. channels) gathered whole.
        coords: ``k`` float tensors of one shape ``Q`` (when ``batched``, ``Q`` starts with ``N``).
        order: 0 (nearest, halves away from zero) or 1 (linear).
        fill_mode: one of ``FILL_MODES``.
        fill_value: the value outside the input for ``"constant"``.
        batched: whether axis 0 of ``x`` is a batch axis matched by axis 0 of the coordinates.

    Returns:
        ``(*Q, *T)`` in ``x``'s dtype (integers rounded half away from zero).
    """
    b = current()
    shp = tuple(b.shape(x))
    k = len(coords)
    lead = 1 if batched else 0
    sizes, trail = shp[lead:lead + k], shp[lead + k:]
    n = shp[0] if batched else 1
    t = 1
    for v in trail:
        t *= v
    cells = 1
    for v in sizes:
        cells *= v
    flat = b.reshape(x, (n * cells, t))
    q = tuple(np.broadcast_shapes(*[tuple(b.shape(c)) for c in coords]))
    coords = [c if tuple(b.shape(c)) == q else b.broadcast_to(c, q) for c in coords]
    xd = b.dtype(x)
    cd = _dt.result_type(float_dtype(xd), b.dtype(coords[0]))
    cval = b.cast(tensor(fill_value), xd)
    strides, acc = [], 1
    for v in reversed(sizes):
        strides.insert(0, acc)
        acc *= v
    base = None
    if batched and n > 1:
        base = b.reshape(b.multiply(b.arange(0, n, 1, "int32"), _ic(cells)), (n,) + (1,) * (len(q) - 1))
    nodes = []
    for c, size in zip(coords, sizes):
        if order == 0:
            raw = [(b.cast(round_half_away(c), "int32"), None)]
        else:
            lo = b.floor(c)
            w_hi = b.subtract(c, lo)
            w_lo = b.subtract(const(1.0, b.dtype(c)), w_hi)
            i = b.cast(lo, "int32")
            raw = [(i, w_lo), (b.add(i, _ic(1)), w_hi)]
        dim = []
        for i, w in raw:
            valid = None
            if fill_mode == "constant":
                valid = b.logical_and(b.greater_equal(i, _ic(0)), b.less(i, _ic(size)))
            dim.append((_fold(i, size, fill_mode), valid, None if w is None else b.cast(w, cd)))
        nodes.append(dim)
    total = None
    for combo in itertools.product(*nodes):
        idx = base
        valid = None
        weight = None
        for (i, v, w), stride in zip(combo, strides):
            term = i if stride == 1 else b.multiply(i, _ic(stride))
            idx = term if idx is None else b.add(idx, term)
            if v is not None:
                valid = v if valid is None else b.logical_and(valid, v)
            if w is not None:
                weight = w if weight is None else b.multiply(weight, w)
        vals = b.take(flat, idx, 0)                                    # (*Q, t)
        if valid is not None:
            vals = b.where(b.reshape(valid, q + (1,)), vals, cval)
        if weight is not None:
            vals = b.multiply(b.reshape(weight, q + (1,)), vals if b.dtype(vals) == cd else b.cast(vals, cd))
        total = vals if total is None else b.add(total, vals)
    out = b.reshape(total, q + trail)
    if b.dtype(out) != xd:
        out = saturate_cast(out, xd, rounding="away")
    return out


@op
def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: Any = 0) -> Any:
    """Interpolate ``inputs`` at the given fractional coordinates.

    Near the boundaries this is ``jax.scipy.ndimage.map_coordinates`` (Keras' behaviour), which
    differs from ``scipy.ndimage.map_coordinates``: ``"constant"`` and ``"wrap"`` here are SciPy's
    ``"grid-constant"`` and ``"grid-wrap"``.

    Args:
        inputs: A tensor of any rank ``n``.
        coordinates: A tensor of shape ``(n, *Q)``, or a sequence of ``n`` tensors of shape ``Q``:
            the position along each axis of every output point.
        order: 0 (nearest neighbour) or 1 (linear).
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value for points outside the input with ``fill_mode="constant"``.

    Returns:
        A tensor of shape ``Q`` in the dtype of ``inputs``.

    Raises:
        ValueError: if ``coordinates`` does not have ``n`` rows of rank >= 1, or for a bad
            ``order``/``fill_mode``.
    """
    b = current()
    x = tensor(inputs)
    if isinstance(coordinates, (list, tuple)):
        rows = [tensor(c) for c in coordinates]
        if len({tuple(b.shape(r)) for r in rows}) > 1:
            raise ValueError(f"All coordinate arrays must have one shape. Received shapes "
                             f"{[tuple(b.shape(r)) for r in rows]}")
        cshape = (len(rows),) + (tuple(b.shape(rows[0])) if rows else ())
    else:
        c = tensor(coordinates)
        cshape = tuple(b.shape(c))
        rows = [b.getitem(c, (i,)) for i in range(cshape[0])] if cshape else []
    nd = len(b.shape(x))
    if not cshape or cshape[0] != nd:
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs with "
                         f"shape: {tuple(b.shape(x))} and coordinate leading dim of {cshape[0] if cshape else None}")
    if len(cshape) < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: {cshape}")
    check_choice("fill_mode", fill_mode, FILL_MODES)
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}")
    cd = _dt.result_type(*[float_dtype(b.dtype(r)) for r in rows])
    rows = [r if b.dtype(r) == cd else b.cast(r, cd) for r in rows]
    return sample(x, rows, int(order), fill_mode, fill_value)


def _grid(h: int, w: int, dtype: str) -> tuple:
    b = current()
    ys = b.reshape(b.arange(0, h, 1, dtype), (1, h, 1))
    xs = b.reshape(b.arange(0, w, 1, dtype), (1, 1, w))
    return ys, xs


def _batch_rows(t: Any, n: int, name: str) -> Any:
    """(M, ...) parameters for a batch of ``n`` images: M must be ``n`` or 1 (then shared)."""
    b = current()
    m = b.shape(t)[0]
    if m == n:
        return t
    if m == 1:
        return b.broadcast_to(t, (n,) + tuple(b.shape(t))[1:])
    raise ValueError(f"{name} holds {m} rows for a batch of {n} images; pass one row per image or a single row.")


@op
def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: Any = 0, data_format: str | None = None) -> Any:
    """Apply affine transform(s) to image(s).

    A row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps each *output* pixel ``(x, y)`` to the input
    point ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` (the inverse warp). As Keras documents for its
    non-TensorFlow backends, ``c0`` and ``c1`` are ignored (treated as 0; Keras-JAX in fact adds
    ``c0``/``c1`` times the *channel index* to the coordinates). Differentiable with respect to the
    images and the transform.

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        transform: ``(8,)`` or ``(N, 8)`` (one row per image, or one row for all).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value outside the input with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The transformed images, same shape and dtype.

    Raises:
        ValueError: for a bad rank, transform shape, interpolation or fill mode.
    """
    b = current()
    df = _std_df(data_format)
    check_choice("interpolation", interpolation, tuple(INTERPOLATION_ORDERS))
    check_choice("fill_mode", fill_mode, FILL_MODES)
    x = tensor(images)
    tr = tensor(transform)
    check_rank(tuple(b.shape(x)))
    tshape = tuple(b.shape(tr))
    if len(tshape) not in (1, 2) or tshape[-1] != 8:
        raise ValueError(f"Invalid transform shape: expected (8,) (single transform) or (N, 8) (batch of "
                         f"transforms). Received input with shape: transform.shape={tshape}")
    xn, restore = to_nhwc(x, df)
    n, h, w, _ = b.shape(xn)
    td = float_dtype(b.dtype(tr))
    tr = b.cast(tr, td) if b.dtype(tr) != td else tr
    tr = _batch_rows(b.reshape(tr, (tshape[0] if len(tshape) == 2 else 1, 8)), n, "transform")
    ys, xs = _grid(h, w, td)

    def col(j):
        return b.reshape(b.getitem(tr, (slice(None), j)), (n, 1, 1))
    x_in = b.add(b.add(b.multiply(col(0), xs), b.multiply(col(1), ys)), col(2))
    y_in = b.add(b.add(b.multiply(col(3), xs), b.multiply(col(4), ys)), col(5))
    out = sample(xn, [y_in, x_in], INTERPOLATION_ORDERS[interpolation], fill_mode, fill_value, batched=True)
    return restore(out)


def _quad_to_square_inverse(px: list, py: list) -> list:
    """The 3x3 projective map (row-major, 9 tensors) taking the unit square's corners
    (0,0), (1,0), (1,1), (0,1) to the four points ``(px[i], py[i])`` (Heckbert's closed form)."""
    b = current()
    sub, mul, add = b.subtract, b.multiply, b.add
    sx = add(sub(px[0], px[1]), sub(px[2], px[3]))
    sy = add(sub(py[0], py[1]), sub(py[2], py[3]))
    dx1, dx2 = sub(px[1], px[2]), sub(px[3], px[2])
    dy1, dy2 = sub(py[1], py[2]), sub(py[3], py[2])
    den = sub(mul(dx1, dy2), mul(dx2, dy1))
    g = b.divide(sub(mul(sx, dy2), mul(dx2, sy)), den)
    h = b.divide(sub(mul(dx1, sy), mul(sx, dy1)), den)
    one = b.ones(b.shape(g), b.dtype(g))
    return [add(sub(px[1], px[0]), mul(g, px[1])), add(sub(px[3], px[0]), mul(h, px[3])), px[0],
            add(sub(py[1], py[0]), mul(g, py[1])), add(sub(py[3], py[0]), mul(h, py[3])), py[0],
            g, h, one]


def _adjugate(m: list) -> list:
    b = current()

    def det2(a, c, d, e):
        return b.subtract(b.multiply(a, e), b.multiply(c, d))
    return [det2(m[4], m[5], m[7], m[8]), det2(m[2], m[1], m[8], m[7]), det2(m[1], m[2], m[4], m[5]),
            det2(m[5], m[3], m[8], m[6]), det2(m[0], m[2], m[6], m[8]), det2(m[2], m[0], m[5], m[3]),
            det2(m[3], m[4], m[6], m[7]), det2(m[1], m[0], m[7], m[6]), det2(m[0], m[1], m[3], m[4])]


def compute_homography_matrix(start_points: Any, end_points: Any) -> Any:
    """The 8 coefficients ``[h0..h7]`` of the homography taking each end point to its start point:
    ``x_start = (h0 x + h1 y + h2) / (h6 x + h7 y + 1)``, ``y_start = (h3 x + h4 y + h5) / (...)``.

    Computed in closed form (square-to-quad maps composed through an adjugate, no solver), in the
    points' float dtype; the same result as Keras' 8x8 linear solve for points in general position.

    Args:
        start_points: ``(N, 4, 2)`` or ``(4, 2)`` points (x, y).
        end_points: Points of the same shape.

    Returns:
        ``(N, 8)`` (or ``(8,)`` for unbatched points).
    """
    b = current()
    s, e = tensor(start_points), tensor(end_points)
    d = _dt.result_type(float_dtype(b.dtype(s)), float_dtype(b.dtype(e)))
    s, e = b.cast(s, d), b.cast(e, d)
    unbatched = len(b.shape(s)) == 2

    def pts(p):
        return ([b.getitem(p, (Ellipsis, i, 0)) for i in range(4)], [b.getitem(p, (Ellipsis, i, 1)) for i in range(4)])
    ms = _quad_to_square_inverse(*pts(s))
    me = _adjugate(_quad_to_square_inverse(*pts(e)))
    hm = [None] * 9
    for r in range(3):
        for c in range(3):
            acc = None
            for j in range(3):
                t = b.multiply(ms[3 * r + j], me[3 * j + c])
                acc = t if acc is None else b.add(acc, t)
            hm[3 * r + c] = acc
    cols = [b.divide(hm[i], hm[8]) for i in range(8)]
    shp = tuple(b.shape(cols[0]))
    out = b.concatenate([b.reshape(c_, shp + (1,)) for c_ in cols], len(shp))
    return out if not unbatched else b.reshape(out, (8,))


def _check_points(name: str, shape: tuple) -> None:
    if len(shape) not in (2, 3) or shape[-2:] != (4, 2):
        raise ValueError(f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
                         f"Received shape: {shape}")


@op
def perspective_transform(images: Any, start_points: Any, end_points: Any, interpolation: str = "bilinear",
                          fill_value: Any = 0, data_format: str | None = None) -> Any:
    """Warp image(s) by the perspective transform taking ``start_points`` to ``end_points``.

    Each output pixel samples the input at the homography image of its position (the end -> start
    map), with zeros (``fill_value``) outside. The homography is computed in the images' float
    dtype (Keras solves it in float32 always, so float64 results here are the more accurate ones).

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        start_points: ``(4, 2)`` or ``(N, 4, 2)`` corner points (x, y) in the input.
        end_points: The matching points in the output, same shape as ``start_points``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_value: The value for points that map outside the input.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The warped images, same shape and dtype.

    Raises:
        ValueError: for a bad rank, point shapes, or interpolation.
    """
    b = current()
    df = _std_df(data_format)
    check_choice("interpolation", interpolation, tuple(INTERPOLATION_ORDERS))
    x = tensor(images)
    check_rank(tuple(b.shape(x)))
    s, e = tensor(start_points), tensor(end_points)
    _check_points("start_points", tuple(b.shape(s)))
    _check_points("end_points", tuple(b.shape(e)))
    if tuple(b.shape(s)) != tuple(b.shape(e)):
        raise ValueError(f"start_points and end_points must have the same shape. Received start_points.shape="
                         f"{tuple(b.shape(s))}, end_points.shape={tuple(b.shape(e))}")
    xn, restore = to_nhwc(x, df)
    n, h, w, _ = b.shape(xn)
    cd = float_dtype(b.dtype(x))
    hm = compute_homography_matrix(b.cast(s, cd), b.cast(e, cd))
    rows = 1 if len(b.shape(hm)) == 1 else b.shape(hm)[0]
    hm = _batch_rows(b.reshape(hm, (rows, 8)), n, "start_points")
    ys, xs = _grid(h, w, cd)

    def col(j):
        return b.reshape(b.getitem(hm, (slice(None), j)), (n, 1, 1))
    den = b.add(b.add(b.multiply(col(6), xs), b.multiply(col(7), ys)), const(1.0, cd))
    x_in = b.divide(b.add(b.add(b.multiply(col(0), xs), b.multiply(col(1), ys)), col(2)), den)
    y_in = b.divide(b.add(b.add(b.multiply(col(3), xs), b.multiply(col(4), ys)), col(5)), den)
    out = sample(xn, [y_in, x_in], INTERPOLATION_ORDERS[interpolation], "constant", fill_value, batched=True)
    return restore(out)


@op
def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0, interpolation: str = "bilinear",
                      fill_mode: str = "reflect", fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> Any:
    """Elastic deformation: displace every pixel by a smoothed random field.

    Two fields ``dx, dy`` of standard normals times ``sigma`` (one ``kshim.random.normal`` draw of
    shape ``(2, N, H, W)``, so the same seed gives the same result on every backend) are blurred with
    a Gaussian of standard deviation ``sigma`` and size ``int(6 * sigma) | 1``, and each output pixel
    ``(x, y)`` samples the input at ``(x + alpha * dx, y + alpha * dy)`` (every channel alike). The
    construction is Keras'; its random numbers are not (they come from each backend's own RNG, and
    Keras-JAX draws ``dx`` and ``dy`` from the same key, so its displacement is always diagonal;
    kshim's fields are independent, as on Keras' torch backend).

    Args:
        images: A rank-3 (single image) or rank-4 (batch) tensor.
        alpha: The displacement scale (a number or a 0-d tensor).
        sigma: The smoothing standard deviation (a concrete number: it sets the kernel size).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value outside the input with ``fill_mode="constant"``.
        seed: An int, a ``kshim.random.SeedGenerator``, or ``None`` (the global generator).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``keras.config.image_data_format()``.

    Returns:
        The deformed images, same shape and dtype.

    Raises:
        ValueError: for a bad rank, interpolation, fill mode, or a non-positive ``sigma``.
    """
    from .. import random as _random
    b = current()
    df = _std_df(data_format)
    check_choice("interpolation", interpolation, tuple(INTERPOLATION_ORDERS))
    check_choice("fill_mode", fill_mode, FILL_MODES)
    x = tensor(images)
    check_rank(tuple(b.shape(x)))
    sg = concrete_float(sigma, "sigma")
    if sg <= 0:
        raise ValueError(f"`sigma` must be > 0. Received: sigma={sigma}")
    xn, restore = to_nhwc(x, df)
    n, h, w, _ = b.shape(xn)
    cd = float_dtype(b.dtype(x))
    ks = int(6 * sg) | 1
    field = b.multiply(_random.normal((2, n, h, w), dtype=cd, seed=seed), const(sg, cd))
    field = b.reshape(b.transpose(field, (1, 2, 3, 0)), (n, h, w, 2))
    field = blur_nhwc(field, (ks, ks), b.full((2,), sg, cd))
    a = tensor(alpha, cd)
    ys, xs = _grid(h, w, cd)
    dx = b.getitem(field, (Ellipsis, 0))
    dy = b.getitem(field, (Ellipsis, 1))
    x_in = b.add(xs, b.multiply(a, dx))
    y_in = b.add(ys, b.multiply(a, dy))
    out = sample(xn, [y_in, x_in], INTERPOLATION_ORDERS[interpolation], fill_mode, fill_value, batched=True)
    return restore(out)

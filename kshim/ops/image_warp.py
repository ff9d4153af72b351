"""Geometric warps of ``keras.ops.image``: affine, perspective and elastic transforms.

Each computes, for every output pixel, the input position it samples (the inverse warp), then
resamples with :func:`kshim.ops.image_sample.sample` (Keras-JAX's ``map_coordinates`` semantics).
Differentiable with respect to the images and the warp parameters.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from .image_common import (
    FILL_MODES,
    INTERPOLATION_ORDERS,
    check_choice,
    check_rank,
    concrete_float,
    const,
    float_dtype,
    to_nhwc,
)
from .image_common import data_format as _std_df
from .image_filter import blur_nhwc
from .image_sample import sample


def _grid(h: int, w: int, dtype: str) -> tuple:
    b = current()
    ys = b.reshape(b.arange(0, h, 1, dtype), (1, h, 1))
    xs = b.reshape(b.arange(0, w, 1, dtype), (1, 1, w))
    return ys, xs


def _batch_rows(t: Any, n: int, name: str) -> Any:
    """(M, ...) parameters for a batch of ``n`` images: M must be ``n`` or 1 (then shared).
    Keras-JAX needs M == n; one row for the whole batch is a kshim extension."""
    b = current()
    m = b.shape(t)[0]
    if m == n:
        return t
    if m == 1:
        return b.broadcast_to(t, (n,) + tuple(b.shape(t))[1:])
    raise ValueError(f"{name} holds {m} rows for a batch of {n} images; pass one row per image or a single row.")


@op
def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: Any = 0,
    data_format: str | None = None,
) -> Any:
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
        raise ValueError(
            f"Invalid transform shape: expected (8,) (single transform) or (N, 8) (batch of "
            f"transforms). Received input with shape: transform.shape={tshape}"
        )
    xn, restore = to_nhwc(x, df)
    n, h, w, _ = b.shape(xn)
    td = float_dtype(b.dtype(tr))
    tr = b.cast(tr, td) if b.dtype(tr) != td else tr
    tr = _batch_rows(b.reshape(tr, (tshape[0] if len(tshape) == 2 else 1, 8)), n, "transform")
    ys, xs = _grid(h, w, td)

    def col(j):
        return b.reshape(b.getitem(tr, (slice(None), j)), (n, 1, 1))

    # (y * a1 + x * a0) + a2: the order of Keras-JAX's einsum, so halves round alike in float32
    x_in = b.add(b.add(b.multiply(ys, col(1)), b.multiply(xs, col(0))), col(2))
    y_in = b.add(b.add(b.multiply(ys, col(4)), b.multiply(xs, col(3))), col(5))
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
    return [
        add(sub(px[1], px[0]), mul(g, px[1])),
        add(sub(px[3], px[0]), mul(h, px[3])),
        px[0],
        add(sub(py[1], py[0]), mul(g, py[1])),
        add(sub(py[3], py[0]), mul(h, py[3])),
        py[0],
        g,
        h,
        one,
    ]


def _adjugate(m: list) -> list:
    b = current()

    def det2(a, c, d, e):
        return b.subtract(b.multiply(a, e), b.multiply(c, d))

    return [
        det2(m[4], m[5], m[7], m[8]),
        det2(m[2], m[1], m[8], m[7]),
        det2(m[1], m[2], m[4], m[5]),
        det2(m[5], m[3], m[8], m[6]),
        det2(m[0], m[2], m[6], m[8]),
        det2(m[2], m[0], m[5], m[3]),
        det2(m[3], m[4], m[6], m[7]),
        det2(m[1], m[0], m[7], m[6]),
        det2(m[0], m[1], m[3], m[4]),
    ]


def compute_homography_matrix(start_points: Any, end_points: Any) -> Any:
    """The 8 coefficients ``[h0..h7]`` of the homography taking each end point to its start point:
    ``x_start = (h0 x + h1 y + h2) / (h6 x + h7 y + 1)``, ``y_start = (h3 x + h4 y + h5) / (...)``.

    Computed in closed form (square-to-quad maps composed through an adjugate, no solver), in the
    points' float dtype; the same result as Keras' 8x8 linear solve for points in general position
    (no three collinear). Jit-friendly and differentiable. Not part of ``keras.ops.image`` (Keras
    keeps it in its backends, for ``RandomPerspective``).

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
        raise ValueError(
            f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. Received shape: {shape}"
        )


@op
def perspective_transform(
    images: Any,
    start_points: Any,
    end_points: Any,
    interpolation: str = "bilinear",
    fill_value: Any = 0,
    data_format: str | None = None,
) -> Any:
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
        raise ValueError(
            f"start_points and end_points must have the same shape. Received start_points.shape="
            f"{tuple(b.shape(s))}, end_points.shape={tuple(b.shape(e))}"
        )
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
def elastic_transform(
    images: Any,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: str | None = None,
) -> Any:
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

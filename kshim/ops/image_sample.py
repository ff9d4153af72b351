"""``map_coordinates`` and the sampler every warp uses.

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
from .image_common import FILL_MODES, check_choice, const, float_dtype, round_half_away, saturate_cast


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
    if mode == "nearest" or mode == "constant":  # constant: any in-range index; masked afterwards
        return b.minimum(b.maximum(i, _ic(0)), _ic(size - 1))
    if mode == "wrap":
        return b.mod(i, _ic(size))
    if mode == "mirror":
        return _mirror(i, size)
    # reflect: (d c b a | a b c d | d c b a), the mirror of the half-sample-shifted index
    m = _mirror(b.add(b.multiply(i, _ic(2)), _ic(1)), 2 * size + 1)
    return b.floor_divide(b.subtract(m, _ic(1)), _ic(2))


def sample(x: Any, coords: Sequence[Any], order: int, fill_mode: str, fill_value: Any, batched: bool = False) -> Any:
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
    sizes, trail = shp[lead : lead + k], shp[lead + k :]
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
    strides: list[int] = []
    acc = 1
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
        vals = b.take(flat, idx, 0)  # (*Q, t)
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
def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant", fill_value: Any = 0) -> Any:
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
            raise ValueError(
                f"All coordinate arrays must have one shape. Received shapes {[tuple(b.shape(r)) for r in rows]}"
            )
        cshape = (len(rows),) + (tuple(b.shape(rows[0])) if rows else ())
    else:
        c = tensor(coordinates)
        cshape = tuple(b.shape(c))
        rows = [b.getitem(c, (i,)) for i in range(cshape[0])] if cshape else []
    nd = len(b.shape(x))
    if not cshape or cshape[0] != nd:
        raise ValueError(
            f"First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs with "
            f"shape: {tuple(b.shape(x))} and coordinate leading dim of {cshape[0] if cshape else None}"
        )
    if len(cshape) < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: {cshape}")
    check_choice("fill_mode", fill_mode, FILL_MODES)
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}")
    cd = _dt.result_type(*[float_dtype(b.dtype(r)) for r in rows])
    rows = [r if b.dtype(r) == cd else b.cast(r, cd) for r in rows]
    return sample(x, rows, int(order), fill_mode, fill_value)

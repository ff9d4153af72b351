"""``kshim.random``: portable randomness — the same seed gives the same numbers on every backend.

All draws come from Threefry-2x32 (``threefry.py``) evaluated with the active backend's integer
ops, keyed by an int seed, a ``SeedGenerator`` (whose state is a Variable, so it works in jitted
steps) or, with ``seed=None``, a global generator. Uniform bits map to floats exactly
(float32: 24 bits, float64: 53 bits), so uniform draws, dropout masks, ``randint``, ``shuffle``
and ``binomial`` are bit-identical across backends; normal draws go through log/cos and agree to
a few ulps; ``gamma`` and ``beta`` are computed in float64 and agree to the last bit of float32
almost always (see ``distributions.py``).
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from .. import _config as config
from .. import dtypes as _dt
from ..backend import current
from ._draw import _GLOBAL, box_muller, global_seed_generator  # noqa: F401
from ._draw import float_dtype as _fdtype
from ._draw import shape_tuple as _shape
from ._draw import uniform01 as _uniform01
from .distributions import beta, binomial, gamma
from .integers import randint, shuffle
from .seed_generator import SeedGenerator
from .threefry import ops_bits  # noqa: F401

__all__ = [
    "SeedGenerator",
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "categorical",
    "dropout",
    "shuffle",
    "gumbel",
    "gamma",
    "beta",
    "binomial",
]


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Uniform floats in ``[minval, maxval)``.

    Args:
        shape: Output shape.
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        dtype: Float dtype (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.
    """
    b = current()
    d = _fdtype(dtype)
    u = _uniform01(_shape(shape), d, seed)
    if minval == 0.0 and maxval == 1.0:
        return u
    return b.add(b.multiply(u, b.full((), maxval - minval, d)), b.full((), minval, d))


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Normal draws (Box-Muller on one block of ``2 * size`` uniforms).

    Args:
        shape: Output shape.
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        dtype: Float dtype (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.
    """
    b = current()
    d = _fdtype(dtype)
    shp = _shape(shape)
    n = int(np.prod(shp)) if shp else 1
    u = _uniform01((2 * n,), d, seed)
    z = box_muller(b.getitem(u, (slice(0, n),)), b.getitem(u, (slice(n, 2 * n),)), d)
    z = b.add(b.multiply(z, b.full((), stddev, d)), b.full((), mean, d))
    return b.reshape(z, shp)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Normal draws restricted to two standard deviations around the mean (inverse-CDF sampling).

    Args:
        shape: Output shape.
        mean: Mean of the untruncated distribution.
        stddev: Standard deviation of the untruncated distribution.
        dtype: Float dtype (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype`` with values in ``[mean - 2 stddev, mean + 2 stddev]``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.
    """
    b = current()
    d = _fdtype(dtype)
    lo = 0.5 * (1.0 + _math.erf(-2.0 / _math.sqrt(2.0)))
    u = uniform(shape, lo, 1.0 - lo, d, seed)
    z = b.multiply(
        b.full((), _math.sqrt(2.0), d), b.erfinv(b.subtract(b.multiply(b.full((), 2.0, d), u), b.ones((), d)))
    )
    return b.add(b.multiply(z, b.full((), stddev, d)), b.full((), mean, d))


def gumbel(shape: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Standard Gumbel draws ``-log(-log(U))`` (kshim extra; ``categorical`` uses them).

    Args:
        shape: Output shape.
        dtype: Float dtype (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.
    """
    b = current()
    d = _fdtype(dtype)
    u = _uniform01(_shape(shape), d, seed)
    tiny = b.full((), float(np.finfo(b.numpy_dtype(d)).tiny), d)
    return b.negative(b.log(b.negative(b.log(b.maximum(u, tiny)))))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Class indices sampled from unnormalized log-probabilities (the Gumbel-max trick).

    Args:
        logits: ``(batch, classes)`` unnormalized log-probabilities.
        num_samples: Samples per row.
        dtype: Integer dtype of the result.
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A ``(batch, num_samples)`` tensor of indices.

    Raises:
        ValueError: If ``logits`` is not 2-D.
    """
    b = current()
    from ..ops import convert_to_tensor

    lg = convert_to_tensor(logits)
    if len(b.shape(lg)) != 2:
        raise ValueError(
            f"`logits` should be a 2-D tensor of shape (batch_size, num_classes); received shape {b.shape(lg)}."
        )
    if not _dt.is_float(b.dtype(lg)):
        lg = b.cast(lg, config.floatx())
    bsz, k = b.shape(lg)
    g = gumbel((bsz, int(num_samples), k), b.dtype(lg), seed)
    out = b.argmax(b.add(b.reshape(lg, (bsz, 1, k)), g), 2, False)
    return b.cast(out, _dt.standardize_dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Args:
        inputs: The tensor.
        rate: Drop probability in ``[0, 1]``; ``1`` gives zeros, as in Keras.
        noise_shape: Shape of the keep mask (``None`` entries take the input's size); it broadcasts
            over ``inputs``.
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor like ``inputs``.

    Raises:
        ValueError: If ``rate`` is outside ``[0, 1]``.
    """
    b = current()
    from ..ops import convert_to_tensor

    x = convert_to_tensor(inputs)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout rate must be in [0, 1], got {rate}.")
    d = b.dtype(x)
    if rate == 1.0:
        return b.zeros(b.shape(x), d)
    shp = (
        tuple(b.shape(x))
        if noise_shape is None
        else tuple(s if n is None else int(n) for s, n in zip(b.shape(x), noise_shape))
    )
    keep = b.greater_equal(_uniform01(shp, "float32", seed), b.full((), float(rate), "float32"))
    scale = b.full((), 1.0 / (1.0 - rate), d)
    return b.where(keep, b.multiply(x, scale), b.zeros((), d))

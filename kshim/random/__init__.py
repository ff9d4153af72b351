"""``kshim.random``: portable randomness — the same seed gives the same numbers on every backend.

All draws come from Threefry-2x32 (``threefry.py``) evaluated with the active backend's integer
ops, keyed by an int seed, a ``SeedGenerator`` (whose state is a Variable, so it works in jitted
steps) or, with ``seed=None``, a global generator. Uniform bits map to floats exactly
(float32: 24 bits, float64: 53 bits), so uniform draws and dropout masks are bit-identical across
backends; normal draws go through log/cos and agree to a few ulps.
"""
from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from .. import config
from .. import dtypes as _dt
from ..backend import current
from .seed_generator import SeedGenerator
from .threefry import ops_bits

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical", "dropout",
           "shuffle", "gumbel"]

_GLOBAL: dict[str, SeedGenerator] = {}


def global_seed_generator() -> SeedGenerator:
    """The per-backend generator used when ``seed=None``."""
    b = current()
    g = _GLOBAL.get(b.name)
    if g is None:
        g = _GLOBAL[b.name] = SeedGenerator(name=f"global_seed_generator_{b.name}")
    return g


def _key(seed: Any) -> tuple:
    b = current()
    if seed is None:
        seed = global_seed_generator()
    if isinstance(seed, SeedGenerator):
        st = seed.next()
        return b.getitem(st, (0,)), b.getitem(st, (1,))
    if isinstance(seed, (int, np.integer)):
        return b.full((), int(seed) & 0xFFFFFFFF, "int64"), b.zeros((), "int64")
    from ..ops import convert_to_tensor
    st = b.cast(convert_to_tensor(seed), "int64")
    if tuple(b.shape(st)) != (2,):
        raise ValueError(f"seed must be an int, a SeedGenerator or a (2,) tensor, got shape {b.shape(st)}.")
    return b.getitem(st, (0,)), b.getitem(st, (1,))


def _uniform01(shape: tuple, dtype: str, seed: Any) -> Any:
    b = current()
    n = int(np.prod(shape)) if shape else 1
    k0, k1 = _key(seed)
    if dtype == "float64":
        w = ops_bits(b, k0, k1, 2 * n)
        hi = b.right_shift(b.getitem(w, (slice(0, n),)), b.full((), 5, "int64"))
        lo = b.right_shift(b.getitem(w, (slice(n, 2 * n),)), b.full((), 6, "int64"))
        ints = b.add(b.multiply(hi, b.full((), 67108864, "int64")), lo)
        u = b.multiply(b.cast(ints, "float64"), b.full((), 2.0 ** -53, "float64"))
    else:
        w = b.right_shift(ops_bits(b, k0, k1, n), b.full((), 8, "int64"))
        u = b.multiply(b.cast(w, "float32"), b.full((), 2.0 ** -24, "float32"))
        if dtype != "float32":
            u = b.cast(u, dtype)
    return b.reshape(u, tuple(shape))


def _fdtype(dtype: Any) -> str:
    d = _dt.standardize_dtype(dtype)
    if not _dt.is_float(d):
        raise ValueError(f"Expected a float dtype, got {dtype!r}.")
    return d


def _shape(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Uniform floats in ``[minval, maxval)``."""
    b = current()
    d = _fdtype(dtype)
    u = _uniform01(_shape(shape), d, seed)
    if minval == 0.0 and maxval == 1.0:
        return u
    return b.add(b.multiply(u, b.full((), maxval - minval, d)), b.full((), minval, d))


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Normal draws (Box-Muller)."""
    b = current()
    d = _fdtype(dtype)
    shp = _shape(shape)
    n = int(np.prod(shp)) if shp else 1
    u = _uniform01((2 * n,), d, seed)
    u1 = b.subtract(b.ones((), d), b.getitem(u, (slice(0, n),)))
    u2 = b.getitem(u, (slice(n, 2 * n),))
    r = b.sqrt(b.multiply(b.full((), -2.0, d), b.log(u1)))
    z = b.multiply(r, b.cos(b.multiply(b.full((), 2 * _math.pi, d), u2)))
    z = b.add(b.multiply(z, b.full((), stddev, d)), b.full((), mean, d))
    return b.reshape(z, shp)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Any:
    """Normal draws restricted to two standard deviations (inverse-CDF sampling)."""
    b = current()
    d = _fdtype(dtype)
    lo = 0.5 * (1.0 + _math.erf(-2.0 / _math.sqrt(2.0)))
    u = uniform(shape, lo, 1.0 - lo, d, seed)
    z = b.multiply(b.full((), _math.sqrt(2.0), d), b.erfinv(b.subtract(b.multiply(b.full((), 2.0, d), u),
                                                                        b.ones((), d))))
    return b.add(b.multiply(z, b.full((), stddev, d)), b.full((), mean, d))


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Integers uniform in ``[minval, maxval)``."""
    b = current()
    u = _uniform01(_shape(shape), "float64", seed)
    v = b.floor(b.multiply(u, b.full((), float(maxval - minval), "float64")))
    return b.cast(b.add(v, b.full((), float(minval), "float64")), _dt.standardize_dtype(dtype))


def gumbel(shape: Any, dtype: Any = None, seed: Any = None) -> Any:
    b = current()
    d = _fdtype(dtype)
    u = _uniform01(_shape(shape), d, seed)
    tiny = b.full((), float(np.finfo(b.numpy_dtype(d)).tiny), d)
    return b.negative(b.log(b.negative(b.log(b.maximum(u, tiny)))))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Samples class indices from ``logits`` of shape (batch, classes) -> (batch, num_samples)."""
    b = current()
    from ..ops import convert_to_tensor
    lg = convert_to_tensor(logits)
    if not _dt.is_float(b.dtype(lg)):
        lg = b.cast(lg, config.floatx())
    bsz, k = b.shape(lg)
    g = gumbel((bsz, int(num_samples), k), b.dtype(lg), seed)
    out = b.argmax(b.add(b.reshape(lg, (bsz, 1, k)), g), 2, False)
    return b.cast(out, _dt.standardize_dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``."""
    b = current()
    from ..ops import convert_to_tensor
    x = convert_to_tensor(inputs)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}.")
    d = b.dtype(x)
    shp = tuple(b.shape(x)) if noise_shape is None else tuple(
        s if n is None else int(n) for s, n in zip(b.shape(x), noise_shape))
    keep = b.greater_equal(_uniform01(shp, "float32", seed), b.full((), float(rate), "float32"))
    scale = b.full((), 1.0 / (1.0 - rate), d)
    return b.where(keep, b.multiply(x, scale), b.zeros((), d))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """Random permutation along ``axis``."""
    b = current()
    from ..ops import convert_to_tensor
    x = convert_to_tensor(x)
    ax = axis % len(b.shape(x))
    n = b.shape(x)[ax]
    perm = b.argsort(_uniform01((n,), "float64", seed), 0)
    return b.take(x, perm, ax)

"""The shared drawing machinery of ``kshim.random``: seeds to keys, keys to uniform floats.

Every public sampler turns its ``seed`` into one Threefry key (advancing a ``SeedGenerator`` once
per call) and draws all the uniforms it needs as one block, so a call consumes exactly one seed
step, on every backend, whatever the distribution.
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from .seed_generator import SeedGenerator
from .threefry import ops_bits

_GLOBAL: dict[str, SeedGenerator] = {}


def global_seed_generator() -> SeedGenerator:
    """The per-backend generator used when ``seed=None``.

    Returns:
        The ``SeedGenerator`` of the active backend (created on first use).
    """
    b = current()
    g = _GLOBAL.get(b.name)
    if g is None:
        g = _GLOBAL[b.name] = SeedGenerator(name=f"global_seed_generator_{b.name}")
    return g


def key(seed: Any) -> tuple:
    """The Threefry key ``(k0, k1)`` (0-d int64 tensors) for a seed.

    Args:
        seed: ``None`` (the global generator), an int, a ``SeedGenerator`` (advanced by one step)
            or a ``(2,)`` integer tensor.

    Returns:
        ``(k0, k1)`` on the active backend.

    Raises:
        ValueError: If ``seed`` is a tensor of another shape than ``(2,)``.
    """
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


def words(seed: Any, n: int) -> Any:
    """``n`` random 32-bit words (int64 tensor in ``[0, 2**32)``) for ``seed``.

    Args:
        seed: As for :func:`key`.
        n: Number of words.

    Returns:
        A 1-D int64 tensor of length ``n``.
    """
    b = current()
    k0, k1 = key(seed)
    return ops_bits(b, k0, k1, n)


def uniform01(shape: tuple, dtype: str, seed: Any) -> Any:
    """Uniform floats in ``[0, 1)``: float64 from 53 random bits, other floats from 24 bits.

    The bits map to floats exactly (no rounding), so the values are bit-identical on every backend.

    Args:
        shape: Output shape.
        dtype: Float dtype name.
        seed: As for :func:`key`.

    Returns:
        A tensor of ``shape`` and ``dtype``.
    """
    b = current()
    n = int(np.prod(shape)) if shape else 1
    k0, k1 = key(seed)
    if dtype == "float64":
        w = ops_bits(b, k0, k1, 2 * n)
        hi = b.right_shift(b.getitem(w, (slice(0, n),)), b.full((), 5, "int64"))
        lo = b.right_shift(b.getitem(w, (slice(n, 2 * n),)), b.full((), 6, "int64"))
        ints = b.add(b.multiply(hi, b.full((), 67108864, "int64")), lo)
        u = b.multiply(b.cast(ints, "float64"), b.full((), 2.0**-53, "float64"))
    else:
        w = b.right_shift(ops_bits(b, k0, k1, n), b.full((), 8, "int64"))
        u = b.multiply(b.cast(w, "float32"), b.full((), 2.0**-24, "float32"))
        if dtype != "float32":
            u = b.cast(u, dtype)
    return b.reshape(u, tuple(shape))


def box_muller(u1: Any, u2: Any, dtype: str) -> Any:
    """Standard normals from two equal-shape blocks of ``[0, 1)`` uniforms (cosine branch).

    Args:
        u1: Uniforms; ``1 - u1`` is used inside the log so it never sees 0.
        u2: Uniforms for the angle.
        dtype: Their float dtype.

    Returns:
        Normals of the same shape and dtype.
    """
    b = current()
    r = b.sqrt(b.multiply(b.full((), -2.0, dtype), b.log(b.subtract(b.ones((), dtype), u1))))
    return b.multiply(r, b.cos(b.multiply(b.full((), 2 * _math.pi, dtype), u2)))


def float_dtype(dtype: Any) -> str:
    """Canonical float dtype (``None`` is ``floatx()``).

    Args:
        dtype: A dtype-like.

    Returns:
        The canonical name.

    Raises:
        ValueError: If the dtype is not a float dtype.
    """
    d = _dt.standardize_dtype(dtype)
    if not _dt.is_float(d):
        raise ValueError(f"Expected a float dtype, got {dtype!r}. Pass a float dtype such as 'float32'.")
    return d


def shape_tuple(shape: Any) -> tuple:
    """``shape`` (an int or a sequence of ints) as a tuple of Python ints.

    Args:
        shape: An int or a sequence of ints.

    Returns:
        The tuple.

    Raises:
        ValueError: If a dimension is negative.
    """
    shp = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shp):
        raise ValueError(f"A random shape cannot have negative dimensions, got {shp}.")
    return shp

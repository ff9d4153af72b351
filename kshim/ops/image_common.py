"""Helpers shared by the ``kshim.ops.image`` modules: argument checks, layouts, dtype handling."""

from __future__ import annotations

import math as _math
from typing import Any, Callable

import numpy as np

from .. import _config as config
from .. import dtypes as _dt
from ..backend import current

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}


def data_format(value: str | None) -> str:
    """Resolve an image ``data_format`` argument.

    Args:
        value: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global default).

    Returns:
        The canonical data format string.

    Raises:
        ValueError: for any other value.
    """
    return config.standardize_data_format(value)


def check_rank(shape: tuple, name: str = "images", ranks: tuple = (3, 4)) -> None:
    """Check the rank of an image argument, with Keras' wording.

    Args:
        shape: The argument's shape.
        name: The argument's name, for the message.
        ranks: The accepted ranks.

    Raises:
        ValueError: if ``len(shape)`` is not in ``ranks``.
    """
    if len(shape) not in ranks:
        what = {3: "rank 3 (single image)", 4: "rank 4 (batch of images)"}
        expected = " or ".join(what.get(r, f"rank {r}") for r in ranks)
        raise ValueError(
            f"Invalid {name} rank: expected {expected}. Received input with shape: {name}.shape={tuple(shape)}"
        )


def check_choice(name: str, value: Any, choices: Any) -> None:
    """Check a string option.

    Args:
        name: The argument's name, for the message.
        value: The value passed.
        choices: The accepted values.

    Raises:
        ValueError: naming the accepted values, if ``value`` is not one of them.
    """
    if value not in choices:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected one of {tuple(choices)}. Received: {name}={value!r}"
        )


def float_dtype(dtype: str) -> str:
    """The dtype an image op computes in.

    Args:
        dtype: A canonical dtype name.

    Returns:
        ``dtype`` for float dtypes, ``floatx()`` for everything else.
    """
    return dtype if _dt.is_float(dtype) else config.floatx()


def const(value: float, dtype: str) -> Any:
    """A 0-d constant of the active backend.

    Args:
        value: The Python number.
        dtype: Its dtype.

    Returns:
        The 0-d tensor.
    """
    return current().full((), value, dtype)


def to_nhwc(x: Any, df: str) -> tuple[Any, Callable[[Any], Any]]:
    """View a rank-3 or rank-4 image tensor as a channels_last batch.

    Args:
        x: The images, ``(H, W, C)``/``(N, H, W, C)`` or channels_first.
        df: Their data format.

    Returns:
        ``(x as (N, H, W, C), restore)``, where ``restore`` maps an ``(N, H', W', C')`` result back
        to the input's layout and batchedness.
    """
    b = current()
    unbatched = len(b.shape(x)) == 3
    if unbatched:
        x = b.reshape(x, (1,) + tuple(b.shape(x)))
    if df == "channels_first":
        x = b.transpose(x, (0, 2, 3, 1))

    def restore(y: Any) -> Any:
        if df == "channels_first":
            y = b.transpose(y, (0, 3, 1, 2))
        if unbatched:
            y = b.reshape(y, tuple(b.shape(y))[1:])
        return y

    return x, restore


def round_half_away(x: Any) -> Any:
    """Round to the nearest integer, halves away from zero (``lax.round``).

    Exact: the fraction ``|x| - floor(|x|)`` is computed without rounding error (``floor(|x| + 0.5)``
    would round 0.49999999999999994 up).

    Args:
        x: A float tensor.

    Returns:
        The rounded values, same dtype.
    """
    b = current()
    d = b.dtype(x)
    a = b.abs(x)
    fl = b.floor(a)
    up = b.greater_equal(b.subtract(a, fl), const(0.5, d))
    r = b.where(up, b.add(fl, const(1.0, d)), fl)
    return b.where(b.less(x, const(0.0, d)), b.negative(r), r)


def _int_range(dtype: str) -> tuple[int, int]:
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max)


def saturate_cast(x: Any, dtype: str, rounding: str = "even") -> Any:
    """Cast a float result back to an image dtype.

    Args:
        x: A float tensor.
        dtype: The target dtype. For integers the values are rounded first and clipped to the
            dtype's range; floats are cast.
        rounding: ``"even"`` (half to even, as ``ops.round``) or ``"away"`` (half away from zero).

    Returns:
        ``x`` in ``dtype``.
    """
    b = current()
    if b.dtype(x) == dtype:
        return x
    if _dt.is_int(dtype):
        d = b.dtype(x)
        x = round_half_away(x) if rounding == "away" else b.round(x)
        lo, hi = _int_range(dtype)
        x = b.minimum(b.maximum(x, const(float(lo), d)), const(float(hi), d))
    return b.cast(x, dtype)


def tuple_ints(value: Any, n: int, name: str) -> tuple:
    """Normalize an int-or-tuple argument.

    Args:
        value: An int or a sequence of ``n`` ints.
        n: The length wanted.
        name: The argument's name, for the message.

    Returns:
        A tuple of ``n`` Python ints.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        t = tuple(int(v) for v in value)
    except TypeError:
        raise ValueError(f"`{name}` must be an int or a tuple of {n} ints. Received: {name}={value!r}") from None
    if len(t) != n:
        raise ValueError(f"`{name}` must be an int or a tuple of {n} ints. Received: {name}={value!r}")
    return t


def concrete_float(value: Any, name: str) -> float:
    """A Python float from a number or a concrete one-element tensor.

    Args:
        value: The number (it sets a shape, so it cannot be a traced tensor).
        name: The argument's name, for the message.

    Returns:
        The float.

    Raises:
        ValueError: for a traced tensor, more than one element, or a non-finite value.
    """
    if isinstance(value, (int, float, np.number)):
        return float(value)
    b = current()
    try:
        arr = np.asarray(b.to_numpy(value) if b.is_tensor(value) else value)
    except Exception:
        raise ValueError(
            f"`{name}` sets a kernel size, so it must be a concrete number, not a traced tensor. "
            f"Received: {name}={value!r}"
        ) from None
    if arr.size != 1:
        raise ValueError(f"`{name}` must be a scalar. Received shape {arr.shape}.")
    v = float(arr.reshape(()))
    if not _math.isfinite(v):
        raise ValueError(f"`{name}` must be finite. Received: {name}={v}")
    return v

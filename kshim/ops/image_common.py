"""Helpers shared by the ``kshim.ops.image`` modules: argument checks, layouts, dtype handling."""
from __future__ import annotations

import math as _math
from typing import Any, Callable

import numpy as np

from .. import config
from .. import dtypes as _dt
from ..backend import current

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}


def data_format(value: str | None) -> str:
    """``None`` -> the global ``image_data_format()``; otherwise validated."""
    return config.standardize_data_format(value)


def check_rank(shape: tuple, name: str = "images", ranks: tuple = (3, 4)) -> None:
    """ValueError unless ``len(shape)`` is one of ``ranks`` (Keras' wording)."""
    if len(shape) not in ranks:
        what = {3: "rank 3 (single image)", 4: "rank 4 (batch of images)"}
        expected = " or ".join(what.get(r, f"rank {r}") for r in ranks)
        raise ValueError(f"Invalid {name} rank: expected {expected}. Received input with shape: "
                         f"{name}.shape={tuple(shape)}")


def check_choice(name: str, value: Any, choices: Any) -> None:
    """ValueError naming the valid values when ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ValueError(f"Invalid value for argument `{name}`. Expected one of {tuple(choices)}. "
                         f"Received: {name}={value!r}")


def float_dtype(dtype: str) -> str:
    """The dtype an image op computes in: floats keep theirs, everything else uses ``floatx()``."""
    return dtype if _dt.is_float(dtype) else config.floatx()


def const(value: float, dtype: str) -> Any:
    """A 0-d constant of the active backend."""
    return current().full((), value, dtype)


def to_nhwc(x: Any, df: str) -> tuple[Any, Callable[[Any], Any]]:
    """A rank-3/4 image tensor as (N, H, W, C), and the function that restores the input layout
    (for outputs of the same rank layout)."""
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
    """Round to the nearest integer, halves away from zero (``lax.round``), exactly: the fraction
    ``|x| - floor(|x|)`` is computed without rounding error."""
    b = current()
    d = b.dtype(x)
    a = b.abs(x)
    fl = b.floor(a)
    up = b.greater_equal(b.subtract(a, fl), const(0.5, d))
    r = b.where(up, b.add(fl, const(1.0, d)), fl)
    return b.where(b.less(x, const(0.0, d)), b.negative(r), r)


def int_range(dtype: str) -> tuple[int, int]:
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max)


def saturate_cast(x: Any, dtype: str, rounding: str = "even") -> Any:
    """Float ``x`` -> ``dtype``: integers are rounded (``"even"``: half to even as ``ops.round``;
    ``"away"``: half away from zero) and clipped to the dtype's range first; floats are cast."""
    b = current()
    if b.dtype(x) == dtype:
        return x
    if _dt.is_int(dtype):
        d = b.dtype(x)
        x = round_half_away(x) if rounding == "away" else b.round(x)
        lo, hi = int_range(dtype)
        x = b.minimum(b.maximum(x, const(float(lo), d)), const(float(hi), d))
    return b.cast(x, dtype)


def tuple_ints(value: Any, n: int, name: str) -> tuple:
    """An int or ``n`` ints -> a tuple of ``n`` Python ints (ValueError otherwise)."""
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
    """A Python float from a number or a concrete 0-d tensor (shapes depend on it, so it cannot be traced)."""
    if isinstance(value, (int, float, np.number)):
        return float(value)
    b = current()
    try:
        arr = np.asarray(b.to_numpy(value) if b.is_tensor(value) else value)
    except Exception:
        raise ValueError(f"`{name}` sets a kernel size, so it must be a concrete number, not a traced tensor. "
                         f"Received: {name}={value!r}") from None
    if arr.size != 1:
        raise ValueError(f"`{name}` must be a scalar. Received shape {arr.shape}.")
    v = float(arr.reshape(()))
    if not _math.isfinite(v):
        raise ValueError(f"`{name}` must be finite. Received: {name}={v}")
    return v

"""Convolution, pooling and fused softmax-style primitives of the JAX backend (a mixin)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

_HIGHEST = lax.Precision.HIGHEST
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _check_format(data_format: str) -> None:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")


def _dimension_numbers(nd: int, data_format: str, kernel_io: str) -> tuple[str, str, str]:
    """(lhs, rhs, out) spec strings for ``lax.conv_general_dilated``.

    ``kernel_io`` is ``"IO"`` for Keras conv kernels ``(*k, in, out)`` and ``"OI"`` for Keras
    transpose kernels ``(*k, out, in)`` (used as a conv from ``in`` to ``out`` channels).
    """
    _check_format(data_format)
    if nd not in _SPATIAL:
        raise ValueError(f"Only 1, 2 or 3 spatial dimensions are supported, got {nd}")
    sp = _SPATIAL[nd]
    act = "N" + sp + "C" if data_format == "channels_last" else "NC" + sp
    return act, sp + kernel_io, act


def _pairs(padding: Sequence, nd: int) -> list[tuple[int, int]]:
    pads = [(int(lo), int(hi)) for lo, hi in padding]
    if len(pads) != nd:
        raise ValueError(f"padding needs one (low, high) pair per spatial dim ({nd}), got {padding!r}")
    return pads


def _ints(v: Sequence[int], nd: int, what: str) -> tuple[int, ...]:
    t = tuple(int(s) for s in v)
    if len(t) != nd:
        raise ValueError(f"{what} needs {nd} values (one per spatial dim), got {v!r}")
    return t


def _window(vals: tuple[int, ...], fill: int, data_format: str) -> tuple[int, ...]:
    """Per-spatial-dim values extended with ``fill`` for the batch and channel dims."""
    if data_format == "channels_last":
        return (fill,) + vals + (fill,)
    return (fill, fill) + vals


def _window_pad(pads: list, data_format: str) -> list[tuple[int, int]]:
    if data_format == "channels_last":
        return [(0, 0)] + pads + [(0, 0)]
    return [(0, 0), (0, 0)] + pads


class NNMixin:
    """conv / conv_transpose / pools / softmax family."""

    def conv(self, x, kernel, strides, padding, dilation, groups, data_format):
        nd = kernel.ndim - 2
        if x.ndim != nd + 2:
            raise ValueError(f"conv: input rank {x.ndim} does not match a {nd}-d kernel of shape {kernel.shape}")
        dn = _dimension_numbers(nd, data_format, "IO")
        return lax.conv_general_dilated(
            x,
            kernel,
            window_strides=_ints(strides, nd, "strides"),
            padding=_pairs(padding, nd),
            rhs_dilation=_ints(dilation, nd, "dilation"),
            dimension_numbers=dn,
            feature_group_count=int(groups),
            precision=_HIGHEST,
        )

    def conv_transpose(self, x, kernel, strides, padding, dilation, data_format):
        nd = kernel.ndim - 2
        if x.ndim != nd + 2:
            raise ValueError(
                f"conv_transpose: input rank {x.ndim} does not match a {nd}-d kernel of shape {kernel.shape}"
            )
        dn = _dimension_numbers(nd, data_format, "OI")
        flipped = lax.rev(kernel, tuple(range(nd)))
        return lax.conv_general_dilated(
            x,
            flipped,
            window_strides=(1,) * nd,
            padding=_pairs(padding, nd),
            lhs_dilation=_ints(strides, nd, "strides"),
            rhs_dilation=_ints(dilation, nd, "dilation"),
            dimension_numbers=dn,
            precision=_HIGHEST,
        )

    def max_pool(self, x, pool_size, strides, padding, data_format):
        _check_format(data_format)
        nd = x.ndim - 2
        dt = x.dtype
        if jnp.issubdtype(dt, jnp.floating):
            init = np.array(-np.inf, dtype=dt)
        elif dt == jnp.bool_:
            init = np.array(False)
        else:
            init = np.array(np.iinfo(dt).min, dtype=dt)
        return lax.reduce_window(
            x,
            init,
            lax.max,
            window_dimensions=_window(_ints(pool_size, nd, "pool_size"), 1, data_format),
            window_strides=_window(_ints(strides, nd, "strides"), 1, data_format),
            padding=_window_pad(_pairs(padding, nd), data_format),
        )

    def avg_pool(self, x, pool_size, strides, padding, data_format):
        _check_format(data_format)
        nd = x.ndim - 2
        window = _window(_ints(pool_size, nd, "pool_size"), 1, data_format)
        wstrides = _window(_ints(strides, nd, "strides"), 1, data_format)
        pads = _window_pad(_pairs(padding, nd), data_format)
        dt = x.dtype
        acc_dt = jnp.float32 if dt in (jnp.float16, jnp.bfloat16) else dt
        xs = x.astype(acc_dt)
        total = lax.reduce_window(xs, np.array(0, dtype=acc_dt), lax.add, window, wstrides, pads)
        # Count of non-padded cells per window: reduce a ones tensor shaped like one example/channel.
        if data_format == "channels_last":
            ones_shape = (1,) + tuple(x.shape[1:-1]) + (1,)
        else:
            ones_shape = (1, 1) + tuple(x.shape[2:])
        ones = jnp.ones(ones_shape, dtype=acc_dt)
        count = lax.reduce_window(ones, np.array(0, dtype=acc_dt), lax.add, window, wstrides, pads)
        return (total / count).astype(dt)

    # ---- optional fused ops -----------------------------------------------------------------
    def relu(self, x):
        return jax.nn.relu(x)

    def split_at(self, x, indices: list, axis: int) -> list:
        return jnp.split(x, indices, axis=axis)

    def softmax(self, x, axis: int):
        return jax.nn.softmax(x, axis=axis)

    def log_softmax(self, x, axis: int):
        return jax.nn.log_softmax(x, axis=axis)

    def logsumexp(self, x, axis=None, keepdims: bool = False):
        return jax.scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)

    # ---- optional fused attention (see backends/_protocol.py) -------------------------------------
    def dot_product_attention(self, query, key, value, bias, mask, scale, is_causal):
        """``jax.nn.dot_product_attention`` for float32 with equal query/value head sizes; it declines
        (None: the composite runs) otherwise, as jax computes the softmax in float32 (float64 would lose
        precision) and requires ``value``'s head size to be the key's."""
        if query.dtype != jnp.float32 or value.shape[-1] != query.shape[-1]:
            return None
        return jax.nn.dot_product_attention(
            query, key, value, bias=bias, mask=mask, scale=float(scale), is_causal=bool(is_causal)
        )

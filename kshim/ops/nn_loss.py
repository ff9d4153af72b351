"""Encodings and the crossentropy ops of ``keras.ops.nn``."""
from __future__ import annotations

from typing import Any

from .. import _config as config
from .. import dtypes as _dt
from .._validation import check_op_output
from ..backend import current
from ._dispatch import norm_axis, op, promote, tensor
from .nn import _c, _f, log_softmax


@op
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    """One-hot encode integer labels; out-of-range labels give all zeros."""
    b = current()
    x = tensor(x)
    d = config.floatx() if dtype is None else _dt.standardize_dtype(dtype)
    nd = len(b.shape(x)) + 1
    ax = norm_axis(axis, nd)
    check_op_output(tuple(b.shape(x)) + (int(num_classes),), "the output of one_hot", fix="Use fewer classes.")
    classes = b.arange(0, int(num_classes), 1, b.dtype(x) if _dt.is_int(b.dtype(x)) else "int64")
    shp = [1] * nd
    shp[ax] = int(num_classes)
    xe = b.reshape(x, tuple(b.shape(x)[:ax]) + (1,) + tuple(b.shape(x)[ax:]))
    if not _dt.is_int(b.dtype(xe)):
        xe = b.cast(xe, "int64")
    return b.cast(b.equal(xe, b.reshape(classes, tuple(shp))), d)


@op
def multi_hot(inputs: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    """Multi-hot encode: 1 for every class present along the last axis."""
    b = current()
    oh = one_hot(inputs, num_classes, axis=-1, dtype=dtype)
    nd = len(b.shape(oh))
    red = nd - 2 if nd >= 2 else None
    if red is None:
        return oh
    return b.max(oh, (red,), False)


def _clip_probs(output: Any) -> Any:
    b = current()
    eps = config.epsilon()
    return b.minimum(b.maximum(output, _c(output, eps)), _c(output, 1.0 - eps))


@op
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    """Crossentropy between one-hot (or soft) ``target`` and ``output`` along ``axis``."""
    b = current()
    t, o = promote(_f(target), _f(output))
    if b.shape(t) != b.shape(o):
        raise ValueError(f"categorical_crossentropy: target shape {b.shape(t)} != output shape {b.shape(o)}.")
    ax = norm_axis(axis, len(b.shape(o)))
    if from_logits:
        logp = log_softmax(o, axis=ax)
    else:
        o = b.divide(o, b.sum(o, (ax,), True))
        logp = b.log(_clip_probs(o))
    return b.negative(b.sum(b.multiply(t, logp), (ax,), False))


@op
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    """Crossentropy between integer labels ``target`` and ``output`` scores along ``axis``."""
    b = current()
    o = _f(output)
    t = tensor(target)
    oshape = tuple(b.shape(o))
    ax = norm_axis(axis, len(oshape))
    if len(b.shape(t)) == len(oshape) and b.shape(t)[ax] == 1:
        t = b.reshape(t, tuple(s for i, s in enumerate(b.shape(t)) if i != ax))
    expect = oshape[:ax] + oshape[ax + 1:]
    if tuple(b.shape(t)) != expect:
        raise ValueError(f"sparse_categorical_crossentropy: target shape {tuple(b.shape(t))} does not match "
                         f"output shape {oshape} (expected {expect}).")
    if not _dt.is_int(b.dtype(t)):
        t = b.cast(t, "int64")
    if from_logits:
        logp = log_softmax(o, axis=ax)
    else:
        o = b.divide(o, b.sum(o, (ax,), True))
        logp = b.log(_clip_probs(o))
    idx = b.reshape(t, expect[:ax] + (1,) + expect[ax:])
    picked = b.take_along_axis(logp, idx, ax)
    return b.negative(b.reshape(picked, expect))


@op
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Elementwise binary crossentropy."""
    b = current()
    t, o = promote(_f(target), _f(output))
    if from_logits:
        # NOTE: relu(x) - x*t + log1p(exp(-|x|)) is stable for large |x|.
        relu_o = b.maximum(o, _c(o, 0.0))
        return b.add(b.subtract(relu_o, b.multiply(o, t)), b.log1p(b.exp(b.negative(b.abs(o)))))
    o = _clip_probs(o)
    one = _c(o, 1.0)
    return b.negative(b.add(b.multiply(t, b.log(o)), b.multiply(b.subtract(one, t), b.log(b.subtract(one, o)))))


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]

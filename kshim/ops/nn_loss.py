"""Encodings and the crossentropy ops of ``keras.ops.nn``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _config as config
from .. import dtypes as _dt
from .._validation import check_op_output
from ..backend import current
from ._dispatch import norm_axis, op, promote, tensor
from .nn import _c, _f, log_softmax


@op
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    """One-hot encodes integer labels: a new axis of size ``num_classes`` that is 1 at each label.

    Labels outside ``[0, num_classes)`` (negative ones included) give all zeros; float labels are
    cast to int64 first. Unlike Keras, ``sparse=True`` is ignored: the result is always dense.

    Args:
        x: Tensor of integer class labels, of any shape.
        num_classes: The number of classes (the size of the new axis).
        axis: The position of the new axis in the result (default -1: last).
        dtype: The result's dtype; None (the default) means ``floatx()``.
        sparse: Ignored.

    Returns:
        A tensor of rank ``x.ndim + 1`` with ``num_classes`` entries along ``axis``.

    Raises:
        ValueError: If ``axis`` is out of bounds for the result's rank, or the result would have more
            elements than kshim's per-tensor limit (``2**31 - 1``).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.one_hot(kshim.ops.array([0, 2]), 3))
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
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
    """Multi-hot encodes integer labels: 1 for every class present along the last axis of ``inputs``.

    Unlike Keras, ``axis`` and ``sparse`` are ignored: the labels are always read along the last
    axis and the result is dense.

    Args:
        inputs: Tensor of integer class labels; its last axis holds the labels of one sample.
        num_classes: The number of classes.
        axis: Ignored.
        dtype: The result's dtype; None (the default) means ``floatx()``.
        sparse: Ignored.

    Returns:
        A tensor of shape ``inputs.shape[:-1] + (num_classes,)`` (``(num_classes,)`` for 0-d or 1-d
        inputs). Labels outside ``[0, num_classes)`` are not counted.

    Raises:
        ValueError: If the one-hot intermediate would have more elements than kshim's per-tensor
            limit (``2**31 - 1``).

    Example:
        >>> out = kshim.ops.multi_hot(kshim.ops.array([[0, 2], [1, 1]]), 3)
        >>> kshim.ops.convert_to_numpy(out)
        array([[1., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
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
    """Crossentropy between one-hot (or soft) targets and predicted class scores along ``axis``:
    ``-sum(target * log(p))``.

    With ``from_logits=False`` the outputs are first rescaled to sum to 1 along ``axis``, then
    clipped to ``[epsilon, 1 - epsilon]`` (``kshim.config.epsilon()``) before the log.

    Args:
        target: Tensor of target probabilities, of the same shape as ``output``.
        output: Tensor of predicted probabilities, or logits when ``from_logits`` is True.
        from_logits: Whether ``output`` holds logits (a log-softmax is applied) rather than
            probabilities (default False).
        axis: The class axis (default -1).

    Returns:
        A float tensor of the per-sample losses: ``output``'s shape with ``axis`` removed.

    Raises:
        ValueError: If ``target`` and ``output`` have different shapes, or ``axis`` is out of bounds.
    """
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
    """Crossentropy between integer class labels and predicted class scores along ``axis``:
    ``-log(p[target])``.

    With ``from_logits=False`` the outputs are first rescaled to sum to 1 along ``axis``, then
    clipped to ``[epsilon, 1 - epsilon]`` (``kshim.config.epsilon()``) before the log.

    Args:
        target: Tensor of integer labels, of ``output``'s shape without ``axis`` (a size-1 ``axis``
            is also accepted and dropped); float labels are cast to int64.
        output: Tensor of predicted probabilities, or logits when ``from_logits`` is True.
        from_logits: Whether ``output`` holds logits (a log-softmax is applied) rather than
            probabilities (default False).
        axis: The class axis of ``output`` (default -1).

    Returns:
        A float tensor of the per-sample losses: ``output``'s shape with ``axis`` removed.

    Raises:
        ValueError: If ``target``'s shape does not match ``output``'s without ``axis``, or ``axis``
            is out of bounds.
    """
    b = current()
    o = _f(output)
    t = tensor(target)
    oshape = tuple(b.shape(o))
    ax = norm_axis(axis, len(oshape))
    if len(b.shape(t)) == len(oshape) and b.shape(t)[ax] == 1:
        t = b.reshape(t, tuple(s for i, s in enumerate(b.shape(t)) if i != ax))
    expect = oshape[:ax] + oshape[ax + 1 :]
    if tuple(b.shape(t)) != expect:
        raise ValueError(
            f"sparse_categorical_crossentropy: target shape {tuple(b.shape(t))} does not match "
            f"output shape {oshape} (expected {expect})."
        )
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
    """Elementwise binary crossentropy: ``-(target * log(p) + (1 - target) * log(1 - p))``.

    With ``from_logits=False`` the probabilities are clipped to ``[epsilon, 1 - epsilon]``
    (``kshim.config.epsilon()``) before the logs; with ``from_logits=True`` a formulation that is
    stable for large ``|output|`` is used.

    Args:
        target: Tensor of target values in ``[0, 1]``, broadcastable with ``output``.
        output: Tensor of predicted probabilities, or logits when ``from_logits`` is True.
        from_logits: Whether ``output`` holds logits rather than probabilities (default False).

    Returns:
        A float tensor of elementwise losses, of the broadcast shape of ``target`` and ``output``
        (no reduction).
    """
    b = current()
    t, o = promote(_f(target), _f(output))
    if from_logits:
        # NOTE: relu(x) - x*t + log1p(exp(-|x|)) is stable for large |x|.
        relu_o = b.maximum(o, _c(o, 0.0))
        return b.add(b.subtract(relu_o, b.multiply(o, t)), b.log1p(b.exp(b.negative(b.abs(o)))))
    o = _clip_probs(o)
    one = _c(o, 1.0)
    return b.negative(b.add(b.multiply(t, b.log(o)), b.multiply(b.subtract(one, t), b.log(b.subtract(one, o)))))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]

"""Keras 3 loss functions (per-sample, reduced over the last axis) and their ``Loss`` classes."""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable

from .. import _config as config, ops
from .loss import Loss, check_sparse_target_shape, check_target_shape, squeeze_or_expand_to_same_rank
from .._validation import bind_positional, option_annotation


def _pair(y_true: Any, y_pred: Any, loss: str) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    if not ops.dtype(y_pred).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, config.floatx())
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_target_shape(loss, y_true, y_pred)
    return y_true, y_pred


# ---- regression ----------------------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((y_true - y_pred)**2, axis=-1)``.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])).tolist()
        [0.5]
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(|y_true - y_pred|, axis=-1)``.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``.

    ``eps`` is ``kshim.config.epsilon()``, so zero targets do not divide by zero.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    eps = ops.cast(config.epsilon(), ops.dtype(y_pred))
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), eps)))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``.

    ``eps`` is ``kshim.config.epsilon()``: values below it (negative ones included) are raised to it.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = config.epsilon()
    a = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    b = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(a, b)), axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Negative cosine similarity along ``axis``.

    ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``: -1 for vectors pointing the same
    way, 0 for orthogonal ones, 1 for opposite ones.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.
        axis: The axis the similarity is computed along (default the last).

    Returns:
        The per-sample loss, of ``y_pred``'s shape without ``axis``, in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "cosine_similarity")
    return ops.negative(
        ops.sum(ops.multiply(ops.normalize(y_true, axis=axis), ops.normalize(y_pred, axis=axis)), axis=axis)
    )


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Quadratic for ``|error| <= delta``, linear beyond.

    Per element ``0.5 * e**2`` for ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``, with
    ``e = y_pred - y_true``; then averaged over the last axis.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.
        delta: The error size where the loss turns from quadratic to linear (default 1.0).

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    d = ops.cast(delta, ops.dtype(y_pred))
    err = ops.subtract(y_pred, y_true)
    abs_err = ops.abs(err)
    quad = ops.multiply(0.5, ops.square(err))
    lin = ops.subtract(ops.multiply(d, abs_err), ops.multiply(0.5, ops.square(d)))
    return ops.mean(ops.where(ops.less_equal(abs_err, d), quad, lin), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)`` computed stably.

    Written as ``x + softplus(-2x) - log(2)``, which does not overflow for large errors.

    Args:
        y_true: Targets, shape ``(batch_size, ..., d)``; cast to ``y_pred``'s dtype.
        y_pred: Predictions, the shape of ``y_true`` (size-1 axes broadcast; a trailing axis of 1 on either
            side is squeezed or added to match ranks). Integer predictions are cast to ``floatx``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_true, y_pred = _pair(y_true, y_pred, "log_cosh")
    x = ops.subtract(y_pred, y_true)
    return ops.mean(ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), math.log(2.0)), axis=-1)


# ---- probabilistic --------------------------------------------------------------------------------
def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[eps, 1]``.

    Args:
        y_true: Target probabilities, the shape of ``y_pred`` (or broadcastable to it); cast to ``y_pred``'s dtype.
        y_pred: Predicted probabilities, shape ``(batch_size, ..., d)``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is summed), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("kl_divergence", y_true, y_pred)
    y_true = ops.clip(y_true, config.epsilon(), 1)
    y_pred = ops.clip(y_pred, config.epsilon(), 1)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Args:
        y_true: Targets, the shape of ``y_pred`` (or broadcastable to it); cast to ``y_pred``'s dtype.
        y_pred: Predicted rates (non-negative), shape ``(batch_size, ..., d)``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("poisson", y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, config.epsilon())))), axis=-1)


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Any:
    """Mean elementwise binary crossentropy along ``axis``; labels smoothed towards 0.5.

    Probabilities are clipped to ``[eps, 1 - eps]``.

    Args:
        y_true: Binary targets (0 or 1, or soft labels in ``[0, 1]``), the shape of ``y_pred`` (a trailing axis
            of 1 is squeezed or added to match ranks; other axes must match exactly).
        y_pred: Predicted probabilities, or logits if ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``
            (default 0.0: none).
        axis: The axis the elementwise losses are averaged over (default the last).

    Returns:
        The per-sample loss, of ``y_pred``'s shape without ``axis`` (that axis is averaged).

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` differ.

    Example:
        >>> loss = kshim.losses.binary_crossentropy([[1.0, 0.0]], [[0.5, 0.5]])
        >>> round(float(kshim.ops.convert_to_numpy(loss)[0]), 4)
        0.6931
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops.cast(y_true, ops.dtype(y_pred)), y_pred)
    check_target_shape("binary_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha`` balancing).

    ``p_t`` is the predicted probability of the true class, so well-classified examples are down-weighted.

    Args:
        y_true: Binary targets (0 or 1, or soft labels in ``[0, 1]``), the shape of ``y_pred`` (a trailing axis
            of 1 is squeezed or added to match ranks; other axes must match exactly).
        y_pred: Predicted probabilities, or logits if ``from_logits``.
        apply_class_balancing: Whether to weight positives by ``alpha`` and negatives by ``1 - alpha``
            (default False).
        alpha: The class-balancing weight of positives (default 0.25), used with ``apply_class_balancing``.
        gamma: The focusing parameter (default 2.0); 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``
            (default 0.0: none).
        axis: The axis the elementwise losses are averaged over (default the last).

    Returns:
        The per-sample loss, of ``y_pred``'s shape without ``axis`` (that axis is averaged).

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` differ.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops.cast(y_true, ops.dtype(y_pred)), y_pred)
    check_target_shape("binary_focal_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = ops.add(ops.multiply(y_true, y_pred), ops.multiply(ops.subtract(1, y_true), ops.subtract(1, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        w = ops.add(ops.multiply(y_true, alpha), ops.multiply(ops.subtract(1, y_true), 1 - alpha))
        focal = ops.multiply(w, focal)
    return ops.mean(focal, axis=axis)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Any:
    """Crossentropy against one-hot labels (smoothed towards ``1/num_classes``).

    Without ``from_logits`` the predictions are normalized to sum to 1 along ``axis`` and clipped to
    ``[eps, 1 - eps]``.

    Args:
        y_true: One-hot (or soft) targets, the shape of ``y_pred``.
        y_pred: Predicted class probabilities, or logits if ``from_logits``; shape ``(..., num_classes)``.
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + label_smoothing / n``
            with ``n`` the size of the last axis (default 0.0: none).
        axis: The class axis (default the last).

    Returns:
        The per-sample loss, of ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: If the shapes differ, or ``axis`` is a bool.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("categorical_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        n = ops.cast(ops.shape(y_true)[-1], ops.dtype(y_pred))
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), ops.divide(label_smoothing, n))
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _squeeze_sparse(y_true: Any, y_pred: Any, axis: int) -> Any:
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    return y_true


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> Any:
    """Crossentropy against integer labels; entries equal to ``ignore_class`` give 0.

    Args:
        y_true: Integer class labels, of ``y_pred``'s shape without ``axis`` (or with it of size 1).
        y_pred: Predicted class probabilities, or logits if ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        ignore_class: A label value whose entries get a loss of 0 (default None: no label is ignored).
        axis: The class axis of ``y_pred`` (default the last).

    Returns:
        The per-sample loss, of ``y_true``'s shape (a size-1 class axis dropped).

    Raises:
        ValueError: If the labels' shape does not fit ``y_pred``.
    """
    check_sparse_target_shape("sparse_categorical_crossentropy", y_true, y_pred, axis)
    y_true = _squeeze_sparse(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred), axis)
    y_pred = ops.convert_to_tensor(y_pred)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    valid = ops.not_equal(y_true, ops.cast(ignore_class, ops.dtype(y_true)))
    y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
    # Ignored entries get uniform predictions (not Keras' zeros, which normalise as 0/0 and warn on NumPy);
    # their loss is replaced by 0 below either way.
    y_pred = ops.where(ops.expand_dims(valid, axis), y_pred, ops.ones_like(y_pred))
    res = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    return ops.where(ops.reshape(valid, ops.shape(res)), res, ops.zeros_like(res))


# ---- hinge ----------------------------------------------------------------------------------------
def _hinge_labels(y_true: Any) -> Any:
    """{0, 1} labels -> {-1, 1}; other labels unchanged (decided over the whole tensor, traceably)."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with {0,1} labels mapped to {-1,1}.

    Args:
        y_true: Targets in {-1, 1}; if every entry is 0 or 1 they are mapped to -1 and 1. Cast to ``y_pred``'s
            dtype; the shape of ``y_pred`` (or broadcastable to it).
        y_pred: Predicted scores, shape ``(batch_size, ..., d)``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_target_shape("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - y_true * y_pred, 0)**2, axis=-1)``.

    As :func:`hinge`, {0,1} labels are mapped to {-1,1} first.

    Args:
        y_true: Targets in {-1, 1}; if every entry is 0 or 1 they are mapped to -1 and 1. Cast to ``y_pred``'s
            dtype; the shape of ``y_pred`` (or broadcastable to it).
        y_pred: Predicted scores, shape ``(batch_size, ..., d)``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is averaged), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_target_shape("squared_hinge", y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    Both the sum and the max are taken over the last axis: the margin between the true class's score
    and the best other score.

    Args:
        y_true: One-hot targets, the shape of ``y_pred`` (or broadcastable to it).
        y_pred: Predicted scores, shape ``(batch_size, ..., num_classes)``.

    Returns:
        The per-sample loss, of shape ``y_pred.shape[:-1]`` (the last axis is reduced), in ``y_pred``'s float
        dtype.

    Raises:
        ValueError: If the shapes of ``y_true`` and ``y_pred`` cannot be combined.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("categorical_hinge", y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), ops.cast(0.0, ops.dtype(y_pred)))


# ---- classes --------------------------------------------------------------------------------------
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses."""

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        if type(self) is LossFunctionWrapper:
            cfg["fn"] = getattr(self.fn, "__name__", self.fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        config = dict(config)
        if "fn" in config and isinstance(config["fn"], str):
            from . import get

            config["fn"] = get(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def _wrapper(fn: Callable, default_name: str, doc: str, **defaults: Any) -> type:
    """A ``LossFunctionWrapper`` subclass whose constructor takes ``defaults`` as keyword options."""

    keys = list(defaults)
    order = keys + ["reduction", "name", "dtype"]  # Keras' positional order: options, then reduction, name, dtype

    def __init__(self, *args: Any, **kwargs: Any):
        bind_positional(type(self).__name__, order, args, kwargs)
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}")
        reduction = kwargs.pop("reduction", "sum_over_batch_size")
        name = kwargs.pop("name", default_name)
        dtype = kwargs.pop("dtype", None)
        opts = {**defaults, **kwargs}
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype, **opts)
        for k, v in opts.items():
            setattr(self, k, v)

    _P = inspect.Parameter
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_P("self", _P.POSITIONAL_OR_KEYWORD)]
        + [_P(k, _P.POSITIONAL_OR_KEYWORD, default=v, annotation=option_annotation(k, v)) for k, v in defaults.items()]
        + [
            _P("reduction", _P.POSITIONAL_OR_KEYWORD, default="sum_over_batch_size", annotation="str | None"),
            _P("name", _P.POSITIONAL_OR_KEYWORD, default=default_name, annotation="str | None"),
            _P("dtype", _P.POSITIONAL_OR_KEYWORD, default=None, annotation="Any"),
        ],
        return_annotation=None,
    )

    def get_config(self) -> dict:
        return {**Loss.get_config(self), **self._fn_kwargs}

    def from_config(cls: Any, config: dict) -> Loss:
        return cls(**config)

    return type(
        "_Wrapped",
        (LossFunctionWrapper,),
        {"__init__": __init__, "get_config": get_config, "from_config": classmethod(from_config), "__doc__": doc},
    )


def _named(cls: type, name: str) -> type:
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    return cls


MeanSquaredError = _named(
    _wrapper(
        mean_squared_error,
        "mean_squared_error",
        """Mean squared error.

    The per-sample :func:`mean_squared_error`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"mean_squared_error"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "MeanSquaredError",
)
MeanAbsoluteError = _named(
    _wrapper(
        mean_absolute_error,
        "mean_absolute_error",
        """Mean absolute error.

    The per-sample :func:`mean_absolute_error`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"mean_absolute_error"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "MeanAbsoluteError",
)
MeanAbsolutePercentageError = _named(
    _wrapper(
        mean_absolute_percentage_error,
        "mean_absolute_percentage_error",
        """Mean absolute percentage error.

    The per-sample :func:`mean_absolute_percentage_error`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"mean_absolute_percentage_error"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "MeanAbsolutePercentageError",
)
MeanSquaredLogarithmicError = _named(
    _wrapper(
        mean_squared_logarithmic_error,
        "mean_squared_logarithmic_error",
        """Mean squared logarithmic error.

    The per-sample :func:`mean_squared_logarithmic_error`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"mean_squared_logarithmic_error"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "MeanSquaredLogarithmicError",
)
CosineSimilarity = _named(
    _wrapper(
        cosine_similarity,
        "cosine_similarity",
        """Negative cosine similarity.

    The per-sample :func:`cosine_similarity`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        axis: The axis the similarity is computed along (default the last).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"cosine_similarity"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.

    Differs from Keras: ``get_config()`` also records ``axis``, so a saved loss keeps it; Keras 3 records
    only ``name`` and ``reduction`` (a revived Keras loss is back on the last axis). Keras' ``from_config``
    accepts kshim's config.
    """,
        axis=-1,
    ),
    "CosineSimilarity",
)
Huber = _named(
    _wrapper(
        huber,
        "huber_loss",
        """Huber loss (``delta`` 1.0).

    The per-sample :func:`huber`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        delta: The error size where the loss turns from quadratic to linear (default 1.0).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"huber_loss"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.

    Differs from Keras: ``get_config()`` also records ``delta``, so a saved loss keeps it; Keras 3 records
    only ``name`` and ``reduction`` (a revived Keras loss is back to ``delta=1.0``). Keras' ``from_config``
    accepts kshim's config.
    """,
        delta=1.0,
    ),
    "Huber",
)
LogCosh = _named(
    _wrapper(
        log_cosh,
        "log_cosh",
        """Log-cosh loss.

    The per-sample :func:`log_cosh`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"log_cosh"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "LogCosh",
)
KLDivergence = _named(
    _wrapper(
        kl_divergence,
        "kl_divergence",
        """Kullback-Leibler divergence.

    The per-sample :func:`kl_divergence`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"kl_divergence"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "KLDivergence",
)
Poisson = _named(
    _wrapper(
        poisson,
        "poisson",
        """Poisson loss.

    The per-sample :func:`poisson`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"poisson"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "Poisson",
)
BinaryCrossentropy = _named(
    _wrapper(
        binary_crossentropy,
        "binary_crossentropy",
        """Binary crossentropy.

    The per-sample :func:`binary_crossentropy`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``
            (default 0.0: none).
        axis: The axis the elementwise losses are averaged over (default the last).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"binary_crossentropy"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    ),
    "BinaryCrossentropy",
)
BinaryFocalCrossentropy = _named(
    _wrapper(
        binary_focal_crossentropy,
        "binary_focal_crossentropy",
        """Binary focal crossentropy.

    The per-sample :func:`binary_focal_crossentropy`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        apply_class_balancing: Whether to weight positives by ``alpha`` and negatives by ``1 - alpha``
            (default False).
        alpha: The class-balancing weight of positives (default 0.25), used with ``apply_class_balancing``.
        gamma: The focusing parameter (default 2.0); 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``
            (default 0.0: none).
        axis: The axis the elementwise losses are averaged over (default the last).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"binary_focal_crossentropy"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    ),
    "BinaryFocalCrossentropy",
)
CategoricalCrossentropy = _named(
    _wrapper(
        categorical_crossentropy,
        "categorical_crossentropy",
        """Categorical crossentropy.

    The per-sample :func:`categorical_crossentropy`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; targets become ``y_true * (1 - label_smoothing) + label_smoothing / n``
            for ``n`` classes (default 0.0: none).
        axis: The class axis (default the last).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"categorical_crossentropy"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    ),
    "CategoricalCrossentropy",
)
Hinge = _named(
    _wrapper(
        hinge,
        "hinge",
        """Hinge loss.

    The per-sample :func:`hinge`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"hinge"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "Hinge",
)
SquaredHinge = _named(
    _wrapper(
        squared_hinge,
        "squared_hinge",
        """Squared hinge loss.

    The per-sample :func:`squared_hinge`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"squared_hinge"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "SquaredHinge",
)
CategoricalHinge = _named(
    _wrapper(
        categorical_hinge,
        "categorical_hinge",
        """Categorical hinge loss.

    The per-sample :func:`categorical_hinge`, reduced with ``reduction``
    (sample weights and masks applied as in Keras). Call it as
    ``loss(y_true, y_pred, sample_weight=None)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        name: The loss's name (default ``"categorical_hinge"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """,
    ),
    "CategoricalHinge",
)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy against integer labels; ``ignore_class`` entries are masked out of the average.

    The loss is :func:`sparse_categorical_crossentropy`, reduced over the batch with ``reduction``.

    Args:
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        ignore_class: A label value to ignore: its entries get loss 0 and are left out of the average
            (default None).
        reduction: ``"sum_over_batch_size"`` (the default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        axis: The class axis of ``y_pred`` (default the last). Differs from Keras: any axis works on every
            backend (channels-first segmentation with ``axis=1``, say); Keras 3 supports ``axis != -1`` only
            on PyTorch and raises on JAX and TensorFlow.
        name: The loss's name (default ``"sparse_categorical_crossentropy"``).
        dtype: The dtype of the loss computation (default ``kshim.config.floatx()``).

    Raises:
        ValueError: For an unknown ``reduction``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        # NOTE: no rank matching here: sparse labels have one axis fewer than y_pred by design.
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        y_true = _squeeze_sparse(y_true, y_pred, self.axis)
        return ops.not_equal(y_true, ops.cast(self.ignore_class, ops.dtype(y_true)))

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}

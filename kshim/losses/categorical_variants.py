"""Categorical focal crossentropy and generalized crossentropy (functions and ``Loss`` classes)."""

from __future__ import annotations

import warnings
from typing import Any

from .. import _config as config, ops
from .loss import Loss, check_target_shape
from .losses import LossFunctionWrapper


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: Any = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Categorical crossentropy scaled per class by ``alpha * (1 - p) ** gamma`` (Lin et al., 2017).

    ``y_pred`` is renormalised to sum to 1 along ``axis`` and clipped to ``[epsilon, 1 - epsilon]``
    before the logarithm, as in Keras 3.

    Args:
        y_true: One-hot (or soft) targets, the shape of ``y_pred``.
        y_pred: Class probabilities, or logits when ``from_logits``.
        alpha: Balancing weight: a scalar or one weight per class.
        gamma: Focusing exponent; 0 gives ``alpha`` times the categorical crossentropy.
        from_logits: Whether ``y_pred`` holds logits (a softmax is applied first).
        label_smoothing: In ``[0, 1]``: targets become ``y * (1 - s) + s / num_classes``.
        axis: The class axis.

    Returns:
        The per-sample loss (``axis`` reduced).

    Raises:
        ValueError: ``axis`` is not an integer, or the shapes of ``y_true`` and ``y_pred`` differ.
    """
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_target_shape("categorical_focal_crossentropy", y_true, y_pred, broadcast=False)
    if ops.shape(y_pred)[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={tuple(ops.shape(y_pred))}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        n = ops.cast(ops.shape(y_true)[-1], ops.dtype(y_pred))
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), ops.divide(label_smoothing, n))
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    p = ops.clip(ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True)), eps, 1.0 - eps)
    ce = ops.multiply(ops.negative(y_true), ops.log(p))
    if isinstance(alpha, (list, tuple)):
        alpha = ops.convert_to_tensor(alpha, ops.dtype(p))
    weight = ops.multiply(ops.power(ops.subtract(1.0, p), gamma), alpha)
    return ops.sum(ops.multiply(weight, ce), axis=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """Generalized crossentropy (Zhang & Sabuncu, 2018): ``(1 - p ** q) / q`` with ``p`` the predicted
    probability of the true class; near crossentropy as ``q -> 0``, near MAE as ``q -> 1``.

    NOTE: labels of shape ``(batch, 1)`` are squeezed to ``(batch,)``. Keras 3 documents that shape
    but broadcasts it into a ``(batch, batch)`` result; kshim gives the documented per-sample loss.

    Args:
        y_true: Integer class indices, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: Class probabilities, shape ``(batch, num_classes)``.
        q: The noise parameter, in ``(0, 1)``.

    Returns:
        The per-sample loss, shape ``(batch,)``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    t_shape, p_shape = tuple(ops.shape(y_true)), tuple(ops.shape(y_pred))
    if len(t_shape) == len(p_shape) and len(t_shape) > 1 and t_shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    one_hot = ops.cast(ops.one_hot(ops.cast(y_true, "int32"), p_shape[-1]), ops.dtype(y_pred))
    p = ops.sum(ops.multiply(y_pred, one_hot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, q)), q)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy (:func:`categorical_focal_crossentropy`) as a ``Loss``.

    Args:
        alpha: Balancing weight: a scalar or one weight per class.
        gamma: Focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In ``[0, 1]``; smooths the one-hot targets towards ``1 / num_classes``.
        axis: The class axis.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(
        self,
        alpha: Any = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: str | None = None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.alpha, self.gamma, self.from_logits = alpha, gamma, from_logits
        self.label_smoothing, self.axis = label_smoothing, axis

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            **Loss.get_config(self),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized crossentropy (:func:`categorical_generalized_cross_entropy`) as a ``Loss``: robust to
    noisy labels; integer labels against class probabilities.

    Args:
        q: The noise parameter, in ``(0, 1)``.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: ``q`` is outside ``(0, 1)``, or unknown ``reduction``.
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: str | None = None,
    ):
        if not 0 < q < 1:
            raise ValueError(
                f"q must be in the interval (0, 1). Received: q={q}. Values near 0 behave like "
                "crossentropy, values near 1 like mean absolute error."
            )
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name, dtype=dtype, q=q)
        self.q = q

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {**Loss.get_config(self), "q": self.q}

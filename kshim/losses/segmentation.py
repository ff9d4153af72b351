"""Overlap losses for segmentation: Dice and Tversky (functions and ``Loss`` classes), as Keras 3."""

from __future__ import annotations

from typing import Any

from .. import _config as config, ops
from .loss import Loss
from .losses import LossFunctionWrapper


def _targets(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    if not ops.dtype(y_pred).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, config.floatx())
    return ops.cast(y_true, ops.dtype(y_pred)), y_pred


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Any:
    """Dice loss: ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)``.

    Args:
        y_true: Targets (typically binary masks).
        y_pred: Predictions (typically probabilities), broadcastable against ``y_true``.
        axis: Axis or tuple of axes the sums run over; ``None`` (default) sums everything, giving
            one scalar for the whole batch.

    Returns:
        The Dice loss, with the ``axis`` dimensions reduced.
    """
    y_true, y_pred = _targets(y_true, y_pred)
    overlap = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    total = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)), config.epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(2.0, overlap), total))


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None) -> Any:
    """Tversky loss: ``1 - TP / (TP + alpha * A + beta * B + epsilon)``, with ``TP = sum(y_true * y_pred)``,
    ``A = sum((1 - y_pred) * y_true)`` and ``B = sum(y_pred * (1 - y_true))``.

    ``alpha = beta = 0.5`` gives the Dice loss. NOTE: as in Keras 3, ``alpha`` weighs
    ``sum((1 - y_pred) * y_true)`` (missed positives) and ``beta`` weighs ``sum(y_pred * (1 - y_true))``
    (spurious positives), although Keras' documentation describes them the other way round; kshim
    computes what Keras computes.

    Args:
        y_true: Targets (typically binary masks).
        y_pred: Predictions (typically probabilities), broadcastable against ``y_true``.
        alpha: Weight of ``sum((1 - y_pred) * y_true)``.
        beta: Weight of ``sum(y_pred * (1 - y_true))``.
        axis: Axis or tuple of axes the sums run over; ``None`` (default) sums everything.

    Returns:
        The Tversky loss, with the ``axis`` dimensions reduced.
    """
    y_true, y_pred = _targets(y_true, y_pred)
    tp = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    a = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    b = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denom = ops.add(ops.add(ops.add(tp, ops.multiply(a, alpha)), ops.multiply(b, beta)), config.epsilon())
    return ops.subtract(1.0, ops.divide(tp, denom))


class Dice(LossFunctionWrapper):
    """The Dice loss (:func:`dice`) as a ``Loss``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        axis: Axis or tuple of axes of the overlap sums (``None``: all axes, one scalar per batch).
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "dice",
        axis: Any = None,
        dtype: str | None = None,
    ):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """The Tversky loss (:func:`tversky`) as a ``Loss``.

    Args:
        alpha: Weight of ``sum((1 - y_pred) * y_true)``.
        beta: Weight of ``sum(y_pred * (1 - y_true))``.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        axis: Axis or tuple of axes of the sums (``None``: all axes).
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: Any = None,
        dtype: str | None = None,
    ):
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {**Loss.get_config(self), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}

"""Correlation metrics of Keras 3: Pearson's and the concordance correlation coefficient, per sample
along ``axis`` (functions), and their means over all samples seen (``MeanMetricWrapper`` classes)."""

from __future__ import annotations

from typing import Any

from .. import _config as config, ops
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metrics import _fn_metric


def _pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, ops.dtype(y_pred))
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Pearson's correlation coefficient between ``y_true`` and ``y_pred`` along ``axis``.

    Args:
        y_true: Targets.
        y_pred: Predictions, the shape of ``y_true``.
        axis: The axis the coefficient is computed along.

    Returns:
        The coefficient, with ``axis`` reduced (NaN where either input is constant, as in Keras).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    p = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    t = ops.divide(t, ops.std(t, axis=axis, keepdims=True))
    p = ops.divide(p, ops.std(p, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(t, p), axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Lin's concordance correlation coefficient between ``y_true`` and ``y_pred`` along ``axis``:
    ``mean(2 * cov) / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred)) ** 2 + epsilon)``.

    NOTE: as in Keras 3, the covariance term is ``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``
    (Keras centres ``y_true`` on the mean of ``y_pred``); kshim computes the same value so results
    agree with Keras. It equals the textbook coefficient when both means are equal.

    Args:
        y_true: Targets.
        y_pred: Predictions, the shape of ``y_true``.
        axis: The axis the coefficient is computed along.

    Returns:
        The coefficient, with ``axis`` reduced.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    mt = ops.mean(y_true, axis=axis, keepdims=True)
    mp = ops.mean(y_pred, axis=axis, keepdims=True)
    vt = ops.var(ops.subtract(y_true, mt), axis=axis, keepdims=True)
    vp = ops.var(ops.subtract(y_pred, mp), axis=axis, keepdims=True)
    cov = ops.multiply(ops.subtract(y_true, mp), ops.subtract(y_pred, mp))
    norm = ops.add(ops.add(vt, vp), ops.square(ops.subtract(mt, mp)))
    return ops.mean(ops.divide(ops.multiply(2.0, cov), ops.add(norm, config.epsilon())), axis=axis)


PearsonCorrelation = _fn_metric(
    "PearsonCorrelation",
    pearson_correlation,
    "pearson_correlation",
    """Mean over samples of Pearson's correlation (:func:`pearson_correlation`) along ``axis``.

    Args:
        name: Metric name.
        dtype: State dtype (default ``floatx()``).
        axis: The axis each sample's coefficient is computed along.
    """,
    axis=-1,
)
ConcordanceCorrelation = _fn_metric(
    "ConcordanceCorrelation",
    concordance_correlation,
    "concordance_correlation",
    """Mean over samples of the concordance correlation (:func:`concordance_correlation`) along ``axis``.

    Args:
        name: Metric name.
        dtype: State dtype (default ``floatx()``).
        axis: The axis each sample's coefficient is computed along.
    """,
    axis=-1,
)
PearsonCorrelation.__module__ = ConcordanceCorrelation.__module__ = __name__

"""Keras 3 metrics: accuracies, regression errors, confusion-matrix metrics, AUC, F-scores, R2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, TypeVar

import numpy as np

from .. import _config as config, losses, ops
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Mean, MeanMetricWrapper, Metric
from .._validation import bind_positional, option_annotation

NEG_INF = -1e10


# ---- accuracy functions ---------------------------------------------------------------------------
def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where ``y_true == y_pred``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), config.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1.0 where ``(y_pred > threshold) == y_true``.

    Args:
        y_true: Binary labels (0 or 1), the shape of ``y_pred`` (a trailing axis of 1 on either side is
            squeezed or added to match ranks).
        y_pred: Predicted probabilities (or scores).
        threshold: Predictions strictly above it count as 1 (default 0.5).

    Returns:
        A ``floatx`` tensor of the matched shape, 1.0 where the thresholded prediction equals the label, else
        0.0 (not averaged over any axis).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.metrics.binary_accuracy([1, 0, 1], [0.9, 0.6, 0.4])).tolist()
        [1.0, 0.0, 0.0]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), ops.dtype(y_true))
    return ops.cast(ops.equal(y_true, y_pred), config.floatx())


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where ``argmax(y_true) == argmax(y_pred)``.

    Args:
        y_true: One-hot (or score) labels, shape ``(..., num_classes)``.
        y_pred: Predicted scores, the shape of ``y_true``.

    Returns:
        A ``floatx`` tensor of shape ``y_pred.shape[:-1]``, 1.0 where the argmaxes agree, else 0.0.
    """
    return ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), config.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where ``y_true == argmax(y_pred)`` (labels may carry a trailing axis of 1).

    Args:
        y_true: Integer class labels, shape ``y_pred.shape[:-1]`` or that with a trailing axis of 1.
        y_pred: Predicted scores, shape ``(..., num_classes)``.

    Returns:
        A ``floatx`` tensor of ``y_true``'s shape (a trailing axis of 1 dropped, except for 1-D results),
        1.0 where the argmax equals the label, else 0.0.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.2, 0.7],
        ...                                                                          [0.5, 0.3, 0.2]])).tolist()
        [1.0, 0.0]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, ops.dtype(y_pred))
    shape = ops.shape(y_true)
    reshape = len(shape) == len(ops.shape(y_pred)) and shape[-1] == 1
    if reshape:
        y_true = ops.squeeze(y_true, -1)
    pred = ops.cast(ops.argmax(y_pred, axis=-1), ops.dtype(y_true))
    matches = ops.cast(ops.equal(y_true, pred), config.floatx())
    if reshape:
        matches = ops.reshape(matches, shape)
    if len(ops.shape(matches)) > 1 and ops.shape(matches)[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


def _in_top_k(labels: Any, y_pred: Any, k: int) -> Any:
    shape = ops.shape(labels)
    if len(ops.shape(y_pred)) > 2:
        y_pred = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
    if len(shape) > 1:
        labels = ops.reshape(labels, (-1,))
    matches = ops.cast(ops.in_top_k(ops.cast(labels, "int32"), y_pred, k=k), config.floatx())
    return ops.reshape(matches, shape) if len(shape) > 1 else matches


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1.0 where the true class (one-hot) is among the ``k`` highest scores.

    Args:
        y_true: One-hot labels, shape ``(..., num_classes)``; the true class is their argmax.
        y_pred: Predicted scores, the shape of ``y_true``.
        k: How many of the highest scores to look at (default 5).

    Returns:
        A ``floatx`` tensor of shape ``y_pred.shape[:-1]``, 1.0 where the true class is in the top ``k``.
    """
    return _in_top_k(ops.argmax(y_true, axis=-1), ops.convert_to_tensor(y_pred), k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False) -> Any:
    """1.0 where the integer label is among the ``k`` highest scores (or the first ``k`` sorted ids).

    Args:
        y_true: Integer class labels (or ids), shape ``(batch_size,)`` or with more axes.
        y_pred: With ``from_sorted_ids=False``, scores of shape ``(batch_size, num_classes)`` (extra leading
            axes are flattened); with ``from_sorted_ids=True``, class ids of shape ``(batch_size, N)`` sorted
            from the highest score down.
        k: How many top entries to look at (default 5).
        from_sorted_ids: Whether ``y_pred`` holds sorted class ids rather than scores (default False).

    Returns:
        A ``floatx`` tensor of ``y_true``'s shape, 1.0 where the label is in the top ``k``, else 0.0.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if from_sorted_ids:
        y_true = ops.convert_to_tensor(y_true, ops.dtype(y_pred))
        hit = ops.any(ops.equal(ops.expand_dims(ops.reshape(y_true, (-1,)), 1), y_pred[:, :k]), axis=1)
        return ops.reshape(ops.cast(hit, config.floatx()), ops.shape(y_true))
    return _in_top_k(ops.convert_to_tensor(y_true, "int32"), y_pred, k)


# ---- mean-metric classes ---------------------------------------------------------------------------
class _FnMetric(MeanMetricWrapper):
    """A ``MeanMetricWrapper`` with a fixed function and keyword options (set as attributes)."""

    _fn_default: Any = None
    _default_name = ""
    _options: dict = {}
    _positional: tuple | None = None  # Keras' positional order; default ("name", "dtype", *options)

    def __init__(self, *args: Any, **kwargs: Any):
        order = self._positional or ("name", "dtype", *self._options)
        bind_positional(type(self).__name__, order, args, kwargs)
        name, dtype = kwargs.pop("name", None), kwargs.pop("dtype", None)
        unknown = set(kwargs) - set(self._options)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}")
        opts = {**self._options, **kwargs}
        super().__init__(type(self)._fn_default, name=name or self._default_name, dtype=dtype, **opts)
        for k, v in opts.items():
            setattr(self, k, v)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


_FnMetricT = TypeVar("_FnMetricT", bound="type[_FnMetric]")


def _with_signature(cls: _FnMetricT) -> _FnMetricT:
    """Give ``cls.__init__`` an ``inspect.signature`` listing its arguments in Keras' positional order."""
    import inspect

    P = inspect.Parameter
    order = cls._positional or ("name", "dtype", *cls._options)
    defaults = {"name": cls._default_name, "dtype": None, **cls._options}
    base_init = _FnMetric.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        base_init(self, *args, **kwargs)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [P("self", P.POSITIONAL_OR_KEYWORD)]
        + [
            P(k, P.POSITIONAL_OR_KEYWORD, default=defaults[k], annotation=option_annotation(k, defaults[k]))
            for k in order
        ],
        return_annotation=None,
    )
    __init__.__doc__ = cls.__doc__
    cls.__init__ = __init__  # type: ignore[method-assign]  # replacing the class's __init__ is the point
    return cls


def _fn_metric(
    cls_name: str, fn: Any, default_name: str, doc: str, positional: tuple | None = None, **options: Any
) -> type:
    cls = type(
        cls_name,
        (_FnMetric,),
        {
            "_fn_default": staticmethod(fn),
            "_default_name": default_name,
            "_options": options,
            "_positional": positional,
            "__doc__": doc,
            "__module__": __name__,
        },
    )
    return _with_signature(cls)


Accuracy = _fn_metric(
    "Accuracy",
    accuracy,
    "accuracy",
    """How often predictions equal labels.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    ``1.0`` where ``y_true == y_pred``, else ``0.0``.

    Args:
        name: The metric's name (default ``"accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
BinaryAccuracy = _fn_metric(
    "BinaryAccuracy",
    binary_accuracy,
    "binary_accuracy",
    """How often ``y_pred > threshold`` matches binary labels.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`binary_accuracy`.

    Args:
        name: The metric's name (default ``"binary_accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        threshold: Predictions strictly above it count as 1 (default 0.5).
    """,
    threshold=0.5,
)
CategoricalAccuracy = _fn_metric(
    "CategoricalAccuracy",
    categorical_accuracy,
    "categorical_accuracy",
    """How often the argmax matches one-hot labels.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`categorical_accuracy`.

    Args:
        name: The metric's name (default ``"categorical_accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
SparseCategoricalAccuracy = _fn_metric(
    "SparseCategoricalAccuracy",
    sparse_categorical_accuracy,
    "sparse_categorical_accuracy",
    """How often the argmax matches integer labels.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`sparse_categorical_accuracy`.

    Args:
        name: The metric's name (default ``"sparse_categorical_accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
TopKCategoricalAccuracy = _fn_metric(
    "TopKCategoricalAccuracy",
    top_k_categorical_accuracy,
    "top_k_categorical_accuracy",
    """Top-k accuracy with one-hot labels.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`top_k_categorical_accuracy`.

    Args:
        k: How many of the highest scores to look at (default 5).
        name: The metric's name (default ``"top_k_categorical_accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
    positional=("k", "name", "dtype"),
    k=5,
)
MeanSquaredError = _fn_metric(
    "MeanSquaredError",
    losses.mean_squared_error,
    "mean_squared_error",
    """Mean of squared errors.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.mean_squared_error`.

    Args:
        name: The metric's name (default ``"mean_squared_error"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
MeanAbsoluteError = _fn_metric(
    "MeanAbsoluteError",
    losses.mean_absolute_error,
    "mean_absolute_error",
    """Mean of absolute errors.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.mean_absolute_error`.

    Args:
        name: The metric's name (default ``"mean_absolute_error"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
MeanAbsolutePercentageError = _fn_metric(
    "MeanAbsolutePercentageError",
    losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    """Mean absolute percentage error.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.mean_absolute_percentage_error`.

    Args:
        name: The metric's name (default ``"mean_absolute_percentage_error"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
MeanSquaredLogarithmicError = _fn_metric(
    "MeanSquaredLogarithmicError",
    losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    """Mean squared logarithmic error.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.mean_squared_logarithmic_error`.

    Args:
        name: The metric's name (default ``"mean_squared_logarithmic_error"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)


@_with_signature
class SparseTopKCategoricalAccuracy(_FnMetric):
    """Top-k accuracy with integer labels.

    The mean of :func:`sparse_top_k_categorical_accuracy` over all samples seen
    (``update_state(y_true, y_pred, sample_weight=None)``).

    Args:
        k: How many of the highest scores to look at (default 5).
        name: The metric's name (default ``"sparse_top_k_categorical_accuracy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        from_sorted_ids: Whether ``y_pred`` holds class ids sorted from the highest score down rather than
            scores (default False).
    """

    if TYPE_CHECKING:  # options, set (with setattr) by _FnMetric.__init__
        k: int
        from_sorted_ids: bool

    _fn_default = staticmethod(sparse_top_k_categorical_accuracy)
    _default_name = "sparse_top_k_categorical_accuracy"
    _options = {"k": 5, "from_sorted_ids": False}
    _positional = ("k", "name", "dtype", "from_sorted_ids")

    def get_config(self) -> dict:
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg


class RootMeanSquaredError(Mean):
    """Square root of the weighted mean of squared errors.

    ``update_state(y_true, y_pred, sample_weight=None)`` accumulates ``(y_pred - y_true)**2`` as
    :class:`Mean` does; the result is the square root of that mean.

    Args:
        name: The metric's name (default ``"root_mean_squared_error"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: str | None = None):
        super().__init__(name=name, dtype=dtype)

    # Keras' API: a Mean subclass whose update_state takes (y_true, y_pred), not Mean's (values).
    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(ops.square(ops.subtract(y_pred, y_true)), sample_weight=sample_weight)

    def result(self) -> Any:
        return ops.sqrt(super().result())


# ---- confusion-matrix metrics ----------------------------------------------------------------------
def _filter_top_k(x: Any, k: int) -> Any:
    _, idx = ops.top_k(x, k)
    mask = ops.sum(ops.one_hot(idx, ops.shape(x)[-1], axis=-1), axis=-2)
    return ops.add(ops.multiply(x, mask), ops.multiply(NEG_INF, ops.subtract(1, mask)))


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    """Whether ``thresholds`` (at least 3) are ``i / (n - 1)`` for ``i = 0..n-1``, within ``epsilon``."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), even, atol=config.epsilon()))


def _bucket_index(y_pred: Any, num_thresholds: int, with_epsilon: bool, dtype: str) -> Any:
    """Bucket of each prediction for ``T`` evenly spaced thresholds, as Keras' optimized path computes it:
    predictions clipped to [0, 1] fall in bucket ``ceil(p * (T - 1)) - 1`` (floored at 0 when the end
    thresholds carry an epsilon); a prediction is positive at every threshold index <= its bucket."""
    p = ops.clip(y_pred, 0.0, 1.0)
    bucket = ops.subtract(ops.ceil(ops.multiply(p, ops.cast(num_thresholds - 1, dtype))), 1.0)
    if with_epsilon:
        bucket = ops.maximum(bucket, 0.0)
    return bucket


def update_confusion_matrix(
    variables: dict,
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float] | np.ndarray,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Add weighted counts of ``y_pred > threshold`` vs ``y_true`` to ``variables``.

    Args:
        variables: State variables by key ``"tp"``, ``"fp"``, ``"tn"``, ``"fn"`` (any subset), of shape
            ``(T,)``, or ``(T, labels)`` when ``multi_label``.
        y_true: Labels (nonzero counts as positive).
        y_pred: Scores, the shape of ``y_true``.
        thresholds: The ``T`` thresholds.
        top_k: Only the ``top_k`` highest scores of each sample can be positive.
        class_id: Count only this class (last axis index).
        sample_weight: Per-sample (or broadcastable) weights.
        multi_label: Keep one count per label instead of pooling all labels.
        label_weights: Per-label weights (only without ``multi_label``).
        thresholds_distributed_evenly: The thresholds are evenly spaced over [0, 1] (possibly with the
            end points moved out by ``epsilon``): decide ``pred > threshold`` as Keras' bucketed path
            does, which clips predictions to [0, 1] and agrees with it on ties.

    Raises:
        ValueError: ``class_id`` with 1-D predictions.
    """
    dtype = next(iter(variables.values())).dtype
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    thr = ops.convert_to_tensor(np.asarray(thresholds, dtype=dtype))
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(ops.shape(y_pred)) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {ops.shape(y_pred)}"
            )
        y_true = ops.expand_dims(y_true[..., class_id], -1)
        y_pred = ops.expand_dims(y_pred[..., class_id], -1)
    weights = None
    if sample_weight is not None:
        weights = ops.broadcast_to(sample_weight, ops.shape(y_pred))
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(ops.expand_dims(ops.cast(label_weights, dtype), 0), ops.shape(y_pred))
        weights = lw if weights is None else ops.multiply(weights, lw)
    if multi_label:  # (N, L) -> compare against (T, 1, 1); reduce over samples
        preds, labels = ops.expand_dims(y_pred, 0), ops.expand_dims(ops.cast(y_true, "bool"), 0)
        thr_b = ops.reshape(thr, (-1, 1, 1))
        w = None if weights is None else ops.expand_dims(weights, 0)
    else:  # flatten everything -> (1, N*L) against (T, 1)
        preds, labels = ops.reshape(y_pred, (1, -1)), ops.reshape(ops.cast(y_true, "bool"), (1, -1))
        thr_b = ops.reshape(thr, (-1, 1))
        w = None if weights is None else ops.reshape(weights, (1, -1))
    if thresholds_distributed_evenly:
        t = len(thresholds)
        with_eps = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0)
        index = ops.convert_to_tensor(np.arange(t, dtype=dtype).reshape(ops.shape(thr_b)))
        pred_pos = ops.greater_equal(_bucket_index(preds, t, with_eps, dtype), index)
    else:
        pred_pos = ops.greater(preds, thr_b)
    label_pos = ops.broadcast_to(labels, ops.shape(pred_pos))
    pairs = {
        "tp": (label_pos, pred_pos),
        "fn": (label_pos, ops.logical_not(pred_pos)),
        "fp": (ops.logical_not(label_pos), pred_pos),
        "tn": (ops.logical_not(label_pos), ops.logical_not(pred_pos)),
    }
    for key, var in variables.items():
        lab, pr = pairs[key]
        both = ops.logical_and(lab, pr)
        vals = (
            ops.cast(both, dtype)
            if w is None
            else ops.where(both, ops.broadcast_to(w, ops.shape(both)), ops.cast(0, dtype))
        )
        var.assign(ops.add(var, ops.sum(vals, axis=1)))


def _parse_thresholds(thresholds: Any, default: float) -> list:
    if thresholds is None:
        return [default]
    ts = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    invalid = [t for t in ts if t is None or not 0 <= t <= 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in ts]


class _PrecisionRecall(Metric):
    _second = ""

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        n = (len(self.thresholds),)
        self.true_positives = self.add_variable(n, "zeros", name="true_positives")
        setattr(self, self._second, self.add_variable(n, "zeros", name=self._second))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        key = "fp" if self._second == "false_positives" else "fn"
        update_confusion_matrix(
            {"tp": self.true_positives, key: getattr(self, self._second)},
            y_true,
            y_pred,
            self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def result(self) -> Any:
        tp = self.true_positives.value
        r = ops.divide_no_nan(tp, ops.add(tp, getattr(self, self._second).value))
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each threshold (optionally top-k or for one ``class_id``).

    Counts are accumulated with ``update_state(y_true, y_pred, sample_weight=None)``: a prediction is
    positive when it is above the threshold, a label when it is nonzero. The result is a scalar for one
    threshold, else one value per threshold (0 where the denominator is 0).

    Args:
        thresholds: A float or list of floats in ``[0, 1]``; None (the default) means 0.5, or, with
            ``top_k``, that the ``top_k`` highest predictions of each sample are positive.
        top_k: If set, only the ``top_k`` highest predictions of each sample can be positive.
        class_id: If set, count only this class (an index into the last axis of 2-D inputs).
        name: The metric's name (default: ``"precision"``, made unique).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Raises:
        ValueError: If a threshold is None or outside ``[0, 1]`` (and, on update, ``class_id`` with 1-D
            predictions).
    """

    _second = "false_positives"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each threshold (optionally top-k or for one ``class_id``).

    Counts are accumulated with ``update_state(y_true, y_pred, sample_weight=None)``: a prediction is
    positive when it is above the threshold, a label when it is nonzero. The result is a scalar for one
    threshold, else one value per threshold (0 where the denominator is 0).

    Args:
        thresholds: A float or list of floats in ``[0, 1]``; None (the default) means 0.5, or, with
            ``top_k``, that the ``top_k`` highest predictions of each sample are positive.
        top_k: If set, only the ``top_k`` highest predictions of each sample can be positive.
        class_id: If set, count only this class (an index into the last axis of 2-D inputs).
        name: The metric's name (default: ``"recall"``, made unique).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).

    Raises:
        ValueError: If a threshold is None or outside ``[0, 1]`` (and, on update, ``class_id`` with 1-D
            predictions).
    """

    _second = "false_negatives"

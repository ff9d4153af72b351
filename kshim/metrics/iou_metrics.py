"""Intersection-over-union metrics of Keras 3 (``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
``OneHotMeanIoU``): a ``(num_classes, num_classes)`` confusion matrix accumulated over batches
(rows: true class, columns: predicted class), read as ``TP / (TP + FP + FN)`` per class."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

from .. import _config as config, backend, ops
from .metric import Metric


def confusion_matrix(labels: Any, predictions: Any, num_classes: int, weights: Any = None, dtype: str = "int32") -> Any:
    """Weighted ``(num_classes, num_classes)`` counts of (label, prediction) pairs.

    Args:
        labels: 1-D integer class ids in ``[0, num_classes)``.
        predictions: 1-D integer class ids, the length of ``labels``.
        num_classes: Size of the matrix.
        weights: Optional 1-D weight per pair (default 1).
        dtype: Dtype of the counts.

    Returns:
        The matrix; entry ``[i, j]`` sums the weights of pairs with label ``i`` predicted ``j``.
    """
    labels = ops.cast(labels, "int32")
    predictions = ops.cast(predictions, "int32")
    values = ops.ones_like(labels, dtype=dtype) if weights is None else ops.cast(weights, dtype)
    return ops.scatter(ops.stack([labels, predictions], axis=1), values, (int(num_classes), int(num_classes)))


class _IoUBase(Metric):
    """Accumulates the confusion matrix ``total_confusion_matrix`` (dtype ``int32`` by default)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(name=name, dtype=backend.standardize_dtype(dtype or "int"))
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable(
            (num_classes, num_classes), "zeros", self.dtype, name="total_confusion_matrix"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the batch's (weighted) label/prediction pairs to the confusion matrix.

        Pairs whose label or prediction is outside ``[0, num_classes)``, or whose label is
        ``ignore_class``, are not counted.

        Args:
            y_true: Class ids (or one-hot / scores when ``sparse_y_true=False``), any shape.
            y_pred: Class ids (or scores when ``sparse_y_pred=False``).
            sample_weight: Optional weights, broadcastable to the flattened labels. With the default
                integer state they are truncated to integers, as in Keras.
        """
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        y_true = ops.reshape(ops.convert_to_tensor(y_true, self.dtype), (-1,))
        y_pred = ops.reshape(ops.convert_to_tensor(y_pred, self.dtype), (-1,))
        if sample_weight is None:
            sample_weight = 1
        elif ("float" in str(getattr(sample_weight, "dtype", ""))) and "int" in self.dtype:
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an incorrect "
                "weight due to type casting Consider using integer weights.",
                stacklevel=2,
            )
        sample_weight = ops.convert_to_tensor(sample_weight, self.dtype)
        if len(ops.shape(sample_weight)) > 1:
            sample_weight = ops.reshape(sample_weight, (-1,))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        n = ops.cast(self.num_classes, self.dtype)
        zero = ops.cast(0, self.dtype)
        valid = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, zero), ops.less(y_true, n)),
            ops.logical_and(ops.greater_equal(y_pred, zero), ops.less(y_pred, n)),
        )
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, ops.not_equal(y_true, ops.cast(self.ignore_class, self.dtype)))
        y_true = ops.where(valid, y_true, zero)
        y_pred = ops.where(valid, y_pred, zero)
        sample_weight = ops.where(valid, sample_weight, zero)
        cm = confusion_matrix(y_true, y_pred, self.num_classes, weights=sample_weight, dtype=self.dtype)
        self.total_cm.assign(ops.add(self.total_cm.value, cm))

    def reset_state(self) -> None:
        """Zero the confusion matrix."""
        self.total_cm.assign(ops.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """Mean intersection-over-union ``TP / (TP + FP + FN)`` over the classes ``target_class_ids``;
    classes that never occur (zero denominator) are left out of the mean.

    Args:
        num_classes: Number of classes.
        target_class_ids: The class ids averaged over.
        name: Metric name.
        dtype: State dtype (default ``"int32"``; the result is always float32).
        ignore_class: A label id left out of the counts (e.g. a void class).
        sparse_y_true: Labels are class ids (else the argmax along ``axis`` is taken).
        sparse_y_pred: Predictions are class ids (else the argmax along ``axis`` is taken).
        axis: The class axis for the argmax of non-sparse inputs.

    Raises:
        ValueError: a target class id is not below ``num_classes``.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}). Pass ids below num_classes={num_classes}."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> Any:
        """The mean IoU of the target classes (float32; 0 when none of them occurred).

        NOTE: the per-class values are summed over their one axis whatever ``axis`` is; Keras sums
        along ``axis`` and fails for an ``axis`` other than -1 or 0.
        """
        cm = self.total_cm.value
        predicted = ops.sum(cm, axis=0)
        actual = ops.sum(cm, axis=1)
        tp = ops.diagonal(cm)
        denom = ops.subtract(ops.add(predicted, actual), tp)
        ids = ops.convert_to_tensor(self.target_class_ids, "int32")
        tp = ops.cast(ops.take(tp, ids), "float32")
        denom = ops.cast(ops.take(denom, ids), "float32")
        valid = ops.greater(denom, 1e-9)
        iou = ops.where(valid, ops.divide(tp, ops.add(denom, config.epsilon())), ops.zeros_like(tp))
        return ops.divide(ops.sum(iou), ops.add(ops.sum(ops.cast(valid, "float32")), config.epsilon()))

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            **Metric.get_config(self),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of binary segmentation: predictions ``>= threshold`` are class 1.

    Args:
        target_class_ids: Which of the classes 0 and 1 to average over.
        threshold: Decision threshold on ``y_pred``.
        name: Metric name.
        dtype: State dtype (default ``"int32"``).

    Raises:
        ValueError: a target class id is not 0 or 1.
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: str | None = None,
    ):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Threshold ``y_pred`` and add the pairs to the confusion matrix.

        Args:
            y_true: Binary labels (cast to the state dtype).
            y_pred: Scores; ``>= threshold`` is class 1.
            sample_weight: Optional weights.
        """
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        y_pred = ops.cast(ops.greater_equal(ops.convert_to_tensor(y_pred, "float32"), self.threshold), self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes.

    Args:
        num_classes: Number of classes.
        name: Metric name.
        dtype: State dtype (default ``"int32"``).
        ignore_class: A label id left out of the counts.
        sparse_y_true: Labels are class ids (else the argmax along ``axis`` is taken).
        sparse_y_pred: Predictions are class ids (else the argmax along ``axis`` is taken).
        axis: The class axis for the argmax of non-sparse inputs.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """``IoU`` with one-hot labels (and, by default, per-class scores as predictions).

    Args:
        num_classes: Number of classes.
        target_class_ids: The class ids averaged over.
        name: Metric name.
        dtype: State dtype (default ``"int32"``).
        ignore_class: A label id left out of the counts.
        sparse_y_pred: Predictions are class ids (default False: the argmax along ``axis``).
        axis: The class axis.

    Raises:
        ValueError: a target class id is not below ``num_classes``.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` with one-hot labels (and, by default, per-class scores as predictions).

    Args:
        num_classes: Number of classes.
        name: Metric name.
        dtype: State dtype (default ``"int32"``).
        ignore_class: A label id left out of the counts.
        sparse_y_pred: Predictions are class ids (default False: the argmax along ``axis``).
        axis: The class axis.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }

"""``Loss`` base class and Keras 3's reduction / sample-weight semantics."""
from __future__ import annotations

from typing import Any

from .. import config, ops

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: str | None) -> str | None:
    """Validate a reduction name."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. "
                         f"Received: reduction={reduction}")
    return reduction


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple[Any, Any]:
    """Make ranks equal when they differ by a trailing axis of size 1 (Keras' rule)."""
    r1, r2 = len(ops.shape(x1)), len(ops.shape(x2))
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and ops.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if r2 == r1 + 1 and ops.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def _num_elements(values: Any, dtype: str) -> Any:
    n = 1
    for s in ops.shape(values):
        n *= int(s)
    return ops.cast(n, dtype)


def reduce_values(values: Any, sample_weight: Any = None, reduction: str | None = "sum_over_batch_size") -> Any:
    """Sum, or sum divided by the number of elements (or by the weight sum for ``mean_with_sample_weight``)."""
    shape = tuple(ops.shape(values))
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = ops.cast(ops.sum(sample_weight), ops.dtype(loss))
        else:
            divisor = _num_elements(values, ops.dtype(loss))
        loss = ops.divide_no_nan(loss, divisor)
    return loss


def apply_mask(sample_weight: Any, mask: Any, dtype: str, reduction: str | None) -> Any:
    """Fold a boolean mask into the sample weights (re-scaled so averages ignore masked entries)."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = _num_elements(mask, dtype)
        valid = ops.sum(ops.cast(mask, dtype))
        float_mask = ops.where(ops.cast(mask, "bool"), ops.divide_no_nan(total, valid), ops.cast(0, dtype))
    else:
        float_mask = ops.cast(mask, dtype)
    if sample_weight is not None:
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, ops.cast(sample_weight, dtype))
        return ops.multiply(sample_weight, float_mask)
    return float_mask


def reduce_weighted_values(values: Any, sample_weight: Any = None, mask: Any = None,
                           reduction: str | None = "sum_over_batch_size", dtype: str | None = None) -> Any:
    """Weight per-sample losses and reduce them as Keras 3 does."""
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype)
    sample_weight = apply_mask(sample_weight, mask, ops.dtype(values), reduction)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, ops.dtype(values))
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base loss: subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    Args:
        name: loss name (default: snake_case of the class name).
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: computation dtype (default ``floatx()``).
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: str | None = None):
        if name is None:
            from ..layers.naming import to_snake_case
            name = to_snake_case(type(self).__name__)
        self.name = name
        self.reduction = standardize_reduction(reduction)
        self._dtype = dtype or config.floatx()

    @property
    def dtype(self) -> str:
        return self._dtype

    def _mask(self, y_true: Any, y_pred: Any) -> Any:
        """Mask over the per-sample losses (None: no mask)."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Per-sample losses from ``call``, weighted and reduced."""
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        out_mask = self._mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = out_mask if out_mask is not None else in_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self.dtype)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

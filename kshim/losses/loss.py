"""``Loss`` base class and Keras 3's reduction / sample-weight semantics."""

from __future__ import annotations

from typing import Any

from .. import _config as config, ops

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: str | None) -> str | None:
    """Validate a reduction name."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. Received: reduction={reduction}"
        )
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


def _dims(x: Any) -> tuple:
    return tuple(ops.shape(x))


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _agree(a: Any, b: Any, broadcast: bool) -> bool:
    return a is None or b is None or a == b or (broadcast and (a == 1 or b == 1))


def _shape_hint(loss: str, t: tuple, p: tuple) -> str:
    if "categorical" in loss and len(t) == len(p) - 1 and t == p[:-1]:
        return (
            " The targets look like integer class indices: use the sparse_categorical_crossentropy loss "
            "(SparseCategoricalCrossentropy), or one-hot encode them with kshim.utils.to_categorical(y, "
            f"num_classes={p[-1]})."
        )
    if t and p and len(t) == len(p) and t[0] is not None and p[0] is not None and t[0] != p[0]:
        return (
            f" The first (batch) dimensions differ ({t[0]} targets vs {p[0]} predictions): pass the same "
            "number of samples as x and y."
        )
    if t and p and len(t) == len(p) and t[-1] != p[-1]:
        return (
            f" The model outputs {p[-1]} values per sample but each target has {t[-1]}: make the last layer "
            f"output {t[-1]} units (e.g. Dense({t[-1]})), or check that y is the target you meant."
        )
    return " Reshape the targets or change the model's output layer so the two shapes agree."


def check_target_shape(loss: str, y_true: Any, y_pred: Any, broadcast: bool = True) -> None:
    """Raise a ``ValueError`` naming ``loss``, both shapes and the likely fix when targets and predictions
    cannot be combined elementwise (equal shapes, or broadcastable ones when ``broadcast``).

    Args:
        loss: The loss name for the message.
        y_true: Targets.
        y_pred: Predictions.
        broadcast: Whether size-1 dimensions may broadcast (Keras' regression losses allow it; its
            crossentropies need equal shapes).

    Raises:
        ValueError: the shapes do not agree.
    """
    t, p = _dims(y_true), _dims(y_pred)
    if len(t) == len(p) and all(_agree(a, b, broadcast) for a, b in zip(t, p)):
        return
    if broadcast and len(t) != len(p):
        n = min(len(t), len(p))
        if all(_agree(a, b, True) for a, b in zip(t[len(t) - n :], p[len(p) - n :])):
            return
    need = "the same shape" if not broadcast else "the same (or broadcastable) shapes"
    raise ValueError(
        f"Loss {loss!r}: targets (y_true) of shape {_fmt(t)} and predictions (y_pred) of shape "
        f"{_fmt(p)} must have {need}.{_shape_hint(loss, t, p)}"
    )


def check_sparse_target_shape(loss: str, y_true: Any, y_pred: Any, axis: int = -1) -> None:
    """Raise a clear ``ValueError`` when integer labels do not fit predictions of shape ``(..., classes)``.

    Args:
        loss: The loss name for the message.
        y_true: Integer labels, shape ``y_pred`` without the class axis (or with it of size 1).
        y_pred: Class scores.
        axis: The class axis of ``y_pred``.

    Raises:
        ValueError: the shapes do not agree.
    """
    t, p = _dims(y_true), _dims(y_pred)
    if not p:
        return
    ax = axis % len(p)
    expected = p[:ax] + p[ax + 1 :]
    with_one = p[:ax] + (1,) + p[ax + 1 :]
    for e in (expected, with_one):
        if len(t) == len(e) and all(_agree(a, b, False) for a, b in zip(t, e)):
            return
    if len(t) == len(p) and all(_agree(a, b, False) for a, b in zip(t, p)):
        hint = (
            " The targets have the predictions' shape, so they look one-hot encoded: use the "
            "categorical_crossentropy loss (CategoricalCrossentropy) instead."
        )
    elif t and p and t[0] is not None and p[0] is not None and t[0] != p[0]:
        hint = (
            f" The first (batch) dimensions differ ({t[0]} targets vs {p[0]} predictions): pass the same "
            "number of samples as x and y."
        )
    else:
        hint = " Pass one integer class index per sample (per position, for sequence outputs)."
    raise ValueError(
        f"Loss {loss!r}: integer targets (y_true) of shape {_fmt(t)} do not fit predictions "
        f"(y_pred) of shape {_fmt(p)}: expected targets of shape {_fmt(expected)} or "
        f"{_fmt(with_one)}.{hint}"
    )


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


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: str | None = None,
) -> Any:
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

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: str | None = None
    ):
        if name is None:
            from .._naming import to_snake_case

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

    def _losses_mask(self, losses: Any) -> Any:
        """Mask derived from the per-sample losses themselves (Keras attaches it to ``call``'s output,
        as ``Circle`` does); None: no mask."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Per-sample losses from ``call``, weighted and reduced."""
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        out_mask = self._mask(y_true, y_pred)
        loss_mask = self._losses_mask(losses)
        if loss_mask is not None:
            out_mask = loss_mask if out_mask is None else ops.logical_and(out_mask, loss_mask)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = out_mask if out_mask is not None else in_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=self.dtype
        )

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

"""CTC (connectionist temporal classification) loss: function and ``Loss`` class, as Keras 3."""

from __future__ import annotations

from typing import Any

from .. import ops
from .loss import Loss
from .losses import LossFunctionWrapper


def ctc(y_true: Any, y_pred: Any) -> Any:
    """CTC loss of padded integer label sequences against per-step class logits.

    Class 0 is the blank and also the padding of ``y_true``: each label sequence's length is its
    number of nonzero entries, and every time step of ``y_pred`` is used. Computed by
    ``kshim.ops.ctc_loss`` (see there for float64 and for targets no alignment can produce).

    Args:
        y_true: Integer labels, shape ``(batch, max_length)``, padded with 0.
        y_pred: Logits (not softmax-normalised), shape ``(batch, max_time, num_classes)``.

    Returns:
        The per-sequence loss, shape ``(batch,)``.

    Raises:
        ValueError: ``y_true`` is not 2-D or ``y_pred`` is not 3-D.
    """
    if len(ops.shape(y_true)) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
            f"integer format. Received: y_true.shape={tuple(ops.shape(y_true))}"
        )
    if len(ops.shape(y_pred)) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
            f"num_classes)`. Received: y_pred.shape={tuple(ops.shape(y_pred))}"
        )
    batch, steps = ops.shape(y_pred)[0], ops.shape(y_pred)[1]
    output_length = ops.full((batch,), steps, dtype="int32")
    label_length = ops.cast(ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1), "int32")
    return ops.ctc_loss(y_true, y_pred, label_length, output_length, mask_index=0)


class CTC(LossFunctionWrapper):
    """CTC loss (:func:`ctc`) as a ``Loss``: 0-padded integer label sequences against logits.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc", dtype: str | None = None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return Loss.get_config(self)

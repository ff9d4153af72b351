"""Circle loss for metric learning (Sun et al., 2020): function and ``Loss`` class, as Keras 3."""

from __future__ import annotations

from typing import Any

import ml_dtypes

from .. import ops
from .loss import Loss
from .losses import LossFunctionWrapper


def _pos_neg_masks(query_labels: Any, key_labels: Any, remove_diagonal: bool) -> tuple[Any, Any]:
    """Boolean ``(queries, keys)`` masks of same-label pairs and different-label pairs."""
    q = ops.reshape(query_labels, (-1, 1))
    k = ops.reshape(key_labels, (-1, 1))
    positive = ops.equal(q, ops.transpose(k))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        eye = ops.eye(ops.shape(q)[0], ops.shape(k)[0], k=0, dtype="bool")
        positive = ops.logical_and(positive, ops.logical_not(eye))
    return positive, negative


def _masked_logsumexp(x: Any, mask: Any) -> Any:
    """``logsumexp`` over the entries of each row where ``mask`` holds.

    Excluded entries are set to a huge negative *finite* value rather than Keras' ``-inf``: the value
    of every row with at least one entry is unchanged (their ``exp`` underflows to exactly 0) and a
    row with none gives a huge negative number whose ``softplus`` is exactly 0, like ``-inf``; but the
    gradient stays finite on every backend (``-inf - -inf`` in a backward pass is NaN).
    """
    low = float(ml_dtypes.finfo(ops.dtype(x)).min) / 4  # ml_dtypes.finfo also knows bfloat16
    return ops.logsumexp(ops.where(mask, x, ops.cast(low, ops.dtype(x))), axis=1)


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> Any:
    """Circle loss between integer labels and L2-normalised embeddings.

    With cosine distances ``d = max(1 - y_pred @ ref_embeddings.T, 0)``, positive pairs (same label)
    are weighted by ``max(margin + d, 0)`` against the target ``margin - d`` and negative pairs by
    ``max(1 + margin - d, 0)`` against ``1 - margin - d``; the loss of each query is
    ``softplus(logsumexp(positive terms) + logsumexp(negative terms))``, scaled by ``gamma``. A query
    with no positive or no negative pair gives 0, which ``Circle`` then leaves out of its average.

    Args:
        y_true: Integer labels of the queries, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: L2-normalised query embeddings, shape ``(batch, dim)``.
        ref_labels: Integer labels of the reference embeddings (default: ``y_true``).
        ref_embeddings: L2-normalised reference embeddings (default: ``y_pred``).
        remove_diagonal: Whether a query's pair with itself is left out of its positives.
        gamma: Scale of the similarity terms.
        margin: Relaxation margin.

    Returns:
        The per-query loss, shape ``(batch,)``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, "int32")
    ref = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings, ops.dtype(y_pred))
    ref_labels = y_true if ref_labels is None else ops.cast(ref_labels, "int32")
    dist = ops.maximum(ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref))), 0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_f, neg_f = ops.cast(positive, ops.dtype(dist)), ops.cast(negative, ops.dtype(dist))
    pos_w = ops.maximum(ops.multiply(ops.add(margin, dist), pos_f), 0.0)
    neg_w = ops.maximum(ops.multiply(ops.subtract(1.0 + margin, dist), neg_f), 0.0)
    pos_terms = ops.multiply(ops.multiply(-gamma, pos_w), ops.subtract(margin, dist))
    neg_terms = ops.multiply(ops.multiply(gamma, neg_w), ops.subtract(1.0 - margin, dist))
    return ops.softplus(ops.add(_masked_logsumexp(pos_terms, positive), _masked_logsumexp(neg_terms, negative)))


class Circle(LossFunctionWrapper):
    """Circle loss (:func:`circle`) as a ``Loss``: integer labels against L2-normalised embeddings
    (end the model with ``UnitNormalization``). Queries whose loss is 0 (no positive or no negative
    pair in the batch) are masked out of the average, as in Keras 3.

    Args:
        gamma: Scale of the similarity terms.
        margin: Relaxation margin.
        remove_diagonal: Whether a query's pair with itself is left out of its positives.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        name: Loss name.
        dtype: Computation dtype (default ``floatx()``).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: str | None = None,
    ):
        super().__init__(
            circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def _losses_mask(self, losses: Any) -> Any:
        return ops.greater(losses, 0)

    def get_config(self) -> dict:
        """The constructor arguments (Keras' keys)."""
        return {
            **Loss.get_config(self),
            "gamma": self.gamma,
            "margin": self.margin,
            "remove_diagonal": self.remove_diagonal,
        }

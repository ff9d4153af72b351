"""Metrics that average a loss function per sample (crossentropies, hinges, KL, Poisson, ...)."""

from __future__ import annotations

from typing import Any

from .. import losses, ops
from ..losses.loss import apply_mask
from ..losses.losses import _squeeze_sparse
from .metric import MeanMetricWrapper
from .metrics import _fn_metric

BinaryCrossentropy = _fn_metric(
    "BinaryCrossentropy",
    losses.binary_crossentropy,
    "binary_crossentropy",
    """Mean binary crossentropy.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.binary_crossentropy`.

    Args:
        name: The metric's name (default ``"binary_crossentropy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; smooths the targets towards 0.5 (default 0.0: none).
    """,
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _fn_metric(
    "CategoricalCrossentropy",
    losses.categorical_crossentropy,
    "categorical_crossentropy",
    """Mean categorical crossentropy.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.categorical_crossentropy`.

    Args:
        name: The metric's name (default ``"categorical_crossentropy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        label_smoothing: In ``[0, 1]``; smooths the targets towards ``1 / num_classes`` (default 0.0).
        axis: The class axis (default the last).
    """,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)
SparseCategoricalCrossentropy = _fn_metric(
    "SparseCategoricalCrossentropy",
    losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    """Mean sparse categorical crossentropy.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.sparse_categorical_crossentropy`.

    Args:
        name: The metric's name (default ``"sparse_categorical_crossentropy"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        from_logits: Whether ``y_pred`` holds logits (default False: probabilities).
        ignore_class: A label value whose entries get a loss of 0 (default None: none ignored). With
            ``sample_weight``, those entries also get weight 0, so the mean is over the other entries;
            without it they count as zeros in the mean (both as Keras 3).
        axis: The class axis of ``y_pred`` (default the last).
    """,
    from_logits=False,
    ignore_class=None,
    axis=-1,
)


def _scce_update_state(self: Any, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
    # Keras masks the ignored entries of the loss, and the mask reaches only the sample weights.
    if self.ignore_class is not None and sample_weight is not None:
        labels = _squeeze_sparse(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred), self.axis)
        valid = ops.not_equal(labels, ops.cast(self.ignore_class, ops.dtype(labels)))
        sample_weight = apply_mask(ops.convert_to_tensor(sample_weight, self.dtype), valid, self.dtype, "sum")
    MeanMetricWrapper.update_state(self, y_true, y_pred, sample_weight=sample_weight)


# (setattr: the class is built at run time by _fn_metric, so the type checker knows it only as a type)
setattr(SparseCategoricalCrossentropy, "update_state", _scce_update_state)
Hinge = _fn_metric(
    "Hinge",
    losses.hinge,
    "hinge",
    """Mean hinge loss.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.hinge`.

    Args:
        name: The metric's name (default ``"hinge"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
SquaredHinge = _fn_metric(
    "SquaredHinge",
    losses.squared_hinge,
    "squared_hinge",
    """Mean squared hinge loss.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.squared_hinge`.

    Args:
        name: The metric's name (default ``"squared_hinge"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
CategoricalHinge = _fn_metric(
    "CategoricalHinge",
    losses.categorical_hinge,
    "categorical_hinge",
    """Mean categorical hinge loss.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.categorical_hinge`.

    Args:
        name: The metric's name (default ``"categorical_hinge"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
KLDivergence = _fn_metric(
    "KLDivergence",
    losses.kl_divergence,
    "kl_divergence",
    """Mean KL divergence.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.kl_divergence`.

    Args:
        name: The metric's name (default ``"kl_divergence"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
Poisson = _fn_metric(
    "Poisson",
    losses.poisson,
    "poisson",
    """Mean Poisson loss.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.poisson`.

    Args:
        name: The metric's name (default ``"poisson"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
LogCoshError = _fn_metric(
    "LogCoshError",
    losses.log_cosh,
    "logcosh",
    """Mean log-cosh error.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    :func:`kshim.losses.log_cosh`.

    Args:
        name: The metric's name (default ``"logcosh"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
    """,
)
CosineSimilarity = _fn_metric(
    "CosineSimilarity",
    lambda y_true, y_pred, axis=-1: -losses.cosine_similarity(y_true, y_pred, axis=axis),
    "cosine_similarity",
    """Mean cosine similarity.

    The mean over all samples seen (``update_state(y_true, y_pred, sample_weight=None)``) of
    the cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (1 for vectors pointing the
    same way; the negative of :func:`kshim.losses.cosine_similarity`).

    Args:
        name: The metric's name (default ``"cosine_similarity"``).
        dtype: The dtype of the state and result (default ``kshim.config.floatx()``).
        axis: The axis the similarity is computed along (default the last).
    """,
    axis=-1,
)

LOSS_METRICS = (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    LogCoshError,
    CosineSimilarity,
)

"""Metrics that average a loss function per sample (crossentropies, hinges, KL, Poisson, ...)."""
from __future__ import annotations

from .. import losses
from .metrics import _fn_metric

BinaryCrossentropy = _fn_metric("BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
                                "Mean binary crossentropy.", from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _fn_metric("CategoricalCrossentropy", losses.categorical_crossentropy,
                                     "categorical_crossentropy", "Mean categorical crossentropy.",
                                     from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _fn_metric("SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy,
                                           "sparse_categorical_crossentropy",
                                           "Mean sparse categorical crossentropy.", from_logits=False,
                                           ignore_class=None, axis=-1)
Hinge = _fn_metric("Hinge", losses.hinge, "hinge", "Mean hinge loss.")
SquaredHinge = _fn_metric("SquaredHinge", losses.squared_hinge, "squared_hinge", "Mean squared hinge loss.")
CategoricalHinge = _fn_metric("CategoricalHinge", losses.categorical_hinge, "categorical_hinge",
                              "Mean categorical hinge loss.")
KLDivergence = _fn_metric("KLDivergence", losses.kl_divergence, "kl_divergence", "Mean KL divergence.")
Poisson = _fn_metric("Poisson", losses.poisson, "poisson", "Mean Poisson loss.")
LogCoshError = _fn_metric("LogCoshError", losses.log_cosh, "logcosh", "Mean log-cosh error.")
CosineSimilarity = _fn_metric("CosineSimilarity", lambda y_true, y_pred, axis=-1: -losses.cosine_similarity(
    y_true, y_pred, axis=axis), "cosine_similarity", "Mean cosine similarity.", axis=-1)

LOSS_METRICS = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
                CategoricalHinge, KLDivergence, Poisson, LogCoshError, CosineSimilarity)

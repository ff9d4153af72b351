"""``kshim.metrics``: Keras 3 metrics (stateful classes with a stateless API) and metric functions."""

from __future__ import annotations

from typing import Any, Callable

from .._naming import to_snake_case
from ..losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,  # noqa: F401
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .metric import Mean, MeanMetricWrapper, Metric, Sum, reduce_to_samplewise_values  # noqa: F401
from .metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteError,  # noqa: F401
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Precision,
    Recall,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
    update_confusion_matrix,
)
from .score_metrics import AUC, F1Score, FBetaScore, R2Score
from .confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from .iou_metrics import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,  # noqa: F401
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    LOSS_METRICS,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)

ALL_OBJECTS = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    R2Score,
    AUC,
    Precision,
    Recall,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    IoU,
    MeanIoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    ConcordanceCorrelation,
)
_FUNCTIONS = (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    hinge,
    squared_hinge,
    categorical_hinge,
    kl_divergence,
    poisson,
    log_cosh,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    huber,
    pearson_correlation,
    concordance_correlation,
)
ALL_OBJECTS_DICT: dict[str, Any] = {c.__name__: c for c in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(c.__name__): c for c in ALL_OBJECTS})
# Loss-based metric classes by class name only: their snake_case names ("hinge", "poisson", ...) stay the
# metric functions, as in keras.metrics.get.
ALL_OBJECTS_DICT.update({c.__name__: c for c in LOSS_METRICS})
ALL_OBJECTS_DICT.update(
    {"auc": AUC, "r2_score": R2Score, "f1_score": F1Score, "f_beta_score": FBetaScore, "fbeta_score": FBetaScore}
)
ALL_OBJECTS_DICT.update(
    {
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        "acc": Accuracy,
    }
)
# Names resolve to classes first (as Keras' ``metrics.get``); other metric functions are a fallback.
_FUNCTIONS_DICT = {f.__name__: f for f in _FUNCTIONS}


def serialize(metric: Any) -> Any:
    """A ``Metric`` as ``{"module", "class_name", "config", "registered_name"}``; a function as its name.

    Args:
        metric: A ``Metric`` instance or a metric function.

    Returns:
        The config dict (``"module": "keras.metrics"``, ``registered_name`` None) or the function's
        ``__name__``.

    Raises:
        ValueError: For a value that is neither a ``Metric`` nor a named callable.
    """
    if isinstance(metric, Metric):
        return {
            "module": "keras.metrics",
            "class_name": type(metric).__name__,
            "config": metric.get_config(),
            "registered_name": None,
        }
    if callable(metric) and getattr(metric, "__name__", None):
        return metric.__name__
    raise ValueError(f"Cannot serialize metric {metric!r}.")


def _valid_names() -> str:
    return ", ".join(sorted(set(ALL_OBJECTS_DICT) | set(_FUNCTIONS_DICT)))


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Inverse of :func:`serialize`.

    Args:
        config: A config dict whose ``class_name`` names a ``Metric`` class (built with ``from_config``
            from its ``config``), or a name: a class name, its snake_case form, an alias (``"mse"``,
            ``"acc"``, ...) or, failing those, a metric function's name.
        custom_objects: Optional ``{name: object}`` mapping consulted before the built-ins.

    Returns:
        A ``Metric`` instance for a config dict; for a name, the named class or function itself.

    Raises:
        ValueError: For an unknown name or an identifier that is neither a string nor a dict.
    """
    if isinstance(config, dict):
        name: Any = config.get("class_name")  # a config's value: None (unknown below) if missing
        cls = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(name)
        if cls is None:
            raise ValueError(f"Unknown metric {name!r}. Valid names: {_valid_names()}.")
        return cls.from_config(dict(config.get("config", {})))
    if isinstance(config, str):
        obj = (custom_objects or {}).get(config) or ALL_OBJECTS_DICT.get(config) or _FUNCTIONS_DICT.get(config)
        if obj is None:
            raise ValueError(f"Unknown metric {config!r}. Valid names: {_valid_names()}.")
        return obj
    raise ValueError(f"Could not interpret metric identifier: {config!r}")


def get(identifier: Any) -> Callable | Metric | None:
    """A metric function or ``Metric`` instance from a name, config dict, class, instance or callable.

    ``"accuracy"``/``"acc"`` give ``Accuracy``-style exact match (the trainer picks the right
    accuracy for the loss itself).

    Args:
        identifier: None, a name or config dict (see :func:`deserialize`), a ``Metric`` subclass
            (instantiated with its defaults), a ``Metric`` instance or any callable.

    Returns:
        The callable metric, or None for None.

    Raises:
        ValueError: For an unknown name or an identifier that is not callable.
    """
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, (dict, str)) else identifier
    if isinstance(obj, type) and issubclass(obj, Metric):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier}")


__all__ = (
    [c.__name__ for c in ALL_OBJECTS + LOSS_METRICS]
    + [f.__name__ for f in _FUNCTIONS]
    + ["get", "serialize", "deserialize"]
)

"""``kshim.losses``: Keras 3 losses (functions and ``Loss`` classes), ``get``/``serialize``/``deserialize``."""

from __future__ import annotations

from typing import Any, Callable

from .loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank  # noqa: F401
from .losses import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
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
from .categorical_variants import (
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from .ctc import CTC, ctc
from .metric_learning import Circle, circle
from .segmentation import Dice, Tversky, dice, tversky

ALL_OBJECTS = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    Circle,
    CTC,
    Dice,
    Tversky,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    ctc,
    dice,
    tversky,
)
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)


def serialize(loss: Any) -> Any:
    """A ``Loss`` as ``{"module", "class_name", "config", "registered_name"}``; a function as its name.

    Args:
        loss: A ``Loss`` instance or one of this module's loss functions.

    Returns:
        The config dict (``"module": "keras.losses"``, ``registered_name`` None) or the function's name.

    Raises:
        ValueError: For a callable that is not a known loss function, or any other value.
    """
    if isinstance(loss, Loss):
        return {
            "module": "keras.losses",
            "class_name": type(loss).__name__,
            "config": loss.get_config(),
            "registered_name": None,
        }
    if callable(loss) and getattr(loss, "__name__", None) in ALL_OBJECTS_DICT:
        return loss.__name__
    raise ValueError(f"Cannot serialize loss {loss!r}.")


def deserialize(name: Any, custom_objects: dict | None = None) -> Any:
    """Inverse of :func:`serialize`: a name or a config dict.

    Args:
        name: A loss name (a class or function name, or an alias such as ``"mse"``) or a config dict whose
            ``class_name`` names a ``Loss`` class (built with ``from_config`` from its ``config``).
        custom_objects: Optional ``{name: object}`` mapping consulted before the built-ins.

    Returns:
        A ``Loss`` instance for a config dict naming a class; otherwise the named object itself (a loss
        function, or a ``Loss`` class for a class name given as a string).

    Raises:
        ValueError: For an unknown name or an identifier that is neither a string nor a dict.
    """
    if isinstance(name, dict):
        cls_name: Any = name.get("class_name")  # a config's value: None (unknown below) if missing
        cls: Any = (custom_objects or {}).get(cls_name) or ALL_OBJECTS_DICT.get(cls_name)
        if cls is None:
            raise ValueError(f"Unknown loss {cls_name!r}. Valid names: {', '.join(sorted(ALL_OBJECTS_DICT))}.")
        if not isinstance(cls, type):
            return cls
        loss_cls: Any = cls  # a Loss class (or a registered custom one): it has from_config
        return loss_cls.from_config(dict(name.get("config", {})))
    if isinstance(name, str):
        obj = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(name)
        if obj is None:
            raise ValueError(f"Unknown loss {name!r}. Valid names: {', '.join(sorted(ALL_OBJECTS_DICT))}.")
        return obj
    raise ValueError(f"Could not interpret loss identifier: {name!r}")


def get(identifier: Any) -> Callable | Loss | None:
    """A loss function or ``Loss`` instance from a name, config dict, class, instance or callable.

    Args:
        identifier: None, a name or config dict (see :func:`deserialize`), a ``Loss`` subclass (instantiated
            with its defaults), a ``Loss`` instance or any callable ``fn(y_true, y_pred)``.

    Returns:
        The callable loss, or None for None.

    Raises:
        ValueError: For an unknown name or an identifier that is not callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if isinstance(obj, type) and issubclass(obj, Loss):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


_ALIASES = ("bce", "kld", "mae", "mse", "mape", "msle")
__all__ = [n for n in ALL_OBJECTS_DICT if n not in _ALIASES and n.lower() not in _ALIASES]
__all__ += ["get", "serialize", "deserialize", "reduce_weighted_values"]

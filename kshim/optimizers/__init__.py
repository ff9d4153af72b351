"""``kshim.optimizers``: Keras 3 optimizers, ``get``/``serialize``/``deserialize`` and ``schedules``."""

from __future__ import annotations

from typing import Any

from . import legacy, schedules  # noqa: F401
from .base import Optimizer, clip_by_global_norm, global_norm  # noqa: F401
from .adafactor import Adafactor
from .ftrl import Ftrl
from .lamb import Lamb
from .loss_scale import LossScaleOptimizer
from .multi import MultiOptimizer, OptimizerMap
from .muon import Muon
from .optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, RMSprop
from .schedule_free_adamw import ScheduleFreeAdamW

# Keras' ALL_OBJECTS, plus Lamb (which Keras exports but leaves out of its name lookup).
ALL_OBJECTS = (
    Optimizer,
    SGD,
    Adam,
    AdamW,
    RMSprop,
    Adagrad,
    Adadelta,
    Adamax,
    Nadam,
    Lion,
    Adafactor,
    Ftrl,
    Lamb,
    Muon,
    ScheduleFreeAdamW,
    LossScaleOptimizer,
    MultiOptimizer,
    OptimizerMap,
)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as ``{"module", "class_name", "config", "registered_name"}``.

    Args:
        optimizer: The optimizer.

    Returns:
        The dict.
    """
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(
    config: dict, custom_objects: dict | None = None
) -> Optimizer | LossScaleOptimizer | MultiOptimizer | OptimizerMap:
    """Optimizer from a :func:`serialize` dict (class names are case-insensitive).

    Args:
        config: The dict.
        custom_objects: Extra ``{class_name: class}``.

    Returns:
        The optimizer.

    Raises:
        ValueError: For an unknown class name.
    """
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(str(name).lower())
    if cls is None:
        try:
            from .._registry import get_registered

            cls = get_registered(config.get("registered_name") or name)
        except ImportError:
            cls = None
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}. Valid names: {', '.join(sorted(ALL_OBJECTS_DICT))}.")
    inner = dict(config.get("config", {}))
    if cls in (LossScaleOptimizer, MultiOptimizer, OptimizerMap):
        return cls.from_config(inner, custom_objects)
    return cls.from_config(inner)


def get(identifier: Any) -> Optimizer | None:
    """Optimizer from a name (``"adam"``), a config dict, a class or an instance.

    Args:
        identifier: The identifier (``None`` gives ``None``).

    Returns:
        The optimizer.

    Raises:
        ValueError: If the identifier cannot be interpreted.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    elif isinstance(identifier, type) and issubclass(identifier, Optimizer):
        obj = identifier()  # type: ignore[call-arg]  # concrete optimizers default learning_rate
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Lion",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "Muon",
    "ScheduleFreeAdamW",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "OptimizerMap",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

"""``kshim.optimizers``: Keras 3 optimizers, ``get``/``serialize``/``deserialize`` and ``schedules``."""
from __future__ import annotations

from typing import Any

from . import schedules  # noqa: F401
from .base import Optimizer, clip_by_global_norm, global_norm  # noqa: F401
from .optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, RMSprop

ALL_OBJECTS = (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as ``{"module", "class_name", "config", "registered_name"}``."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Optimizer from a :func:`serialize` dict (class names are case-insensitive)."""
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
    return cls.from_config(dict(config.get("config", {})))


def get(identifier: Any) -> Optimizer | None:
    """Optimizer from a name (``"adam"``), a config dict, a class or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    elif isinstance(identifier, type) and issubclass(identifier, Optimizer):
        obj = identifier()
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
           "schedules", "get", "serialize", "deserialize"]

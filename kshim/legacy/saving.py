"""``keras.legacy.saving``: the Keras 2 (``tf.keras``) object format ``{"class_name", "config"}``.

Objects are written as their class name and ``get_config()`` (without the ``module`` and
``registered_name`` keys of the current format, which :func:`kshim.saving.serialize_keras_object`
writes), functions as their name. Reading looks names up in the active ``custom_object_scope``, the
registered custom objects, ``custom_objects`` and then ``module_objects``.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._registry import get_registered_name, get_registered_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def serialize_keras_object(instance: Any) -> Any:
    """``instance`` in the legacy format: ``{"class_name": ..., "config": instance.get_config()}``.

    Args:
        instance: An object with ``get_config()`` (layer, model, optimizer, initializer, ...), a
            function (written as its registered name), or ``None``.

    Returns:
        The dict, the function's name, or ``None``.

    Raises:
        ValueError: ``instance`` has no ``get_config()`` and is not a function (as Keras: strings,
            numbers, lists and dicts are refused too).
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not inspect.isclass(instance):
        return {"class_name": get_registered_name(type(instance)), "config": instance.get_config()}
    if inspect.isfunction(instance) or inspect.isbuiltin(instance):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _lookup(name: str, custom_objects: dict | None, module_objects: dict | None, what: str) -> Any:
    obj = get_registered_object(name, custom_objects, module_objects)
    if obj is None:
        raise ValueError(
            f"Unknown {what}: {name!r}. Pass it in `custom_objects` or `module_objects`, register it with "
            "`kshim.saving.register_keras_serializable`, or load inside `kshim.saving.custom_object_scope`."
        )
    return obj


def deserialize_keras_object(
    identifier: Any,
    module_objects: dict | None = None,
    custom_objects: dict | None = None,
    printable_module_name: str = "object",
) -> Any:
    """The object a legacy-format ``identifier`` describes.

    Args:
        identifier: ``{"class_name": ..., "config": ...}`` (the class is looked up and built with
            its ``from_config``, which gets ``custom_objects`` when it takes them), a name (the
            function or class itself is returned), a callable (returned as is) or ``None``.
        module_objects: ``{name: object}`` to look names up in, after the custom objects.
        custom_objects: ``{name: object}`` to look names up in first.
        printable_module_name: What the identifier is, for the error messages.

    Returns:
        The object, or ``None`` for ``None``.

    Raises:
        ValueError: An unknown name, or an identifier of another kind. (Keras 3.15 raises
            ``AttributeError`` for any string identifier, an internal error; kshim looks it up.)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable_module_name}: {identifier}")
        cls = _lookup(identifier["class_name"], custom_objects, module_objects, printable_module_name)
        config = identifier["config"]
        if not hasattr(cls, "from_config"):
            return cls(**config)
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(config, custom_objects=dict(custom_objects or {}))
        return cls.from_config(config)
    if isinstance(identifier, str):
        return _lookup(identifier, custom_objects, module_objects, printable_module_name)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")

"""``keras.utils.legacy``: the Keras 2 (``tf.keras``) object serialization format.

A legacy config is ``{"class_name": <registered name>, "config": {...}}`` with no ``module`` or
``registered_name``; nested objects in a config are serialized the same way and marked
``"__passive_serialization__": True``; functions are saved by registered name. Deserializing looks
names up in the active ``custom_object_scope``, the global registry, ``custom_objects`` and the
caller's ``module_objects``, in Keras' order. Keras' shared-object ids (``shared_object_id``) are
read and ignored, as Keras does outside its internal loading scope.

Deliberate difference: Keras 3.15 raises ``AttributeError`` when deserializing a *name* that is not in
``custom_objects`` (it reads a thread-local registry that no longer exists); kshim looks the name up
as documented and raises ``ValueError`` for an unknown one.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._registry import CustomObjectScope, get_registered_name, get_registered_object, get_custom_objects, _SCOPE

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

_PASSIVE = "__passive_serialization__"
_ADVICE = (
    "Please ensure you are using a `keras.utils.custom_object_scope` and that this object is included in "
    "the scope. See https://www.tensorflow.org/guide/keras/save_and_serialize#registering_the_custom_object "
    "for details."
)


def serialize_keras_object(instance: Any) -> Any:
    """Serialize ``instance`` in the legacy (Keras 2) format.

    Args:
        instance: An object with ``get_config()``, a function or class (saved by registered name), or None.

    Returns:
        ``{"class_name": ..., "config": ...}``, a name string, or None.

    Raises:
        ValueError: ``instance`` has neither ``get_config`` nor a ``__name__``.
    """
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                value = serialize_keras_object(item)
            except ValueError:  # plain values (numbers, lists, dicts) are kept as they are
                config[key] = item
                continue
            if isinstance(value, dict) and not isinstance(item, dict):
                value[_PASSIVE] = True
            config[key] = value
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _class_and_config(
    config: Any, module_objects: dict | None, custom_objects: dict | None, printable_module_name: str
) -> tuple:
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(
            f"Improper config format for {config}. Expecting python dict contains `class_name` and `config` as keys"
        )
    class_name = config["class_name"]
    cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise ValueError(f"Unknown {printable_module_name}: '{class_name}'. {_ADVICE}")
    cls_config = config["config"]
    if isinstance(cls_config, list):  # an old Sequential: a list of layer configs
        return cls, cls_config
    resolved = {}
    for key, item in cls_config.items():
        if key == "name":
            continue  # a name is never a function, even if one of that name exists
        if isinstance(item, dict) and _PASSIVE in item:
            resolved[key] = deserialize_keras_object(
                item, module_objects=module_objects, custom_objects=custom_objects, printable_module_name="config_item"
            )
        elif isinstance(item, str):
            fn = get_registered_object(item, custom_objects, module_objects)
            if inspect.isfunction(fn):
                resolved[key] = fn
    cls_config.update(resolved)
    return cls, cls_config


def deserialize_keras_object(
    identifier: Any,
    module_objects: dict | None = None,
    custom_objects: dict | None = None,
    printable_module_name: str = "object",
) -> Any:
    """Rebuild an object from its legacy (Keras 2) serialized form.

    Args:
        identifier: A ``{"class_name", "config"}`` dict, a name string, a function, or None.
        module_objects: ``{name: class or function}`` to look names up in (the library's own objects).
        custom_objects: ``{name: class or function}`` given by the user.
        printable_module_name: What the object is, for error messages.

    Returns:
        The object: ``cls.from_config(config)`` for a dict, the object (a class instantiated with no
        arguments) for a name, the function itself for a function.

    Raises:
        ValueError: A malformed config, an unknown name, or an identifier of another kind.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(identifier, module_objects, custom_objects, printable_module_name)
        if hasattr(cls, "from_config"):
            custom_objects = custom_objects or {}
            if "custom_objects" in inspect.getfullargspec(cls.from_config).args:
                return cls.from_config(cls_config, custom_objects={**get_custom_objects(), **custom_objects})
            with CustomObjectScope(custom_objects):
                return cls.from_config(cls_config)
        with CustomObjectScope(custom_objects or {}):
            return cls(**cls_config)
    if isinstance(identifier, str):
        scope = _SCOPE.get()
        registry = get_custom_objects()
        if custom_objects and identifier in custom_objects:
            obj = custom_objects[identifier]
        elif identifier in scope:
            obj = scope[identifier]
        elif identifier in registry:
            obj = registry[identifier]
        else:
            obj = (module_objects or {}).get(identifier)
            if obj is None:
                raise ValueError(f"Unknown {printable_module_name}: '{identifier}'. {_ADVICE}")
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")

"""Helpers of the interop layers: the backend check and Keras' configs for functions and objects."""

from __future__ import annotations

from typing import Any, Callable

from ... import backend as _backend


def require_backend(layer_name: str, backend_name: str) -> None:
    """Raise ``ValueError`` (Keras' type) unless ``backend_name`` is the active backend.

    Args:
        layer_name: The class name, for the message.
        backend_name: The backend the layer needs (``"jax"`` or ``"torch"``).

    Raises:
        ValueError: When another backend is active.
    """
    current = _backend.current().name
    if current != backend_name:
        raise ValueError(
            f"{layer_name} is only supported with the {backend_name} backend. Current backend: "
            f"{current}. Create it under `kshim.backend.use({backend_name!r})` (or "
            f"KSHIM_BACKEND={backend_name})."
        )


def serialize_function(fn: Callable | None) -> Any:
    """Keras 3's config of a plain function: ``{"module": "builtins", "class_name": "function",
    "config": <registered name or __name__>, "registered_name": "function"}`` (``None`` stays ``None``).

    Keras writes this form whether or not the function is registered; loading needs it registered
    (``register_keras_serializable``) or passed in ``custom_objects``.
    """
    if fn is None:
        return None
    from ..._registry import get_registered_name

    return {
        "module": "builtins",
        "class_name": "function",
        "config": get_registered_name(fn),
        "registered_name": "function",
    }


def deserialize_function(config: Any, custom_objects: dict | None = None) -> Any:
    """The function a :func:`serialize_function` config names (a callable or ``None`` is returned as is)."""
    if config is None or callable(config):
        return config
    from ..._lambda_code import resolve_function

    return resolve_function(config, custom_objects)


def serialize_object(obj: Any) -> Any:
    """Keras 3's config of a custom object with ``get_config`` (the Flax module of ``FlaxLayer``).

    ``{"module": <the class's module, None for __main__>, "class_name", "config", "registered_name":
    <"pkg>Name" when registered, else the class name>}``, as Keras writes it.

    Raises:
        TypeError: If ``obj`` has no ``get_config`` method (Keras' type and message).
    """
    if obj is None:
        return None
    if not callable(getattr(obj, "get_config", None)):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj)}. To be serializable, a class must "
            f"implement the `get_config()` method."
        )
    from ..._registry import _registered_key

    key = _registered_key(type(obj))
    module = type(obj).__module__
    return {
        "module": None if module == "__main__" else module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": key or type(obj).__name__,
    }


def deserialize_object(config: Any, custom_objects: dict | None = None) -> Any:
    """The object of a :func:`serialize_object` config (anything else is returned as is)."""
    if not isinstance(config, dict):
        return config
    from ..._serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects)

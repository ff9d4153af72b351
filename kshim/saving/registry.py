"""``register_keras_serializable`` and the global custom-object registry."""
from __future__ import annotations

from typing import Any, Callable

_REGISTRY: dict[str, Any] = {}
_NAMES: dict[int, str] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Class/function decorator registering ``obj`` as ``"package>name"`` for loading."""
    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if hasattr(obj, "get_config") is False and isinstance(obj, type):
            raise ValueError(f"Cannot register {obj.__name__}: a class must implement get_config().")
        _REGISTRY[key] = obj
        _NAMES[id(obj)] = key
        return obj
    return decorator


def get_registered(name: str | None) -> Any:
    if not name:
        return None
    return _REGISTRY.get(name) or next((v for k, v in _REGISTRY.items() if k.split(">")[-1] == name), None)


def get_registered_name(obj: Any) -> str | None:
    return _NAMES.get(id(obj))


def get_custom_objects() -> dict:
    return dict(_REGISTRY)

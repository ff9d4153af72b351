"""The registry of serializable objects: ``register_keras_serializable``, the custom-object scopes, and the
shared ``get``/``serialize`` helper of named Keras objects. It sits below everything that registers or looks up."""

from __future__ import annotations

import contextvars
from typing import Any, Callable


def serialize_obj(obj: Any, module: str) -> dict:
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}


def lookup(kind: str, identifier: Any, classes: dict, aliases: dict, custom_objects: dict | None = None) -> Any:
    """Resolve a string/dict/class identifier against ``classes`` (by class name) and ``aliases``."""
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = (custom_objects or {}).get(name) or classes.get(name) or aliases.get(name)
        if cls is None:
            cls = get_registered(identifier.get("registered_name") or name)
        if cls is None:
            raise ValueError(f"Unknown {kind} {name!r}. Valid: {', '.join(sorted(classes))}.")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = (custom_objects or {}).get(identifier) or aliases.get(identifier) or classes.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown {kind} {identifier!r}. Valid names: {', '.join(sorted(set(aliases) | set(classes)))}."
            )
        return cls() if isinstance(cls, type) else cls
    if isinstance(identifier, type):
        return identifier()
    return identifier


_REGISTRY: dict[str, Any] = {}
#: Built-in functions saved by bare name (``"relu"``); ``kshim.activations`` fills it on import.
BUILTIN_FUNCTIONS: dict[str, Any] = {}
#: ``id(obj) -> (obj, key)``. The entry holds ``obj`` itself, so the id cannot be reused by a new object
#: while the entry exists (a re-registered key would otherwise leave a stale id that a later, unregistered
#: class could inherit and then be saved under another class's key).
_NAMES: dict[int, tuple[Any, str]] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Class/function decorator registering ``obj`` as ``"package>name"`` for loading.

    Registered objects are found by name when a saved config is deserialized, and
    ``serialize_keras_object`` records the key as ``registered_name``.

    Args:
        package: The package part of the key (default ``"Custom"``).
        name: The name part of the key; ``None`` (default) uses the decorated object's ``__name__``.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: (from the decorator) when the decorated class has no ``get_config`` method.
    """

    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if hasattr(obj, "get_config") is False and isinstance(obj, type):
            raise ValueError(f"Cannot register {obj.__name__}: a class must implement get_config().")
        _REGISTRY[key] = obj
        _NAMES[id(obj)] = (obj, key)
        return obj

    return decorator


_SCOPE: contextvars.ContextVar[dict] = contextvars.ContextVar("kshim_custom_object_scope", default={})


def get_registered(name: str | None) -> Any:
    """Object for ``name``: the innermost ``custom_object_scope`` first, then the global registry
    (by full ``"package>name"`` key, else by the part after ``>``)."""
    if not name:
        return None
    scope = _SCOPE.get()
    if name in scope:
        return scope[name]
    return _REGISTRY.get(name) or next((v for k, v in _REGISTRY.items() if k.split(">")[-1] == name), None)


def _registered_key(obj: Any) -> str | None:
    """The ``"package>name"`` key ``obj`` was registered under, or ``None``."""
    if isinstance(obj, type):  # a layer class's torch.nn.Module subclass stands for the user's class
        obj = obj.__dict__.get("_kshim_class", obj)
    entry = _NAMES.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is saved under: its ``"package>name"`` key if registered, else its ``__name__``.

    Args:
        obj: A class or function.

    Returns:
        The registered name.
    """
    key = _registered_key(obj)
    return key if key is not None else obj.__name__


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None) -> Any:
    """The object registered under ``name``, or ``None``.

    Looks in the active ``custom_object_scope``, then the global registry
    (``register_keras_serializable`` / ``get_custom_objects()``), then ``custom_objects``, then
    ``module_objects`` — Keras' order.

    Args:
        name: The registered name (e.g. ``"Custom>MyLayer"``).
        custom_objects: Extra ``{name: object}``.
        module_objects: Fallback ``{name: object}``.

    Returns:
        The object, or ``None`` when ``name`` is unknown.
    """
    scope = _SCOPE.get()
    if name in scope:
        return scope[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict:
    """The global ``{name: object}`` registry itself; adding to it registers objects (as in Keras).

    Returns:
        The live registry dict.
    """
    return _REGISTRY


class CustomObjectScope:
    """Context manager making custom objects visible to deserialization by name.

    Example:
        >>> with kshim.utils.custom_object_scope({"MyLayer": MyLayer}):
        ...     model = kshim.models.load_model("m.keras")  # doctest: +SKIP

    Args:
        custom_objects: ``{name: class or function}``; ``None`` means none. Nested scopes add to
            the enclosing ones (the inner one wins on equal names).
    """

    def __init__(self, custom_objects: dict | None):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(f"custom_object_scope expects a dict of {{name: object}}, got {custom_objects!r}.")
        self.custom_objects: dict = dict(custom_objects or {})
        self._tokens: list = []

    def __enter__(self) -> "CustomObjectScope":
        self._tokens.append(_SCOPE.set({**_SCOPE.get(), **self.custom_objects}))
        return self

    def __exit__(self, *exc: Any) -> None:
        _SCOPE.reset(self._tokens.pop())


custom_object_scope = CustomObjectScope

"""Keras 3 object serialization: ``{"module", "class_name", "config", "registered_name", ...}``.

Driven by the registry and by class attributes, never by importing concrete classes, so every module
that (de)serializes nested objects (layers, RNN cells, wrappers, activations, the trainer) can call it
from below:

* ``_keras_module`` (set on a class itself, not inherited): the Keras module path written for exactly
  that class (``Functional`` -> ``"keras.src.models.functional"``, ``Sequential`` -> ``"keras"``);
  otherwise the path follows the kshim package (``kshim.layers`` -> ``keras.layers``).
* ``_serializes_build_config``: the class's ``get_build_config()`` goes into the config (layers).
* ``_from_config_takes_safe_mode``: ``from_config`` takes ``safe_mode`` (Lambda).
* Classes are found by name in the kshim module that holds Keras' module (``_MODULES``: data, imported
  on demand, as Keras itself resolves ``"module"``), after ``custom_objects`` and the registry.
* Built-in functions (activations) register themselves in ``_registry.BUILTIN_FUNCTIONS``.
"""

from __future__ import annotations

import contextvars
import importlib
from typing import Any

from ._registry import _SCOPE, BUILTIN_FUNCTIONS, _registered_key, get_registered
from .backends._native_module import kshim_class

# Keras module path -> the kshim modules holding those classes.
_MODULES = {
    "keras.layers": ("kshim.layers",),
    "keras.utils": ("kshim.utils",),
    "keras.src.layers.preprocessing.feature_space": ("kshim.layers.preprocessing.feature_space",),
    "keras.models": ("kshim.models",),
    "keras.src.models.functional": ("kshim.models", "kshim.models.functional"),
    "keras.src.models.sequential": ("kshim.models",),
    "keras.initializers": ("kshim.initializers",),
    "keras.regularizers": ("kshim.regularizers",),
    "keras.constraints": ("kshim.constraints",),
    "keras.optimizers": ("kshim.optimizers",),
    "keras.optimizers.schedules": ("kshim.optimizers.schedules", "kshim.optimizers"),
    "keras.losses": ("kshim.losses",),
    "keras.metrics": ("kshim.metrics",),
    "keras": ("kshim", "kshim.layers.dtype_policy"),
}
_KSHIM_TO_KERAS = {
    "kshim.layers": "keras.layers",
    "kshim.initializers": "keras.initializers",
    "kshim.regularizers": "keras.regularizers",
    "kshim.constraints": "keras.constraints",
    "kshim.optimizers": "keras.optimizers",
    "kshim.losses": "keras.losses",
    "kshim.metrics": "keras.metrics",
}


def _builtin_functions() -> dict:
    """``{name: function}`` of the built-in activations, importing their module on first need."""
    if not BUILTIN_FUNCTIONS:
        importlib.import_module("kshim.activations")
    return BUILTIN_FUNCTIONS


def _keras_module(obj: Any) -> str:
    own = kshim_class(obj).__dict__.get("_keras_module")
    if own is not None:
        return own
    mod = kshim_class(obj).__module__
    for prefix, keras_mod in _KSHIM_TO_KERAS.items():
        if mod.startswith(prefix):
            return "keras.optimizers.schedules" if ".schedules" in mod else keras_mod
    return mod


def serialize_keras_object(obj: Any) -> Any:
    """Config dict for a kshim object (Keras 3 layout), or a plain value.

    ``None``, ``bool``, ``int``, ``float`` and ``str`` are returned as they are; lists and tuples become
    lists and dicts are serialized value by value. A built-in function (an activation, a loss...) becomes
    its name; a registered function becomes a ``"class_name": "function"`` entry. Any other object
    becomes ``{"module", "class_name", "config", "registered_name"}`` from its ``get_config()``, plus
    ``build_config`` and ``compile_config`` where the object records them.

    Args:
        obj: The object to serialize: a layer, model, optimizer, loss, metric, function or plain value.

    Returns:
        A JSON-compatible value: the config dict, a name, or the plain value.

    Raises:
        ValueError: If ``obj`` is a function that is neither built in nor registered with
            ``register_keras_serializable``.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    registered = _registered_key(
        obj if isinstance(obj, type) or callable(obj) and not hasattr(obj, "get_config") else kshim_class(obj)
    )
    if callable(obj) and not hasattr(obj, "get_config"):
        name = getattr(obj, "__name__", None)
        if _builtin_functions().get(name) is obj:
            return name
        if registered is None:
            raise ValueError(
                f"Cannot serialize the function {obj!r}: register it with "
                f"@kshim.saving.register_keras_serializable() to save it."
            )
        return {
            "module": obj.__module__,
            "class_name": "function",
            "config": registered.split(">")[-1],
            "registered_name": registered,
        }
    cls = kshim_class(obj)  # a layer that is also a torch.nn.Module: the user's class
    class_name = cls.__dict__.get("_keras_class_name", cls.__name__)  # Keras' export name
    cfg = {
        "module": _keras_module(obj) if registered is None else None,
        "class_name": class_name,
        "config": obj.get_config(),
        "registered_name": registered,
    }
    if registered is not None:
        cfg["module"] = registered.split(">")[0]
    build = getattr(obj, "get_build_config", None)
    if getattr(type(obj), "_serializes_build_config", False) and build is not None:
        bc = build()
        if bc is not None:
            cfg["build_config"] = bc
    compile_cfg = getattr(obj, "get_compile_config", None)
    if compile_cfg is not None:
        cc = compile_cfg()
        if cc is not None:
            cfg["compile_config"] = cc
    return cfg


def _find_class(module: str | None, class_name: str, registered: str | None, custom_objects: dict | None) -> Any:
    custom = {**_SCOPE.get(), **(custom_objects or {})}
    for key in (registered, class_name):
        if key and key in custom:
            return custom[key]
    reg = get_registered(registered) or (get_registered(class_name) if registered else None)
    if reg is not None:
        return reg
    candidates = list(_MODULES.get(module or "", ()))
    candidates += ["kshim.layers", "kshim.models", "kshim"]
    for modname in candidates:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        cls = getattr(mod, class_name, None)
        if cls is not None:
            return cls
    return None


SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("kshim_safe_mode", default=True)


def deserialize_keras_object(config: Any, custom_objects: dict | None = None, safe_mode: bool | None = None) -> Any:
    """Rebuild an object from its Keras 3 config dict (builds and compiles when recorded).

    ``safe_mode`` (default: inherited, True at top level) applies to everything nested inside.
    Plain values pass through; a string naming a built-in function gives that function; lists are
    deserialized element by element; a dict without ``"class_name"`` is returned as is.

    Args:
        config: What ``serialize_keras_object`` returned (a config dict, a name, a list or a plain value).
        custom_objects: Optional dict mapping class or function names to the objects to use for them;
            searched before the registry.
        safe_mode: If ``True``, refuse Python code saved as bytecode (a ``Lambda`` layer's lambda or
            closure) and functions that are not built in, registered, in ``custom_objects`` or defined in
            an already-imported module; ``None`` (default) keeps the enclosing setting (``True`` at top
            level).

    Returns:
        The rebuilt object (built and compiled when the config records ``build_config`` /
        ``compile_config``), or the plain value.

    Raises:
        TypeError: If the class named by the config cannot be found.
        ValueError: If the config's fields have the wrong JSON type, the object's config is invalid, or
            a function cannot be resolved (or is refused in safe mode).
    """
    if safe_mode is not None:
        token = SAFE_MODE.set(bool(safe_mode))
        try:
            return deserialize_keras_object(config, custom_objects, None)
        finally:
            SAFE_MODE.reset(token)
    safe_mode = SAFE_MODE.get()
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        return _builtin_functions().get(config, config)
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    class_name = config["class_name"]
    if class_name == "function":
        from ._lambda_code import resolve_function

        return resolve_function(config, custom_objects, safe_mode)
    if class_name == "__tensor__":
        import numpy as np

        return np.asarray(config["config"]["value"], dtype=config["config"].get("dtype"))
    _check_config_types(config, class_name)
    cls = _find_class(config.get("module"), class_name, config.get("registered_name"), custom_objects)
    if cls is None:
        raise TypeError(
            f"Could not locate class {class_name!r} (module {config.get('module')!r}). Make sure "
            f"custom classes are registered with @kshim.saving.register_keras_serializable() or "
            f"passed via custom_objects."
        )
    inner = config.get("config", {})
    try:
        if getattr(cls, "_from_config_takes_safe_mode", False):
            obj = cls.from_config(inner, safe_mode=safe_mode, custom_objects=custom_objects)
        else:
            try:
                obj = cls.from_config(inner, custom_objects=custom_objects)
            except TypeError as e:
                if "custom_objects" not in str(e):
                    raise
                obj = cls.from_config(inner)
    except (AttributeError, KeyError, IndexError) as e:
        # A field of the wrong JSON type reached code that expected another ('str' has no 'get').
        name = inner.get("name") if isinstance(inner, dict) else None
        raise ValueError(
            f"The config of {class_name}{f' {name!r}' if name else ''} is invalid: a field has "
            f"the wrong type or is missing ({type(e).__name__}: {e})."
        ) from e
    bc = config.get("build_config")
    if bc and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(bc)
    cc = config.get("compile_config")
    if cc and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(cc)
    return obj


_FIELD_TYPES: dict[str, Any] = {
    "config": dict,
    "module": (str, type(None)),
    "registered_name": (str, type(None)),
    "build_config": (dict, type(None)),
    "compile_config": (dict, type(None)),
}


def _check_config_types(config: dict, class_name: Any) -> None:
    """Refuse an object config whose Keras 3 envelope fields have the wrong JSON type."""
    if not isinstance(class_name, str):
        raise ValueError(
            f"field 'class_name' of an object config must be a string, got "
            f"{type(class_name).__name__} ({class_name!r:.80})."
        )
    for field, types in _FIELD_TYPES.items():
        if field in config and not isinstance(config[field], types):
            want = "an object" if types is dict else "an object or null" if dict in types else "a string or null"
            inner = config.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
            raise ValueError(
                f"field {field!r} of {class_name}{f' {name!r}' if name else ''} must be {want}, "
                f"got {type(config[field]).__name__} ({config[field]!r:.80})."
            )


def serialize_compile_config(cfg: dict) -> dict:
    out = {}
    for k, v in cfg.items():
        out[k] = (
            serialize_keras_object(v)
            if k in ("optimizer", "loss", "metrics", "weighted_metrics", "loss_weights")
            else v
        )
    return out


def deserialize_compile_config(cfg: dict) -> dict:
    out = dict(cfg)
    for k in ("optimizer", "loss", "metrics", "weighted_metrics"):
        if k in out and out[k] is not None:
            out[k] = deserialize_keras_object(out[k])
    return out

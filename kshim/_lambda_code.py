"""(De)serialization of the functions held by ``Lambda`` layers.

An *importable* function is saved by name, in Keras 3's format
``{"module": ..., "class_name": "function", "config": <name>, "registered_name": "function"}``, and
loads in safe mode:

- a registered function (``@register_keras_serializable``): ``module="builtins"``, ``config`` is its
  ``"package>name"`` key (what Keras writes);
- a kshim/Keras activation (``kshim.activations.relu``): ``module="builtins"``, ``config="relu"``;
- a ``kshim.ops`` function: ``module="keras.ops"`` (real Keras resolves that to ``keras.ops.<name>``);
- any other module-level function: its own module and name.

Only true lambdas, closures and nested functions are saved as Python bytecode (``"__lambda__"``),
which is refused on load unless ``safe_mode=False``.

Loading resolves a name, in order, from ``custom_objects`` and the custom-object scope, the
registry, the built-in namespaces (activations, losses, metrics, ``kshim.ops``), and finally a
module-level function of the named module. In safe mode that last step never imports anything: the
module must already be imported and be user code (not the standard library, an installed package,
or kshim/Keras internals), so a hostile file cannot name ``os.system`` or ``shutil.rmtree``.
"""

from __future__ import annotations

import base64
import importlib
import marshal
import os
import site
import sys
import sysconfig
import types
from typing import Any, Callable

_UNSAFE = {"value": False}
_OPS_MODULES = ("keras.ops", "kshim.ops")


def enable_unsafe_deserialization() -> None:
    """Allow loading Lambda layers' Python bytecode from files for this process."""
    _UNSAFE["value"] = True


# ---- saving ---------------------------------------------------------------------------------------
def _builtin_name(fn: Callable) -> str | None:
    """The name under which ``fn`` is a kshim activation, loss or metric function, else None."""
    from . import activations

    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        return None
    if activations.ALL.get(name) is fn:
        return name
    for modname in ("kshim.losses", "kshim.metrics"):
        mod = sys.modules.get(modname)
        if mod is not None and _public_function(mod, name) is fn:
            return name
    return None


_NOT_MODELING = frozenset({"get", "serialize", "deserialize"})


def _public_function(mod: types.ModuleType, name: str) -> Callable | None:
    """``mod.name`` when it is one of the module's public loss/metric functions (not a class, not
    ``get``/``serialize``/``deserialize``), else None."""
    if name in _NOT_MODELING or name not in getattr(mod, "__all__", ()):
        return None
    fn = getattr(mod, name, None)
    return fn if isinstance(fn, types.FunctionType) else None


def _ops_name(fn: Callable) -> str | None:
    """The name of ``fn`` in ``kshim.ops``, else None."""
    from . import ops

    name = getattr(fn, "__name__", None)
    if isinstance(name, str) and name in _public_ops() and getattr(ops, name) is fn:
        return name
    return None


def _public_ops() -> frozenset:
    from . import ops

    cached = getattr(_public_ops, "_names", None)
    if cached is None:
        cached = _public_ops._names = frozenset(ops._public_names())  # type: ignore[attr-defined]
    return cached


def _module_level_name(fn: Callable) -> tuple[str, str] | None:
    """``(module, name)`` when ``fn`` is reachable as ``module.name`` (a top-level def), else None."""
    name, qualname, module = (getattr(fn, a, None) for a in ("__name__", "__qualname__", "__module__"))
    if not (isinstance(name, str) and name == qualname and name != "<lambda>" and isinstance(module, str)):
        return None
    mod = sys.modules.get(module)
    return (module, name) if mod is not None and getattr(mod, name, None) is fn else None


def function_reference(fn: Callable) -> tuple[str, str] | None:
    """``(module, config)`` under which ``fn`` is saved by name, or None when it must be bytecode.

    Args:
        fn: The function.

    Returns:
        The ``module`` and ``config`` fields of its Keras 3 function config, or None for lambdas,
        closures and nested functions.
    """
    from ._registry import _registered_key

    reg = _registered_key(fn)
    if reg is not None:
        return "builtins", reg
    name = _builtin_name(fn)
    if name is not None:
        return "builtins", name
    name = _ops_name(fn)
    if name is not None:
        return "keras.ops", name
    return _module_level_name(fn)


def serialize_function(fn: Callable) -> Any:
    """Keras 3 config of a Lambda's function: by name when importable, bytecode otherwise.

    Args:
        fn: The function.

    Returns:
        A ``"function"`` config (loads in safe mode) or a ``"__lambda__"`` bytecode config (needs
        ``safe_mode=False``).

    Raises:
        ValueError: For a callable that is neither importable nor a Python function (e.g. a NumPy
            ufunc or a callable object).
    """
    ref = function_reference(fn)
    if ref is not None:
        return {"module": ref[0], "class_name": "function", "config": ref[1], "registered_name": "function"}
    if not isinstance(fn, types.FunctionType):
        raise ValueError(
            f"Cannot serialize the callable {fn!r} of a Lambda layer: it is neither an importable "
            f"function nor a Python function. Wrap it in a module-level `def`, or register it "
            f"with @kshim.saving.register_keras_serializable()."
        )
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}


# ---- loading --------------------------------------------------------------------------------------
def _install_prefixes() -> tuple[str, ...]:
    """Directories holding the standard library and installed packages (not user code)."""
    paths = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    try:
        paths.update(site.getsitepackages())
        paths.add(site.getusersitepackages())
    except AttributeError:  # virtualenv's old site.py
        pass
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths)


def _is_user_module(module: str) -> bool:
    """True for an already-imported module of the user's own code (not stdlib, installed packages,
    or kshim/Keras internals); nothing is imported."""
    top = module.split(".")[0]
    if top in ("kshim", "keras") or top in sys.builtin_module_names or top in getattr(sys, "stdlib_module_names", ()):
        return False
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None) if mod is not None else None
    if not isinstance(path, str):
        return False
    path = os.path.realpath(path)
    return not any(path.startswith(prefix) for prefix in _install_prefixes())


def _is_builtin_module(module: Any) -> bool:
    """``None``, ``"builtins"`` or a Keras/kshim module: names resolve in kshim's own namespaces only."""
    return (
        module is None
        or module == "builtins"
        or (isinstance(module, str) and module.split(".")[0] in ("keras", "kshim"))
    )


def _builtin_lookup(module: Any, name: str) -> Callable | None:
    """A kshim activation, loss or metric function, or ``kshim.ops`` function, named ``name``
    (``kshim.ops`` first when the module is ``keras.ops``/``kshim.ops``)."""
    if not _is_builtin_module(module) or name.startswith("_"):
        return None
    from . import activations, ops

    def from_ops() -> Callable | None:
        return getattr(ops, name) if name in _public_ops() else None

    def from_builtins() -> Callable | None:
        fn = activations.ALL.get(name)
        for modname in ("kshim.losses", "kshim.metrics"):
            if fn is None:
                fn = _public_function(importlib.import_module(modname), name)
        return fn

    order = (from_ops, from_builtins) if module in _OPS_MODULES else (from_builtins, from_ops)
    for lookup in order:
        fn = lookup()
        if fn is not None:
            return fn
    return None


def resolve_function(config: dict, custom_objects: dict | None = None, safe_mode: bool | None = None) -> Callable:
    """The function a Keras 3 ``"function"`` config names.

    Args:
        config: ``{"module", "class_name": "function", "config": name, "registered_name"}``.
        custom_objects: Extra ``{name: function}`` (the active custom-object scope is also used).
        safe_mode: Refuse functions that are not built-in, registered, given in ``custom_objects`` or
            defined in an already-imported user module (default: the ambient safe mode).

    Returns:
        The function.

    Raises:
        ValueError: When the config is malformed or the function cannot be found (or, in safe mode,
            is not allowed).
    """
    from ._registry import _REGISTRY, _SCOPE, get_registered
    from ._serialization import SAFE_MODE

    safe = SAFE_MODE.get() if safe_mode is None else bool(safe_mode)
    name, module, reg = config.get("config"), config.get("module"), config.get("registered_name")
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"field 'config' of a function config must be the function's name (a string), got "
            f"{type(name).__name__} ({name!r:.80})."
        )
    if module is not None and not isinstance(module, str):
        raise ValueError(
            f"field 'module' of function {name!r} must be a string or null, got "
            f"{type(module).__name__} ({module!r:.80})."
        )
    keys = [name] + ([reg] if isinstance(reg, str) and reg not in ("function", name) else [])
    custom = {**_SCOPE.get(), **(custom_objects or {})}
    for key in keys:
        if key in custom:
            return custom[key]
        if key in _REGISTRY:
            return _REGISTRY[key]
    fn = _builtin_lookup(module, name)
    if fn is not None:
        return fn
    fn = get_registered(name)  # Keras <= 3.6 saved registered functions by their bare name
    if fn is not None:
        return fn
    if module is not None and not _is_builtin_module(module) and "." not in name:
        if not safe:
            try:
                fn = getattr(importlib.import_module(module), name, None)
            except ImportError as e:
                raise ValueError(f"Could not import module {module!r} to load function {name!r}: {e}") from e
        elif _is_user_module(module):
            fn = getattr(sys.modules[module], name, None)
            if not (isinstance(fn, types.FunctionType) and fn.__module__ == module and fn.__qualname__ == name):
                fn = None
        else:
            raise ValueError(
                f"Refusing to load function {module}.{name} in safe mode: only built-in (activations, losses, "
                f"metrics, kshim.ops), registered functions, custom_objects and functions of already-imported "
                f"user modules are resolved. Pass custom_objects={{{name!r}: {name}}}, register it with "
                f"@kshim.saving.register_keras_serializable(), or load with safe_mode=False if you trust the file."
            )
        if callable(fn) and not isinstance(fn, type):
            return fn
    where = f" in module {module!r}" if module not in (None, "builtins") else ""
    raise ValueError(
        f"Could not find the function {name!r}{where}; pass it in custom_objects, register it with "
        f"@kshim.saving.register_keras_serializable(), or import its module before loading."
    )


def deserialize_function(config: Any, safe_mode: bool | None = None, custom_objects: dict | None = None) -> Callable:
    """The function of a Lambda config: a name (safe) or bytecode (only with ``safe_mode=False``).

    Args:
        config: A function config written by :func:`serialize_function` (or by Keras), or a callable.
        safe_mode: Refuse bytecode and non-allowed functions (default: the ambient safe mode).
        custom_objects: Extra ``{name: function}``.

    Returns:
        The function.

    Raises:
        ValueError: On bytecode in safe mode, an unknown function or a malformed config.
    """
    if callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") == "function":
        return resolve_function(config, custom_objects, safe_mode)
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        from ._serialization import SAFE_MODE

        safe = SAFE_MODE.get() if safe_mode is None else safe_mode
        if safe and not _UNSAFE["value"]:
            raise ValueError(
                "Refusing to deserialize a Lambda layer's Python bytecode: this can run arbitrary code. If you "
                "trust the source of this file, pass `safe_mode=False` to load_model() or call "
                "kshim.config.enable_unsafe_deserialization()."
            )
        code = marshal.loads(base64.b64decode(config["config"]["code"]))
        return types.FunctionType(code, globals())
    if isinstance(config, str):  # a bare activation name
        return resolve_function({"module": "builtins", "config": config}, custom_objects, safe_mode)
    raise ValueError(f"Cannot deserialize function from {config!r:.200}.")

"""Backend registry: ``kshim.backends.get(name)`` returns a live backend object.

Backends are values: several can be used in one process. Built-ins are ``numpy``, ``jax`` and
``torch``; third parties register more under the ``kshim.backends`` entry-point group (the entry
point must load a zero-argument callable returning a backend object).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import Any, Callable

from ._protocol import Backend, BINARY_OPS, REDUCE_OPS, UNARY_OPS  # noqa: F401

_BUILTIN = {
    "numpy": ("kshim.backends.numpy", "NumpyBackend", "numpy", None),
    "jax": ("kshim.backends.jax", "JaxBackend", "jax", "jax"),
    "torch": ("kshim.backends.torch", "TorchBackend", "torch", "torch"),
}
# Module prefixes of each built-in backend's own tensor types (known without importing the backend;
# a registered backend declares its ``tensor_modules`` attribute instead). NumPy arrays belong to no
# backend: every backend accepts them as input.
_TENSOR_MODULES = {
    "numpy": ("kshim.backends.numpy",),
    "jax": ("jax", "jaxlib", "kshim.backends.jax"),
    "torch": ("torch", "kshim.backends.torch"),
}
# Array libraries kshim has no backend for, whose tensors no backend converts implicitly.
_OTHER_FRAMEWORKS = ("tensorflow",)
_cache: dict[str, Any] = {}
_lock = threading.Lock()
_created_hooks: list[Callable[[Any], None]] = []


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    try:
        return {ep.name: ep for ep in entry_points(group="kshim.backends") if ep.name not in _BUILTIN}
    except Exception:  # broken metadata of an unrelated distribution
        return {}


def names() -> list[str]:
    """All known backend names (built-in and registered), installed or not."""
    return list(_BUILTIN) + sorted(_entry_points())


def is_available(name: str) -> bool:
    """Whether backend ``name`` can be loaded (its array library is importable)."""
    if name in _BUILTIN:
        lib = _BUILTIN[name][2]
        return importlib.util.find_spec(lib) is not None
    return name in _entry_points()


def available() -> list[str]:
    """Names of the backends whose libraries are installed."""
    return [n for n in names() if is_available(n)]


def get(name: str) -> Backend:
    """The backend object for ``name``, importing its library on first use.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
        ImportError: known backend whose library is not installed (names the pip extra).
        TypeError: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"A backend name must be a string, one of {', '.join(map(repr, names()))}; "
            f"got {name!r} of type {type(name).__name__}."
        )
    b = _cache.get(name)
    if b is not None:
        return b
    with _lock:
        if name in _cache:
            return _cache[name]
        if name in _BUILTIN:
            module, cls, lib, extra = _BUILTIN[name]
            if importlib.util.find_spec(lib) is None:
                raise ImportError(
                    f"kshim backend {name!r} needs the {lib!r} package, which is not installed. "
                    f"Install it with: pip install 'kshim[{extra}]'"
                )
            b = getattr(importlib.import_module(module), cls)()
        else:
            eps = _entry_points()
            if name not in eps:
                raise ValueError(f"Unknown kshim backend {name!r}. Valid names: {', '.join(names())}.")
            factory: Callable[[], Backend] = eps[name].load()
            b = factory()
        _cache[name] = b
        for hook in list(_created_hooks):
            hook(b)
        return b


def on_create(hook: Callable[[Any], None]) -> None:
    """Call ``hook(backend)`` for every backend object created from now on (once per hook;
    ``kshim._determinism`` registers here so a backend loaded later gets the same settings)."""
    if hook not in _created_hooks:
        _created_hooks.append(hook)


def live() -> list:
    """The backend objects created so far in this process."""
    return list(_cache.values())


def tensor_owner(x: Any) -> str | None:
    """Name of the backend (or foreign framework) whose tensor ``x`` is, from its type's module;
    ``None`` for NumPy arrays, Python values and anything else no backend owns."""
    mod = type(x).__module__ or ""
    table = dict(_TENSOR_MODULES)
    for name, b in list(_cache.items()):
        table.setdefault(name, tuple(getattr(b, "tensor_modules", ())))
    for name, prefixes in table.items():
        for p in prefixes:
            if mod == p or mod.startswith(p + "."):
                return name
    for fw in _OTHER_FRAMEWORKS:
        if mod == fw or mod.startswith(fw + "."):
            return fw
    return None

"""Layers that are also the framework's native module class (torch: ``torch.nn.Module``).

Generic class machinery, below the frontend (``kshim.layers.layer`` calls it; a backend's base
pickles through :func:`rebuild_native`). A backend may declare ``layer_module_base``: a class that a
layer created under that backend also derives from (the torch backend's is ``torch.nn.Module``-based:
``backends/torch/module.py``). The
layer's class is then a subclass of its own class and that base, made once per class here. The
subclass has the same name, module and qualified name, and :func:`kshim_class` maps it back, so
serialization, registration and ``type(layer).__name__`` see the user's class; ``isinstance`` checks
against the user's class keep working, and class attributes written through ``type(layer)`` land on
the user's class. ``type(layer) is UserClass`` is False on such a backend (documented difference).
Under a backend without such a base nothing changes.

This module imports no framework and nothing of kshim: the base comes from the backend object.
"""

from __future__ import annotations

from typing import Any

_VARIANTS: dict[tuple[type, type], type] = {}

#: Class attributes read from the class's own ``__dict__`` (not inherited) that the subclass copies.
_OWN_ATTRS = ("_keras_module", "_keras_class_name")


def kshim_class(obj: Any) -> type:
    """The kshim (user) class of a layer: ``type(obj)`` unless that is a native-module subclass."""
    t = type(obj)
    return t.__dict__.get("_kshim_class", t)


class _VariantMeta(type):
    """Class of the subclasses: a class attribute written through one (``type(self).count += 1``)
    lands on the user's class, where the user reads it."""

    def __setattr__(cls, name: str, value: Any) -> None:
        target = cls.__dict__.get("_kshim_class")
        setattr(target, name, value) if target is not None and name != "__bases__" else super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        target = cls.__dict__.get("_kshim_class")
        delattr(target, name) if target is not None else super().__delattr__(name)


def _variant(cls: type, base: type) -> type:
    key = (cls, base)
    v = _VARIANTS.get(key)
    if v is None:
        attrs = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "_kshim_class": cls,
        }
        attrs.update({k: cls.__dict__[k] for k in _OWN_ATTRS if k in cls.__dict__})
        meta = type(cls)  # a user metaclass (e.g. ABCMeta) joins _VariantMeta
        vmeta = _VariantMeta if meta is type else type(f"{meta.__name__}Variant", (_VariantMeta, meta), {})
        v = _VARIANTS[key] = vmeta(cls.__name__, (cls, base), attrs)
    return v


def become_native_module(layer: Any, base: type | None) -> None:
    """Make ``layer`` an instance of its class's ``base`` subclass (no-op for ``base=None``)."""
    if base is None:
        return
    if isinstance(layer, base):
        return  # already converted (Layer.__init__ ran twice, as in functional subclassing)
    object.__setattr__(layer, "__class__", _variant(kshim_class(layer), base))
    base.init_native(layer)  # type: ignore[attr-defined]  # a backend's native base class provides it (_protocol.py)


def rebuild_native(cls: type, base: type) -> Any:
    """An empty instance of ``cls``'s ``base`` subclass (pickling/copying; the state is set after)."""
    return object.__new__(_variant(cls, base))

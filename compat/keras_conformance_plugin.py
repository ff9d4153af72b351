"""pytest plugin behind ``python -m kshim.compat.keras_conformance``: runs Keras 3's *own* tests with kshim
behind the names they call.

Loaded with ``-p kshim.compat.keras_conformance_plugin`` in a pytest run over Keras' installed test
modules. It keeps the selection (the ``*CorrectnessTest`` classes of the ops test modules, every test of
the losses, metrics and activations test modules) and, in each selected module, replaces the globals that
are Keras API modules (``knp``, ``kmath``, ``losses``, ``metrics``, ``activations``, ``ops``...) with a
proxy that resolves public names to kshim's. A public name kshim lacks raises ``AttributeError`` (a
failure, as a user would see it); private helpers (``_name``) still come from Keras. Keras' own
internals are not touched, so a test that also builds a Keras model mixes the two (counted as it ends).

``KSHIM_CONFORMANCE_TARGET=keras`` selects the same tests and patches nothing: the baseline of what Keras
itself passes here (no TensorFlow, no sparse tensors).
"""
from __future__ import annotations

import importlib
import os
import types
from typing import Any

import pytest

#: Keras module -> kshim module whose public names replace it.
MODULE_MAP = {
    "keras.src.ops": "kshim.ops", "keras.src.ops.numpy": "kshim.ops", "keras.src.ops.nn": "kshim.ops.nn",
    "keras.src.ops.math": "kshim.ops.math", "keras.src.ops.core": "kshim.ops.core",
    "keras.src.ops.linalg": "kshim.ops.linalg", "keras.src.ops.image": "kshim.ops.image",
    "keras.src.losses": "kshim.losses", "keras.src.losses.losses": "kshim.losses",
    "keras.src.metrics": "kshim.metrics", "keras.src.activations": "kshim.activations",
    "keras.src.activations.activations": "kshim.activations", "keras.src.random": "kshim.random",
}
#: Test modules whose every test is selected; in the others only ``*CorrectnessTest`` classes.
WHOLE_MODULE_PREFIXES = ("keras.src.losses.", "keras.src.metrics.", "keras.src.activations.")


class _KshimProxy(types.ModuleType):
    """Public names from kshim; private ones from the Keras module it stands in for."""

    def __init__(self, keras_mod: types.ModuleType, kshim_mod: types.ModuleType):
        super().__init__(keras_mod.__name__)
        self._keras, self._kshim = keras_mod, kshim_mod

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _public_names(self._keras.__name__):
            return getattr(self._keras, name)  # a helper the test module uses, not Keras API
        if hasattr(self._kshim, name):
            return getattr(self._kshim, name)
        if self._keras.__name__.startswith("keras.src.ops"):
            flat = importlib.import_module("kshim.ops")  # kshim.ops holds every op (core ones too)
            if hasattr(flat, name):
                return getattr(flat, name)
        if isinstance(getattr(self._keras, name, None), types.ModuleType):
            return getattr(self._keras, name)  # a submodule (metrics.metrics_utils): Keras' helpers
        raise AttributeError(f"kshim has no {self._kshim.__name__}.{name} (Keras: {self._keras.__name__}.{name})")


def _public_names(keras_module: str) -> set[str]:
    """The names Keras exports for the API ``keras_module`` implements (``keras.src.ops.nn`` -> ``keras.ops.nn``)."""
    parts = keras_module.split(".")[2:]   # drop "keras.src"
    if parts and parts[0] == "ops" and len(parts) > 1 and parts[1] == "numpy":
        parts = ["ops"]
    elif parts and parts[0] in ("losses", "metrics", "activations", "random"):
        parts = parts[:1]
    try:
        public = importlib.import_module(".".join(["keras", *parts]))
    except ImportError:  # keras.src.ops.core / .math have no public module of their own: keras.ops has them
        public = importlib.import_module("keras.ops") if parts and parts[0] == "ops" else None
    if public is None:
        return set()
    return {n for n in dir(public) if not n.startswith("_")}


def _kshim_for(mod: types.ModuleType) -> types.ModuleType | None:
    name = mod.__name__
    if name in MODULE_MAP:
        return importlib.import_module(MODULE_MAP[name])
    if name.startswith("keras.src.metrics.") and not name.endswith("_test") and "utils" not in name:
        return importlib.import_module("kshim.metrics")
    return None


def _patch(module: types.ModuleType) -> None:
    if getattr(module, "__kshim_patched__", False):
        return
    for key, value in list(vars(module).items()):
        if isinstance(value, types.ModuleType):
            target = _kshim_for(value)
            if target is not None:
                setattr(module, key, _KshimProxy(value, target))
    module.__kshim_patched__ = True


def _selected(item: pytest.Item) -> bool:
    modname = item.module.__name__ if item.module is not None else ""
    if modname.startswith(WHOLE_MODULE_PREFIXES):
        return True
    return item.cls is not None and "CorrectnessTest" in item.cls.__name__


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        (keep if _selected(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    for item in keep:  # the junit report's classname lacks the module for --pyargs runs
        item.user_properties.append(("keras_module", item.module.__name__ if item.module is not None else ""))
    if os.environ.get("KSHIM_CONFORMANCE_TARGET", "kshim") != "keras":
        for module in {id(i.module): i.module for i in keep if i.module is not None}.values():
            _patch(module)

"""pytest plugin behind ``python -m kshim.compat.keras_conformance``: runs Keras 3's *own* tests with kshim
behind the names they call.

Loaded with ``-p kshim.compat.keras_conformance_plugin`` in a pytest run over Keras' installed test
modules. It keeps the selection (the ``*CorrectnessTest`` classes of the ops test modules, every test of
the losses, metrics and activations test modules) and, in each selected module, replaces the globals that
are Keras API modules (``knp``, ``kmath``, ``losses``, ``metrics``, ``activations``, ``ops``...) with a
proxy that resolves public names to kshim's. A public name kshim lacks raises ``AttributeError`` (a
failure, as a user would see it); private helpers (``_name``) still come from Keras. API objects a test
module imports by name (``from keras.src.ops import convert_to_tensor``) are replaced by kshim's. In the
losses / metrics / activations modules, ``layers``, ``models`` and ``backend`` are mapped too, so their
end-to-end tests build kshim models (``WHOLE_MODULE_MAP``), and the few Keras-internal names kshim
mirrors (``INTERNAL_MAP``: the AUC enums) are kshim's. ``keras.src.saving.(de)serialize_keras_object``,
which Keras' ``run_class_serialization_test`` imports at call time, route kshim objects and configs of
the Keras API kshim implements through kshim's serialization. Other Keras internals are not touched, so
a test that calls one on kshim objects (``backend.compute_output_spec``) mixes the two (counted as it
ends).

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
    "keras.src.ops": "kshim.ops",
    "keras.src.ops.numpy": "kshim.ops",
    "keras.src.ops.nn": "kshim.ops.nn",
    "keras.src.ops.math": "kshim.ops.math",
    "keras.src.ops.core": "kshim.ops.core",
    "keras.src.ops.linalg": "kshim.ops.linalg",
    "keras.src.ops.image": "kshim.ops.image",
    "keras.src.losses": "kshim.losses",
    "keras.src.losses.losses": "kshim.losses",
    "keras.src.metrics": "kshim.metrics",
    "keras.src.activations": "kshim.activations",
    "keras.src.activations.activations": "kshim.activations",
    "keras.src.random": "kshim.random",
}
#: Test modules whose every test is selected; in the others only ``*CorrectnessTest`` classes.
WHOLE_MODULE_PREFIXES = ("keras.src.losses.", "keras.src.metrics.", "keras.src.activations.")
#: Also mapped in the whole-module test modules: their end-to-end tests build a model around the metric or
#: loss under test (a Keras model around a kshim metric would run kshim ops inside Keras' trainer), and
#: their ``backend.backend()`` branches describe Keras on the backend kshim runs on. (Skip conditions are
#: evaluated at import, before this patch: they still see Keras' backend, JAX.)
WHOLE_MODULE_MAP = {
    "keras.src.layers": "kshim.layers",
    "keras.src.models": "kshim.models",
    "keras.src.backend": "kshim.backend",
}
#: Keras-internal (non-exported) names that kshim mirrors and tests compare with: Keras module -> (kshim
#: module, names). ``AUC.curve`` is an ``AUCCurve`` member in both; the test compares it with Keras' enum.
INTERNAL_MAP = {
    "keras.src.metrics.metrics_utils": ("kshim.metrics.metrics_utils", frozenset({"AUCCurve", "AUCSummationMethod"})),
}


class _KshimProxy(types.ModuleType):
    """Public names from kshim; private ones from the Keras module it stands in for."""

    def __init__(self, keras_mod: types.ModuleType, kshim_mod: types.ModuleType, names: frozenset[str] | None = None):
        super().__init__(keras_mod.__name__)
        self._keras, self._kshim = keras_mod, kshim_mod
        self._names = names  # the names taken from kshim; None: the public names of the Keras API module

    def __getattr__(self, name: str) -> Any:
        if name == "KerasTensor" and self._keras.__name__.startswith("keras.src.ops"):
            return importlib.import_module("kshim").KerasTensor  # symbolic inputs the ops tests build
        names = _public_names(self._keras.__name__) if self._names is None else self._names
        if name.startswith("_") or name not in names:
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
    parts = keras_module.split(".")[2:]  # drop "keras.src"
    if parts and parts[0] == "ops" and len(parts) > 1 and parts[1] == "numpy":
        parts = ["ops"]
    elif parts and parts[0] in ("losses", "metrics", "activations", "random"):
        parts = parts[:1]
    public: types.ModuleType | None
    try:
        public = importlib.import_module(".".join(["keras", *parts]))
    except ImportError:  # keras.src.ops.core / .math have no public module of their own: keras.ops has them
        public = importlib.import_module("keras.ops") if parts and parts[0] == "ops" else None
    if public is None:
        return set()
    return {n for n in dir(public) if not n.startswith("_")}


def _kshim_for(mod: types.ModuleType | str, whole: bool = False) -> types.ModuleType | None:
    name = mod if isinstance(mod, str) else mod.__name__
    if name in MODULE_MAP:
        return importlib.import_module(MODULE_MAP[name])
    if whole and name in WHOLE_MODULE_MAP:
        return importlib.import_module(WHOLE_MODULE_MAP[name])
    if name.startswith("keras.src.metrics.") and not name.endswith("_test") and "utils" not in name:
        return importlib.import_module("kshim.metrics")
    return None


def _patch(module: types.ModuleType) -> None:
    """Point the Keras API globals of a test module at kshim: modules (``from keras.src import metrics``)
    become proxies; API objects imported by name (``from keras.src.ops import convert_to_tensor``) become
    kshim's object of the same public name, where kshim has one."""
    if getattr(module, "__kshim_patched__", False):
        return
    whole = module.__name__.startswith(WHOLE_MODULE_PREFIXES)
    ops_test = module.__name__.startswith("keras.src.ops.")
    kshim = importlib.import_module("kshim")
    for key, value in list(vars(module).items()):
        if ops_test and key == "KerasTensor" and getattr(value, "__module__", "").startswith("keras.src.backend"):
            # The ops tests build symbolic inputs from Keras' KerasTensor: kshim's ops take kshim's.
            setattr(module, key, kshim.KerasTensor)
            continue
        if isinstance(value, types.ModuleType):
            if ops_test and value.__name__ == "keras.src.backend":  # backend.KerasTensor(...) in ops tests
                setattr(module, key, _KshimProxy(value, kshim, frozenset({"KerasTensor"})))
                continue
            if value.__name__ in INTERNAL_MAP:
                kshim_name, names = INTERNAL_MAP[value.__name__]
                setattr(module, key, _KshimProxy(value, importlib.import_module(kshim_name), names))
                continue
            target = _kshim_for(value, whole)
            if target is not None:
                setattr(module, key, _KshimProxy(value, target))
            continue
        home = getattr(value, "__module__", None)
        name = getattr(value, "__name__", None)
        if not isinstance(home, str) or not isinstance(name, str) or home == module.__name__ or key != name:
            continue
        target = _kshim_for(home, whole)
        if target is not None and name in _public_names(home) and hasattr(target, name):
            setattr(module, key, getattr(target, name))
    setattr(module, "__kshim_patched__", True)  # a marker attribute of our own on Keras' module


def _keras_custom_objects() -> dict:
    """The objects Keras' ``register_keras_serializable`` and ``custom_object_scope`` have made visible."""
    from keras.src.backend.common import global_state
    from keras.src.saving import object_registration

    return {
        **object_registration.GLOBAL_CUSTOM_OBJECTS,
        **(global_state.get_global_attribute("custom_objects_scope_dict", {}) or {}),
    }


def _is_kshim_config(config: Any) -> bool:
    """Whether a config (as ``serialize_keras_object`` writes it) names an object kshim deserializes:
    an object of a Keras API module kshim implements (``keras.losses``, ``keras.metrics``...) or of kshim."""
    if not isinstance(config, dict) or not isinstance(config.get("module"), str):
        return False
    from kshim import _serialization

    module = config["module"]
    return module.startswith("kshim") or module in _serialization._MODULES


def _patch_serialization() -> None:
    """Route ``keras.src.saving.(de)serialize_keras_object`` to kshim for kshim objects.

    ``TestCase.run_class_serialization_test`` imports them at call time from ``keras.src.saving``; without
    this, Keras' serializer writes a kshim object's Python module and Keras' deserializer cannot find it.
    Keras' registered custom objects and custom object scope are passed on to kshim's deserializer.
    """
    import keras.src.saving as keras_saving
    import kshim.saving as kshim_saving

    if getattr(keras_saving, "__kshim_patched__", False):
        return
    keras_serialize, keras_deserialize = keras_saving.serialize_keras_object, keras_saving.deserialize_keras_object

    def serialize_keras_object(obj: Any) -> Any:
        if type(obj).__module__.startswith("kshim"):
            return kshim_saving.serialize_keras_object(obj)
        return keras_serialize(obj)

    def deserialize_keras_object(
        config: Any, custom_objects: dict | None = None, safe_mode: bool = True, **kwargs: Any
    ) -> Any:
        if _is_kshim_config(config):
            return kshim_saving.deserialize_keras_object(
                config, custom_objects={**_keras_custom_objects(), **(custom_objects or {})}, safe_mode=safe_mode
            )
        return keras_deserialize(config, custom_objects=custom_objects, safe_mode=safe_mode, **kwargs)

    keras_saving.serialize_keras_object = serialize_keras_object
    keras_saving.deserialize_keras_object = deserialize_keras_object
    setattr(keras_saving, "__kshim_patched__", True)


def _selected(item: pytest.Item) -> bool:
    fn: Any = item  # a pytest.Function in practice: it has .module and .cls (a bare pytest.Item has not)
    modname = fn.module.__name__ if fn.module is not None else ""
    if modname.startswith(WHOLE_MODULE_PREFIXES):
        return True
    return fn.cls is not None and "CorrectnessTest" in fn.cls.__name__


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[Any] = []  # pytest.Function items (with .module), which a bare pytest.Item type lacks
    drop: list[pytest.Item] = []
    for item in items:
        (keep if _selected(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    for item in keep:  # the junit report's classname lacks the module for --pyargs runs
        item.user_properties.append(("keras_module", item.module.__name__ if item.module is not None else ""))
    if os.environ.get("KSHIM_CONFORMANCE_TARGET", "kshim") != "keras":
        _patch_serialization()
        for module in {id(i.module): i.module for i in keep if i.module is not None}.values():
            _patch(module)

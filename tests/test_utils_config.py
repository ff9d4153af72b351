"""``kshim.utils.Config`` and ``kshim.utils.legacy`` against real Keras 3 (both run without TensorFlow).

Every check runs the same operations on Keras' object and kshim's and compares results, exception
types and messages.
"""
from __future__ import annotations

import os

import pytest

import kshim
from kshim.utils import Config, legacy

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
from keras.utils import legacy as keras_legacy  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def outcome(fn):
    """``("ok", value)`` or ``(exception type name, message)``."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - compared between the two implementations
        return type(e).__name__, str(e)


def both(fn):
    """Run ``fn(Config)`` with Keras' and kshim's class and return both outcomes."""
    return outcome(lambda: fn(keras.utils.Config)), outcome(lambda: fn(Config))


# ---- Config ----------------------------------------------------------------------------------------------
def _session(cls):
    c = cls(learning_rate=0.1, momentum=0.9)
    c.use_ema = True
    c["seed"] = 123
    c.update({"zeta": 1}, alpha=[1, 2])
    popped = c.pop("momentum")
    missing = c.pop("nope", "default")
    del c["zeta"]
    return (c.seed, c["learning_rate"], popped, missing, list(c), list(c.keys()), list(c.values()),
            list(c.items()), len(c), "seed" in c, "momentum" in c, c.get("alpha"), c.get("x", 5), c.to_json(),
            repr(c), c.as_dict(), c.frozen)


def test_config_behaves_as_keras():
    k, s = both(_session)
    assert k[0] == "ok" and s == k


@pytest.mark.parametrize("mutation", [
    lambda c: setattr(c, "a", 2), lambda c: c.__setitem__("a", 2), lambda c: c.pop("a"),
    lambda c: c.update(a=3), lambda c: c.__delitem__("a"),
])
def test_frozen_config_refuses_changes_as_keras(mutation):
    def run(cls):
        c = cls(a=1)
        c.freeze()
        assert c.frozen
        return mutation(c)
    k, s = both(run)
    assert k[0] == "ValueError" and s == k


def test_unfreeze_and_reads_while_frozen():
    def run(cls):
        c = cls(a=1)
        c.freeze()
        reads = (c.a, c["a"], c.get("a"), c.as_dict(), c.to_json())
        c.unfreeze()
        c.a = 2
        return reads, c.a, c.frozen
    k, s = both(run)
    assert k == ("ok", ((1, 1, 1, {"a": 1}, '{"a": 1}'), 2, False)) and s == k


@pytest.mark.parametrize("name", ["learning_rat", "completely_else"])
def test_unknown_attribute_message_as_keras(name):
    k, s = both(lambda cls: getattr(cls(learning_rate=0.1), name))
    assert k[0] == "AttributeError" and s == k


def test_as_dict_is_a_copy_and_to_json_rejects_objects():
    c = Config(a=[1])
    d = c.as_dict()
    d["b"] = 2
    assert "b" not in c and d["a"] is c.a
    k, s = both(lambda cls: cls(f=object()).to_json())
    assert k[0] == "TypeError" and s[0] == "TypeError"


def test_methods_are_not_entries():
    c = Config(keys=1)
    assert callable(c.keys) and c["keys"] == 1  # a method name stays the method, as in Keras
    c.freeze = 3  # setting a method name sets the attribute, not an entry (Keras too)
    assert "freeze" not in c and c.freeze == 3


# ---- legacy serialization -------------------------------------------------------------------------------------
def test_legacy_serialize_layer_equals_keras():
    kd = keras.layers.Dense(3, activation="relu", name="d")
    sd = kshim.layers.Dense(3, activation="relu", name="d")
    assert legacy.serialize_keras_object(sd) == keras_legacy.serialize_keras_object(kd)
    assert legacy.serialize_keras_object(sd) == {"class_name": "Dense", "config": sd.get_config()}


def _custom_classes(register):
    class Inner:
        def __init__(self, k=1):
            self.k = k

        def get_config(self):
            return {"k": self.k}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    class Outer:
        def __init__(self, inner=None, fn=None, name="o", size=2, items=(1, 2)):
            self.inner, self.fn, self.name, self.size, self.items = inner, fn, name, size, items

        def get_config(self):
            return {"inner": self.inner, "fn": self.fn, "name": self.name, "size": self.size,
                    "items": list(self.items), "nothing": None, "d": {"x": 1}}

        @classmethod
        def from_config(cls, config):
            config = dict(config)
            config.pop("nothing")
            config.pop("d")
            return cls(**config)

    def scale(x):
        return x * 2

    register(package="H7", name="Inner")(Inner)
    register(package="H7", name="Outer")(Outer)
    register(package="H7", name="scale")(scale)
    return Inner, Outer, scale


def test_legacy_nested_objects_and_functions_equal_keras():
    k_inner, k_outer, k_scale = _custom_classes(keras.saving.register_keras_serializable)
    s_inner, s_outer, s_scale = _custom_classes(kshim.saving.register_keras_serializable)
    try:
        kc = keras_legacy.serialize_keras_object(k_outer(k_inner(5), k_scale, name="o", size=3))
        sc = legacy.serialize_keras_object(s_outer(s_inner(5), s_scale, name="o", size=3))
        assert sc == kc
        assert sc["class_name"] == "H7>Outer" and sc["config"]["inner"]["__passive_serialization__"] is True
        assert sc["config"]["fn"] == "H7>scale"
        assert legacy.serialize_keras_object(s_scale) == keras_legacy.serialize_keras_object(k_scale) == "H7>scale"
        back = legacy.deserialize_keras_object(sc)
        assert isinstance(back, s_outer) and isinstance(back.inner, s_inner) and back.inner.k == 5
        assert back.fn is s_scale and back.size == 3 and back.name == "o"
        kback = keras_legacy.deserialize_keras_object(kc)
        assert (kback.inner.k, kback.size, kback.fn is k_scale) == (back.inner.k, back.size, True)
    finally:
        for key in ("H7>Inner", "H7>Outer", "H7>scale"):
            keras.saving.get_custom_objects().pop(key, None)
            kshim.saving.get_custom_objects().pop(key, None)


def test_legacy_deserialize_with_module_and_custom_objects():
    cfg = legacy.serialize_keras_object(kshim.layers.Dense(4, name="dd"))
    layer = legacy.deserialize_keras_object(cfg, module_objects={"Dense": kshim.layers.Dense})
    assert isinstance(layer, kshim.layers.Dense) and layer.get_config() == kshim.layers.Dense(4, name="dd").get_config()
    layer = legacy.deserialize_keras_object(cfg, custom_objects={"Dense": kshim.layers.Dense})
    assert layer.units == 4
    with kshim.utils.custom_object_scope({"Dense": kshim.layers.Dense}):
        assert legacy.deserialize_keras_object(cfg).units == 4
    # names: a class is instantiated, a function returned; custom_objects win over module_objects
    assert isinstance(legacy.deserialize_keras_object("Zeros", module_objects={"Zeros": kshim.initializers.Zeros}),
                      kshim.initializers.Zeros)
    fn = legacy.deserialize_keras_object("act", module_objects={"act": len}, custom_objects={"act": abs})
    assert fn is abs
    assert legacy.deserialize_keras_object(None) is None and legacy.serialize_keras_object(None) is None

    def f(x):
        return x
    assert legacy.deserialize_keras_object(f) is f


@pytest.mark.parametrize("identifier", [{"class_name": "Nope", "config": {}}, {"config": {}}, 3.5])
def test_legacy_errors_equal_keras(identifier):
    k = outcome(lambda: keras_legacy.deserialize_keras_object(identifier, module_objects={}))
    s = outcome(lambda: legacy.deserialize_keras_object(identifier, module_objects={}))
    assert k[0] == "ValueError" and s == k


def test_legacy_unknown_name_is_a_value_error():
    """Keras 3.15 raises AttributeError for any name not in ``custom_objects`` (it reads a thread-local
    registry that no longer exists); kshim raises the ValueError its message describes."""
    k = outcome(lambda: keras_legacy.deserialize_keras_object({"class_name": "Nope", "config": {}}, module_objects={}))
    s = outcome(lambda: legacy.deserialize_keras_object("Nope", module_objects={}))
    assert s == ("ValueError", k[1])  # the message Keras gives for an unknown class name


def test_legacy_serialize_error_equals_keras():
    k = outcome(lambda: keras_legacy.serialize_keras_object(3))
    s = outcome(lambda: legacy.serialize_keras_object(3))
    assert k[0] == "ValueError" and s == k


def test_names_are_exported():
    assert kshim.utils.Config is Config
    assert {"serialize_keras_object", "deserialize_keras_object"} <= set(dir(kshim.utils.legacy))
    assert {"Config", "FeatureSpace", "legacy"} <= set(dir(kshim.utils))
    assert kshim.utils.FeatureSpace.__name__ == keras.utils.FeatureSpace.__name__

"""``kshim.legacy.saving`` (``keras.legacy.saving``): the Keras 2 ``{"class_name", "config"}`` format,
against real Keras 3's ``keras.legacy.saving`` on the same objects."""

from __future__ import annotations

import numpy as np
import pytest

import kshim
from kshim.legacy import saving as S


def _keras():
    return pytest.importorskip("keras")


def _pairs(lib):
    return {
        "dense": lib.layers.Dense(3, activation="relu", name="d"),
        "conv": lib.layers.Conv2D(4, 3, strides=2, padding="same", name="c"),
        "adam": lib.optimizers.Adam(learning_rate=0.5, name="opt"),  # auto names count per process
        "glorot": lib.initializers.GlorotUniform(seed=3),
        "l2": lib.regularizers.L2(0.01),
        "relu": lib.activations.relu,
        "none": None,
    }


@pytest.mark.parametrize("what", ["dense", "conv", "adam", "glorot", "l2", "relu", "none"])
def test_serialize_matches_keras(what):
    keras = _keras()
    assert S.serialize_keras_object(_pairs(kshim)[what]) == keras.legacy.saving.serialize_keras_object(
        _pairs(keras)[what]
    )


@pytest.mark.parametrize("value", ["relu", 3, [1, 2], {"a": 1}])
def test_serialize_refuses_what_keras_refuses(value):
    keras = _keras()
    with pytest.raises(ValueError, match="get_config"):
        keras.legacy.saving.serialize_keras_object(value)
    with pytest.raises(ValueError, match="get_config"):
        S.serialize_keras_object(value)


def test_deserialize_keras_written_configs(backend):
    keras = _keras()
    for what, cls in (("dense", "Dense"), ("conv", "Conv2D")):
        cfg = keras.legacy.saving.serialize_keras_object(_pairs(keras)[what])
        layer = S.deserialize_keras_object(cfg, module_objects=vars(kshim.layers))
        assert type(layer).__name__ == cls
        assert S.serialize_keras_object(layer) == cfg
    opt = S.deserialize_keras_object(
        keras.legacy.saving.serialize_keras_object(_pairs(keras)["adam"]), module_objects=vars(kshim.optimizers)
    )
    assert isinstance(opt, kshim.optimizers.Adam) and float(opt.learning_rate) == pytest.approx(0.5)
    assert S.deserialize_keras_object("relu", module_objects=vars(kshim.activations)) is kshim.activations.relu
    assert S.deserialize_keras_object(None) is None
    assert S.deserialize_keras_object(kshim.activations.relu) is kshim.activations.relu


def test_model_round_trip_predicts_the_same(backend):
    layers = kshim.layers
    model = kshim.Sequential([layers.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])
    again = S.deserialize_keras_object(S.serialize_keras_object(model), module_objects={"Sequential": kshim.Sequential})
    again.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_array_equal(np.asarray(again.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)))


def test_custom_objects_registry_and_scope():
    @kshim.saving.register_keras_serializable(package="LegacyTest")
    class Scaled(kshim.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    cfg = S.serialize_keras_object(Scaled(3.0, name="s"))
    assert cfg["class_name"] == "LegacyTest>Scaled" and cfg["config"]["factor"] == 3.0
    assert S.deserialize_keras_object(cfg).factor == 3.0  # found in the registry

    class Local(Scaled):
        pass

    local_cfg = {"class_name": "Local", "config": {"factor": 4.0, "name": "l"}}
    with pytest.raises(ValueError, match="Unknown layer: 'Local'"):
        S.deserialize_keras_object(local_cfg, printable_module_name="layer")
    assert S.deserialize_keras_object(local_cfg, custom_objects={"Local": Local}).factor == 4.0
    with kshim.saving.custom_object_scope({"Local": Local}):
        assert isinstance(S.deserialize_keras_object(local_cfg), Local)


def test_bad_identifiers_are_value_errors():
    with pytest.raises(ValueError, match="Improper config"):
        S.deserialize_keras_object({"config": {}})
    with pytest.raises(ValueError, match="Could not interpret"):
        S.deserialize_keras_object(3)
    with pytest.raises(ValueError, match="Unknown object: 'nope'"):
        S.deserialize_keras_object("nope", module_objects={})

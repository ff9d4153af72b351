"""``kshim.dtype_policies``, ``kshim.optimizers.legacy`` and ``kshim.models.save_model``: the same
results and exception types as real Keras 3 on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import kshim
from kshim import dtype_policies as dp


def _keras():
    return pytest.importorskip("keras")


IDENTIFIERS = [
    "float32",
    "float64",
    "mixed_float16",
    "mixed_bfloat16",
    {"class_name": "DTypePolicy", "config": {"name": "bfloat16"}},
    {"class_name": "FloatDTypePolicy", "config": {"name": "float16"}},
    np.float64,
    "float16",
]


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=str)
def test_get_matches_keras(identifier):
    keras = _keras()
    ours, theirs = dp.get(identifier), keras.dtype_policies.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.variable_dtype, ours.compute_dtype) == (
        theirs.name,
        theirs.variable_dtype,
        theirs.compute_dtype,
    )
    assert dp.serialize(ours) == keras.dtype_policies.serialize(theirs)


def test_serialize_deserialize_and_equality_match_keras():
    keras = _keras()
    for cls in ("DTypePolicy", "FloatDTypePolicy"):
        ours = getattr(dp, cls)("mixed_float16")
        theirs = getattr(keras.dtype_policies, cls)("mixed_float16")
        assert dp.serialize(ours) == keras.dtype_policies.serialize(theirs)
        back = dp.deserialize(keras.dtype_policies.serialize(theirs))
        assert type(back) is type(ours) and back == ours
        assert type(keras.dtype_policies.deserialize(dp.serialize(ours))).__name__ == cls
    assert (dp.DTypePolicy("float32") == dp.FloatDTypePolicy("float32")) is (
        keras.dtype_policies.DTypePolicy("float32") == keras.dtype_policies.FloatDTypePolicy("float32")
    )
    assert dp.DTypePolicy("float32") != dp.DTypePolicy("float64")
    assert len({dp.DTypePolicy("float32"), dp.FloatDTypePolicy("float32")}) == 1
    assert kshim.FloatDTypePolicy is dp.FloatDTypePolicy
    layer = kshim.layers.Dense(2, dtype=dp.FloatDTypePolicy("float64"))
    assert layer.dtype_policy.name == "float64" and layer.compute_dtype == "float64"


def test_refusals_are_value_errors():
    keras = _keras()
    for bad in (3, [1]):
        with pytest.raises(ValueError):
            keras.dtype_policies.get(bad)
        with pytest.raises(ValueError):
            dp.get(bad)
    with pytest.raises(ValueError):  # a quantized policy: Keras has one, kshim has no quantization
        dp.get("int8_from_float32")
    # Keras returns an unknown class name as a string; kshim refuses it (said in the docstring)
    with pytest.raises(ValueError, match="Unknown dtype policy class 'Quantized'"):
        dp.deserialize({"class_name": "Quantized", "config": {"name": "int8"}})
    with pytest.raises(ValueError):
        dp.serialize("float32")


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizers_raise_import_error_as_keras(name):
    keras = _keras()
    with pytest.raises(ImportError):
        getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
    with pytest.raises(ImportError, match=f"kshim.optimizers.{name}"):
        getattr(kshim.optimizers.legacy, name)(learning_rate=0.1)


def test_models_save_model_writes_a_file_keras_loads(tmp_path, backend):
    keras = _keras()
    model = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    kshim.models.save_model(model, path)
    theirs = keras.models.load_model(path)
    for a, b in zip(model.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    with pytest.raises(FileExistsError):
        kshim.models.save_model(model, path, overwrite=False)

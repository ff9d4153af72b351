"""``Lambda`` with an importable function is saved by name and loads in safe mode; only true
lambdas and closures are bytecode that needs ``safe_mode=False`` (issue 22, item 6)."""
import json
import os
import sys

import numpy as np
import pytest

import kshim
from kshim import activations, layers as L, ops
from kshim.saving import register_keras_serializable
from kshim.saving.serialization import deserialize_keras_object, serialize_keras_object


def double_it(x):
    """A module-level function of this (user) module."""
    return ops.multiply(x, 2.0)


@register_keras_serializable(package="lambda_by_name")
def add_one(x):
    return ops.add(x, 1.0)


def _closure():
    scale = 3.0

    def scaled(x):
        return ops.multiply(x, scale)
    return scaled


@pytest.fixture(scope="module")
def keras():
    """Real Keras 3 on JAX when installed, else None."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras as k
    except ImportError:
        return None
    return k if k.backend.backend() == "jax" else None


BY_NAME = {
    "activation_relu": (activations.relu, "builtins", "relu"),
    "activation_gelu": (activations.gelu, "builtins", "gelu"),
    "ops_abs": (ops.abs, "keras.ops", "abs"),
    "ops_relu": (ops.relu, "keras.ops", "relu"),
    "loss_fn": (kshim.losses.mean_squared_error, "builtins", "mean_squared_error"),
    "registered": (add_one, "builtins", "lambda_by_name>add_one"),
    "module_level": (double_it, __name__, "double_it"),
}


def _model(fn):
    inp = kshim.Input((4,))
    out = L.Lambda(fn)(L.Dense(4, kernel_initializer="ones")(inp))
    return kshim.Model(inp, out)


@pytest.mark.parametrize("case", list(BY_NAME))
def test_importable_function_saved_by_name_loads_in_safe_mode(backend, tmp_path, case):
    fn, module, name = BY_NAME[case]
    layer = L.Lambda(fn)
    cfg = layer.get_config()["function"]
    assert cfg == {"module": module, "class_name": "function", "config": name, "registered_name": "function"}
    clone = L.Lambda.from_config(json.loads(json.dumps(layer.get_config())), safe_mode=True)
    assert clone.function is fn
    if case == "loss_fn":  # a loss takes (y_true, y_pred): it is not run as a one-input layer here
        return
    m = _model(fn)
    x = np.linspace(-2, 2, 8, dtype="float32").reshape(2, 4)
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = kshim.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_output_shape_and_mask_functions_are_saved_by_name_too(backend):
    layer = L.Lambda(double_it, output_shape=add_one, mask=activations.relu)
    cfg = json.loads(json.dumps(layer.get_config()))
    assert cfg["output_shape"]["config"] == "lambda_by_name>add_one"
    assert cfg["mask"]["config"] == "relu"
    clone = L.Lambda.from_config(cfg, safe_mode=True)
    assert (clone.function, clone._output_shape, clone._mask) == (double_it, add_one, activations.relu)
    assert L.Lambda.from_config(L.Lambda(double_it, output_shape=[None, 3]).get_config())._output_shape == (None, 3)


@pytest.mark.parametrize("make", [lambda: (lambda x: x * 2), _closure], ids=["lambda", "closure"])
def test_only_lambdas_and_closures_need_unsafe_mode(backend, make):
    assert L.Lambda(double_it).get_config()["function"]["class_name"] == "function"
    fn = make()
    cfg = json.loads(json.dumps(L.Lambda(fn).get_config()))
    assert cfg["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        L.Lambda.from_config(cfg, safe_mode=True)
    if fn.__closure__ is None:  # bytecode without captured cells still loads when allowed
        clone = L.Lambda.from_config(cfg, safe_mode=False)
        np.testing.assert_allclose(ops.convert_to_numpy(clone(np.ones((1, 2), "float32"))), 2.0)


def test_uncallable_objects_give_a_clear_error(backend):
    class Callable:
        def __call__(self, x):
            return x
    with pytest.raises(ValueError, match="Cannot serialize the callable"):
        L.Lambda(Callable()).get_config()


HOSTILE = [("os", "system"), ("shutil", "rmtree"), ("subprocess", "run"), ("builtins", "eval"),
           ("numpy", "load"), ("kshim.saving.saving_api", "save_model"), ("kshim.losses", "deserialize"),
           ("json", "loads"), ("lambda_by_name_never_imported_module", "f"), (__name__, "os"),
           (__name__, "no_such_function")]


def _lambda_config(module, name):
    cfg = serialize_keras_object(L.Lambda(activations.relu))
    cfg["config"]["function"] = {"module": module, "class_name": "function", "config": name,
                                 "registered_name": "function"}
    return json.loads(json.dumps(cfg))


@pytest.mark.parametrize("module,name", HOSTILE)
def test_hostile_function_names_are_refused_in_safe_mode(backend, module, name):
    # the same form naming a function of this (user) module resolves ...
    assert deserialize_keras_object(_lambda_config(__name__, "double_it"), safe_mode=True).function is double_it
    # ... but not the standard library, installed packages, kshim internals or unimported modules
    before = set(sys.modules)
    with pytest.raises(ValueError, match="function"):
        deserialize_keras_object(_lambda_config(module, name), safe_mode=True)
    assert set(sys.modules) == before  # loading never imports a module named by the file


def test_unsafe_mode_imports_module_level_functions(backend):
    cfg = {"module": "json", "class_name": "function", "config": "dumps", "registered_name": "function"}
    layer = L.Lambda.from_config(dict(L.Lambda(activations.relu).get_config(), function=cfg), safe_mode=False)
    assert layer.function is json.dumps


def test_custom_objects_resolve_names_written_by_keras(backend):
    # Keras writes every non-builtin function as {"module": "builtins", "config": <name>}
    cfg = dict(L.Lambda(activations.relu).get_config(),
               function={"module": "builtins", "class_name": "function", "config": "my_fn",
                         "registered_name": "function"})
    full = {"module": "keras.layers", "class_name": "Lambda", "config": cfg, "registered_name": None}
    with pytest.raises(ValueError, match="Could not find the function 'my_fn'"):
        deserialize_keras_object(full, safe_mode=True)
    assert deserialize_keras_object(full, custom_objects={"my_fn": double_it}).function is double_it
    with kshim.utils.custom_object_scope({"my_fn": add_one}):
        assert deserialize_keras_object(full).function is add_one


@pytest.mark.oracle
def test_config_format_matches_keras(backend, keras):
    if keras is None:
        pytest.skip("real Keras (JAX) not installed")
    for kfn, fn in ((keras.activations.relu, activations.relu), (keras.activations.tanh, activations.tanh)):
        assert L.Lambda(fn).get_config()["function"] == keras.layers.Lambda(kfn).get_config()["function"]

    @keras.saving.register_keras_serializable(package="lambda_by_name")
    def add_one(x):  # noqa: F811 - same registered name in Keras' registry
        return x + 1.0
    assert L.Lambda(globals()["add_one"]).get_config()["function"] == \
        keras.layers.Lambda(add_one).get_config()["function"]


@pytest.mark.oracle
def test_files_move_both_ways_in_safe_mode(backend, keras, tmp_path):
    if keras is None:
        pytest.skip("real Keras (JAX) not installed")
    x = np.linspace(-2, 2, 8, dtype="float32").reshape(2, 4)
    # kshim -> Keras: activations by name, kshim.ops as keras.ops.<name>
    inp = kshim.Input((4,))
    m = kshim.Model(inp, L.Lambda(ops.abs)(L.Lambda(activations.relu)(L.Dense(4)(inp))))
    m.save(str(tmp_path / "k.keras"))
    km = keras.saving.load_model(str(tmp_path / "k.keras"), safe_mode=True)
    np.testing.assert_allclose(np.asarray(km.predict(x, verbose=0)), m.predict(x, verbose=0), rtol=1e-5)
    # Keras -> kshim: Keras writes keras.ops.abs as {"module": "builtins", "config": "abs"}, which Keras
    # itself cannot load again; kshim resolves it to kshim.ops.abs
    kin = keras.Input((4,))
    k2 = keras.Model(kin, keras.layers.Lambda(keras.ops.abs)(
        keras.layers.Lambda(keras.activations.relu)(keras.layers.Dense(4)(kin))))
    k2.save(str(tmp_path / "j.keras"))
    m2 = kshim.models.load_model(str(tmp_path / "j.keras"), safe_mode=True)
    np.testing.assert_allclose(m2.predict(x, verbose=0), np.asarray(k2.predict(x, verbose=0)), rtol=1e-5)
    assert m2.layers[-1].function is ops.abs

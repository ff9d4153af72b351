"""Names Keras code touches outside the layers: ``keras.version()``/``__version__``, the whole
``keras.backend`` and ``keras.config`` namespaces, and ``keras.utils``' serialization helpers
(``register_keras_serializable``, ``custom_object_scope``, ...), with Keras' behaviour."""
import importlib.metadata
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import kshim
from kshim import layers

try:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
except ImportError:  # the oracle comparisons below are skipped
    keras = None

needs_keras = pytest.mark.skipif(keras is None, reason="real Keras is not installed")


def _public(mod):
    return {n for n in dir(mod) if not n.startswith("_")}


# ---- version ------------------------------------------------------------------------------------------
def test_version_is_the_keras_api_version():
    """``keras.__version__`` is the Keras 3 version kshim tracks (so version gates take the Keras 3 path);
    kshim's own release is ``__kshim_version__``, the installed distribution's version."""
    assert kshim.__version__.startswith("3.") and kshim.version() == kshim.__version__
    major, minor = (int(p) for p in kshim.__version__.split(".")[:2])
    assert (major, minor) >= (3, 0)
    assert kshim.__kshim_version__ == importlib.metadata.version("kshim")


@needs_keras
def test_version_tracks_the_installed_oracle_major():
    assert kshim.__version__.split(".")[0] == keras.__version__.split(".")[0]


# ---- namespaces complete ----------------------------------------------------------------------------
@needs_keras
@pytest.mark.parametrize("ns", ["backend", "config"])
def test_namespace_has_every_keras_name(ns):
    missing = _public(getattr(keras, ns)) - _public(getattr(kshim, ns))
    assert not missing, f"kshim.{ns} lacks {sorted(missing)}"


@needs_keras
def test_utils_has_the_serialization_and_logging_names():
    names = {"register_keras_serializable", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
             "get_registered_name", "get_registered_object", "serialize_keras_object", "deserialize_keras_object",
             "is_keras_tensor", "standardize_dtype", "enable_interactive_logging", "disable_interactive_logging",
             "is_interactive_logging_enabled", "Progbar", "Sequence", "pack_x_y_sample_weight",
             "unpack_x_y_sample_weight", "clear_session"}
    assert names <= _public(keras.utils)
    assert not names - _public(kshim.utils)
    assert {"custom_object_scope", "CustomObjectScope", "get_registered_object"} <= _public(kshim.saving)


def test_top_level_base_classes():
    assert kshim.Loss is kshim.losses.Loss and kshim.Metric is kshim.metrics.Metric
    assert kshim.Optimizer is kshim.optimizers.Optimizer and kshim.Initializer is kshim.initializers.Initializer
    assert kshim.Regularizer is kshim.regularizers.Regularizer


# ---- keras.backend ------------------------------------------------------------------------------------
_RESULT_TYPES = [(), (bool,), (float,), (int,), (int, float), (bool, "int8"), (int, "uint8"), (float, "float16"),
                 ("int32", "float16"), ("int8", "uint8"), ("bfloat16", "float16"), (None, "int8"),
                 (int, "bfloat16"), (float, "int64"), ("bool", "bool"), ("uint8", "int16")]
_DTYPES = [None, np.float32, np.int8, np.dtype("float64"), int, float, bool, "int", "bfloat16", "uint16"]


@needs_keras
def test_backend_dtype_helpers_match_keras():
    B, K = kshim.backend, keras.backend
    for args in _RESULT_TYPES:
        assert B.result_type(*args) == K.result_type(*args), args
    for d in _DTYPES:
        assert B.standardize_dtype(d) == K.standardize_dtype(d), d
        assert B.is_float_dtype(d) == K.is_float_dtype(d), d
        assert B.is_int_dtype(d) == K.is_int_dtype(d), d
    with pytest.raises(ValueError):
        B.standardize_dtype("not_a_dtype")
    with pytest.raises(ValueError):
        K.standardize_dtype("not_a_dtype")


def test_backend_result_type_keeps_64_bits():
    """Deliberate difference: Keras on JAX/PyTorch demotes 64-bit results to 32 bits; kshim computes
    float64 in float64, so its promotion says so."""
    assert kshim.backend.result_type("float64", "float32") == "float64"
    assert kshim.backend.result_type("int64", int) == "int64"


def test_backend_settings_are_the_config_functions():
    for n in ("epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format", "set_image_data_format",
              "backend"):
        assert callable(getattr(kshim.backend, n))
    assert kshim.backend.floatx is kshim.config.floatx and kshim.backend.set_epsilon is kshim.config.set_epsilon
    old = kshim.backend.epsilon()
    kshim.backend.set_epsilon(1e-5)
    try:
        assert kshim.config.epsilon() == 1e-5
    finally:
        kshim.backend.set_epsilon(old)


def test_get_uid_shares_the_layer_name_counters(backend):
    kshim.backend.clear_session()
    assert kshim.backend.get_uid("dense") == 1 and kshim.backend.get_uid("dense") == 2
    assert layers.Dense(2).name == "dense_2"   # as in Keras: the auto-name draws the next id
    assert kshim.backend.get_uid("dense") == 4
    kshim.backend.clear_session(free_memory=False)
    assert layers.Dense(2).name == "dense"
    assert kshim.backend.get_uid() == 1


def test_is_keras_tensor(backend):
    x = kshim.Input((3,))
    assert kshim.backend.is_keras_tensor(x) and kshim.utils.is_keras_tensor(layers.Dense(2)(x))
    assert not kshim.backend.is_keras_tensor(kshim.ops.ones((2, 3)))
    assert not kshim.backend.is_keras_tensor(np.ones(3))


def test_use_rejects_non_names():
    for bad in (123, None, 1.5, ["numpy"]):
        with pytest.raises(TypeError, match="backend name.*'numpy', 'jax', 'torch'"):
            with kshim.backend.use(bad):
                pass
        with pytest.raises(TypeError, match="must be a string"):
            kshim.backend.set_backend(bad)
    with pytest.raises(TypeError, match="must be a string"):
        kshim.backends.get(7)
    with pytest.raises(ValueError, match="Valid names"):
        with kshim.backend.use("nope"):
            pass


# ---- keras.config -------------------------------------------------------------------------------------
def test_interactive_logging_sends_progress_to_the_logger(capsys, caplog):
    assert kshim.config.is_interactive_logging_enabled()
    kshim.config.disable_interactive_logging()
    try:
        assert not kshim.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="kshim"):
            bar = kshim.utils.Progbar(2, verbose=2)
            bar.update(2, [("loss", 0.5)], finalize=True)
        assert capsys.readouterr().out == ""
        assert "loss: 0.5000" in caplog.text
    finally:
        kshim.config.enable_interactive_logging()
    assert kshim.config.is_interactive_logging_enabled()


@needs_keras
def test_config_flags_match_keras_defaults_and_toggles():
    for on, off, get in [("enable_traceback_filtering", "disable_traceback_filtering",
                          "is_traceback_filtering_enabled"),
                         ("enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled")]:
        for mod in (kshim.config, keras.config):
            default = getattr(mod, get)()
            getattr(mod, off)()
            assert getattr(mod, get)() is False
            getattr(mod, on)()
            assert getattr(mod, get)() == default
        assert getattr(kshim.config, get)() == getattr(keras.config, get)()
    assert kshim.config.is_nnx_enabled() is False


def test_max_epochs_and_steps_settings(monkeypatch):
    assert kshim.config.max_epochs() is None and kshim.config.max_steps_per_epoch() is None
    kshim.config.set_max_epochs(2)
    kshim.config.set_max_steps_per_epoch(5)
    try:
        assert kshim.config.max_epochs() == 2 and kshim.config.max_steps_per_epoch() == 5
    finally:
        kshim.config.set_max_epochs(None)
        kshim.config.set_max_steps_per_epoch(None)
    env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND")}
    env.update(KERAS_MAX_EPOCHS="3", KERAS_MAX_STEPS_PER_EPOCH="7")
    out = subprocess.run([sys.executable, "-c", "import kshim, json; c = kshim.config; "
                          "print(json.dumps([c.max_epochs(), c.max_steps_per_epoch()]))"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [3, 7]


def test_config_set_backend_sets_the_default():
    env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND")}
    code = ("import kshim; kshim.config.set_backend('numpy'); print(kshim.config.backend());"
            "import kshim.backend as b\nwith b.use('numpy'): print(b.backend())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "numpy"]
    with pytest.raises(ValueError, match="Valid names"):
        kshim.config.set_backend("tensorflow_nope")


# ---- keras.utils serialization helpers ------------------------------------------------------------------
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return kshim.ops.multiply(x, self.factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_object_scope_resolves_unregistered_classes(backend):
    cfg = kshim.utils.serialize_keras_object(Scale(3.0, name="s"))
    with pytest.raises(TypeError, match="Could not locate class 'Scale'"):
        kshim.utils.deserialize_keras_object(cfg)
    with kshim.utils.custom_object_scope({"Scale": Scale}) as scope:
        assert isinstance(scope, kshim.utils.CustomObjectScope)
        assert kshim.utils.get_registered_object("Scale") is Scale
        with kshim.saving.custom_object_scope({"Other": int}):
            assert kshim.utils.get_registered_object("Scale") is Scale  # nested scopes add up
            assert kshim.utils.get_registered_object("Other") is int
        assert kshim.utils.get_registered_object("Other") is None
        obj = kshim.utils.deserialize_keras_object(cfg)
        np.testing.assert_allclose(kshim.ops.convert_to_numpy(obj(np.ones(2, "float32"))), [3.0, 3.0])
    assert kshim.utils.get_registered_object("Scale") is None


def test_custom_object_scope_with_load_model(backend, tmp_path):
    x = kshim.Input((2,))
    model = kshim.Model(x, Scale(4.0)(layers.Dense(2)(x)))
    path = str(tmp_path / "m.keras")
    model.save(path)
    with kshim.utils.custom_object_scope({"Scale": Scale}):
        loaded = kshim.models.load_model(path)
    data = np.ones((1, 2), "float32")
    np.testing.assert_allclose(kshim.ops.convert_to_numpy(loaded(data)), kshim.ops.convert_to_numpy(model(data)))


def test_registered_names_and_objects():
    @kshim.utils.register_keras_serializable(package="kshimtest")
    def my_metric_fn(y_true, y_pred):
        return y_pred

    def plain(y_true, y_pred):
        return y_true

    assert kshim.utils.get_registered_name(my_metric_fn) == "kshimtest>my_metric_fn"
    assert kshim.utils.get_registered_name(plain) == "plain"          # Keras: falls back to __name__
    assert kshim.utils.get_registered_object("kshimtest>my_metric_fn") is my_metric_fn
    assert kshim.utils.get_registered_object("nope") is None
    assert kshim.utils.get_registered_object("nope", custom_objects={"nope": plain}) is plain
    assert kshim.utils.get_registered_object("nope", module_objects={"nope": plain}) is plain
    # get_custom_objects() is the live registry: adding to it registers for loading
    kshim.utils.get_custom_objects()["kshimtest>plain"] = plain
    try:
        cfg = {"module": "x", "class_name": "function", "config": "plain", "registered_name": "kshimtest>plain"}
        assert kshim.utils.deserialize_keras_object(cfg) is plain
    finally:
        del kshim.utils.get_custom_objects()["kshimtest>plain"]


@needs_keras
def test_pack_unpack_match_keras():
    for data in [1, (1,), (1, 2), [1, 2, 3], (1, None, 3)]:
        assert kshim.utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)
    for args in [(1,), ([1],), (1, 2), (1, 2, 3), (1, None, 3)]:
        assert kshim.utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)
    with pytest.raises(ValueError):
        kshim.utils.unpack_x_y_sample_weight((1, 2, 3, 4))
    assert kshim.utils.Sequence is kshim.utils.PyDataset

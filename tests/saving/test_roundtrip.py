"""Saving and loading: round trips, cross-backend loads, weights files, config/JSON."""
import json
import os
import zipfile

import numpy as np
import pytest

import kshim as keras
from kshim import backends, layers

NAMES = [n for n in ("numpy", "jax", "torch") if backends.is_available(n)]


def _functional(dropout=False):
    # Dropout is off by default: seed-generator state is not saved (as in Keras), so resumed
    # training would draw different masks.
    # BatchNorm comes first: a bias feeding BatchNorm has a zero true gradient, and Adam would turn
    # its rounding noise into full-size steps that differ between backends.
    a = keras.Input((4,), name="a")
    h = layers.BatchNormalization()(a)
    h = layers.Dense(5, activation="relu")(h)
    if dropout:
        h = layers.Dropout(0.1)(h)
    return keras.Model(a, layers.Dense(2, name="out")(h))


def _trained(model):
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    y = np.random.RandomState(1).rand(16, 2).astype("float32")
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model, x, y


def test_keras_file_layout(backend, tmp_path):
    m, x, _ = _trained(_functional(dropout=True))
    path = tmp_path / "m.keras"
    m.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        cfg = json.loads(z.read("config.json"))
        assert cfg["class_name"] == "Functional" and cfg["module"] == "keras.src.models.functional"
        assert cfg["compile_config"]["loss"] == "mse"
        import h5py
        import io
        h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        names = []
        h5.visit(names.append)
    assert "layers/dense/vars/0" in names and "layers/dense_1/vars/1" in names
    assert "layers/batch_normalization/vars/3" in names and "optimizer/vars/0" in names


@pytest.mark.parametrize("compile", [True, False])
def test_roundtrip_same_backend(backend, tmp_path, compile):
    m, x, y = _trained(_functional())
    m.save(tmp_path / "m.keras")
    m2 = keras.models.load_model(tmp_path / "m.keras", compile=compile)
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    assert [w.shape for w in m2.get_weights()] == [w.shape for w in m.get_weights()]
    if compile:
        for a, b in zip(m.optimizer.variables, m2.optimizer.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        # Resuming gives the same next step as continuing.
        l1 = m.train_on_batch(x, y)
        l2 = m2.train_on_batch(x, y)
        np.testing.assert_allclose(l1, l2, rtol=1e-6)
        for a, b in zip(m.get_weights(), m2.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    else:
        assert not m2.compiled


@pytest.mark.skipif(len(NAMES) < 2, reason="needs two backends")
@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_cross_backend_load_and_resume(src, dst, tmp_path):
    with keras.backend.use(src):
        keras.utils.set_random_seed(3)
        m, x, y = _trained(_functional())
        ref = m.predict(x, verbose=0)
        m.save(tmp_path / "m.keras")
        m.train_on_batch(x, y)
        after = m.get_weights()
    with keras.backend.use(dst):
        m2 = keras.models.load_model(tmp_path / "m.keras")
        np.testing.assert_allclose(m2.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)
        m2.train_on_batch(x, y)
        for a, b in zip(after, m2.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sequential_and_weights_files(backend, tmp_path):
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    m.save_weights(tmp_path / "w.weights.h5")
    m2 = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    m2.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="weights.h5"):
        m.save_weights(tmp_path / "w.h5")
    bad = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(3, 4\)"):
        bad.load_weights(tmp_path / "w.weights.h5")


def test_get_config_to_json_and_back(backend):
    m = _functional()
    m2 = keras.models.model_from_json(m.to_json())
    assert [l.name for l in m2.layers] == [l.name for l in m.layers]
    assert [w.shape for w in m2.get_weights()] == [w.shape for w in m.get_weights()]
    s = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="relu")])
    s2 = keras.Sequential.from_config(s.get_config())
    assert s2.layers[0].get_config() == s.layers[0].get_config()


@keras.saving.register_keras_serializable(package="kshim_tests")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kw):
        super().__init__(**kw)
        self.factor = factor

    def build(self, shape):
        self.w = self.add_weight((shape[-1],), "ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="kshim_tests")
class Net(keras.Model):
    def __init__(self, units=3, **kw):
        super().__init__(**kw)
        self.units = units
        self.body = layers.Dense(units)
        self.scale = Scale(0.5)

    def call(self, x):
        return self.scale(self.body(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_registered_custom_layer_and_subclassed_model(backend, tmp_path):
    x = np.random.RandomState(0).rand(4, 6).astype("float32")
    inp = keras.Input((6,))
    m = keras.Model(inp, Scale(3.0)(layers.Dense(2)(inp)))
    m.save(tmp_path / "c.keras")
    m2 = keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    net = Net(4)
    net(x)
    net.compile("sgd", "mse")
    net.save(tmp_path / "n.keras")
    net2 = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(net2(x)), keras.ops.convert_to_numpy(net(x)), rtol=1e-6)


def test_lambda_needs_unsafe_mode(backend, tmp_path):
    inp = keras.Input((2,))
    m = keras.Model(inp, layers.Lambda(lambda t: t * 2)(inp))
    m.save(tmp_path / "l.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(tmp_path / "l.keras")
    m2 = keras.models.load_model(tmp_path / "l.keras", safe_mode=False)
    np.testing.assert_allclose(m2.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])


def test_overwrite_false(backend, tmp_path):
    m = _functional()
    m.save(tmp_path / "o.keras")
    with pytest.raises(FileExistsError):
        m.save(tmp_path / "o.keras", overwrite=False)
    assert os.path.exists(tmp_path / "o.keras")

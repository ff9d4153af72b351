"""``.keras`` files move both ways between kshim and real Keras 3 (JAX backend)."""
import os

import numpy as np
import pytest

import kshim

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    k = pytest.importorskip("keras")
    if k.backend.backend() != "jax":
        pytest.skip("oracle runs real Keras on JAX")
    return k


def _build(mod, kind):
    L = mod.layers
    if kind == "sequential":
        return mod.Sequential([mod.Input((6,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                               L.Dropout(0.2), L.Dense(3, activation="softmax")])
    if kind == "cnn":
        return mod.Sequential([mod.Input((8, 8, 1)), L.Conv2D(4, 3, padding="same", activation="relu"),
                               L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")])
    a = mod.Input((6,), name="a")
    b = mod.Input((2,), name="b")
    h = L.Dense(5, activation="tanh")(a)
    h = L.Concatenate()([h, b])
    return mod.Model([a, b], [L.Dense(3, activation="softmax", name="cls")(h), L.Dense(1, name="reg")(h)])


def _data(kind):
    r = np.random.RandomState(0)
    if kind == "cnn":
        return r.rand(12, 8, 8, 1).astype("float32"), r.randint(0, 3, 12)
    if kind == "functional":
        return [r.rand(12, 6).astype("float32"), r.rand(12, 2).astype("float32")], \
            [r.randint(0, 3, 12), r.rand(12, 1).astype("float32")]
    return r.rand(12, 6).astype("float32"), r.randint(0, 3, 12)


def _compile(mod, model, kind):
    if kind == "functional":
        model.compile(mod.optimizers.Adam(0.01), ["sparse_categorical_crossentropy", "mse"])
    else:
        model.compile(mod.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])


def _pred(m, x):
    out = m.predict(x, verbose=0)
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


@pytest.mark.parametrize("kind", ["sequential", "cnn", "functional"])
@pytest.mark.parametrize("with_optimizer", [True, False])
def test_keras_file_loads_in_kshim(backend, keras, tmp_path, kind, with_optimizer):
    x, y = _data(kind)
    km = _build(keras, kind)
    if with_optimizer:
        _compile(keras, km, kind)
        km.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = str(tmp_path / "k.keras")
    km.save(path)
    m = kshim.models.load_model(path)
    for a, b in zip(_pred(m, x), _pred(km, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if with_optimizer:
        assert int(m.optimizer.iterations.numpy()) == int(km.optimizer.iterations.numpy())
        kv = [np.asarray(v) for v in km.optimizer.variables]
        for a, b in zip([v.numpy() for v in m.optimizer.variables], kv):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        # One more step agrees too (same optimizer state; no dropout in a forward-only check).
        if kind != "sequential":
            xb, yb = (x[:4], y[:4]) if kind == "cnn" else ([t[:4] for t in x], [t[:4] for t in y])
            km.train_on_batch(xb, yb)
            m.train_on_batch(xb, yb)
            for a, b in zip(m.get_weights(), km.get_weights()):
                np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["sequential", "cnn", "functional"])
def test_kshim_file_loads_in_keras(backend, keras, tmp_path, kind):
    x, y = _data(kind)
    m = _build(kshim, kind)
    _compile(kshim, m, kind)
    m.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = str(tmp_path / "s.keras")
    m.save(path)
    km = keras.saving.load_model(path)
    for a, b in zip(_pred(km, x), _pred(m, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(km.optimizer.iterations.numpy()) == int(m.optimizer.iterations.numpy())
    for a, b in zip([np.asarray(v) for v in km.optimizer.variables], [v.numpy() for v in m.optimizer.variables]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_registered_subclassed_model_both_ways(backend, keras, tmp_path):
    @keras.saving.register_keras_serializable(package="interop")
    class KNet(keras.Model):
        def __init__(self, units=3, **kw):
            super().__init__(**kw)
            self.units = units
            self.hidden = keras.layers.Dense(units, activation="relu")
            self.head = keras.layers.Dense(2)

        def call(self, x):
            return self.head(self.hidden(x))

        def get_config(self):
            return {"units": self.units, "name": self.name}

    @kshim.saving.register_keras_serializable(package="interop", name="KNet")
    class SNet(kshim.Model):
        def __init__(self, units=3, **kw):
            super().__init__(**kw)
            self.units = units
            self.hidden = kshim.layers.Dense(units, activation="relu")
            self.head = kshim.layers.Dense(2)

        def call(self, x):
            return self.head(self.hidden(x))

        def get_config(self):
            return {"units": self.units, "name": self.name}

    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    km = KNet(6)
    km(x)
    km.save(str(tmp_path / "k.keras"))
    m = kshim.models.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(kshim.ops.convert_to_numpy(m(x)), np.asarray(km(x)), rtol=1e-5, atol=1e-6)
    m.save(str(tmp_path / "s.keras"))
    km2 = keras.saving.load_model(str(tmp_path / "s.keras"))
    np.testing.assert_allclose(np.asarray(km2(x)), np.asarray(km(x)), rtol=1e-5, atol=1e-6)

"""Every optimizer x {mse, categorical CE, sparse CE from logits, binary CE} trains exactly like real
Keras 3 (JAX backend) from the same initial weights and data (shuffle=False, one epoch)."""
import os

import numpy as np
import pytest

import kshim as keras
from kshim import layers

pytestmark = pytest.mark.oracle

OPTIMIZERS = {
    "SGD": dict(learning_rate=0.1, momentum=0.9, nesterov=True),
    "Adam": dict(learning_rate=0.01, amsgrad=True),
    "AdamW": dict(learning_rate=0.01),
    "RMSprop": dict(learning_rate=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(learning_rate=0.1),
    "Adadelta": dict(learning_rate=1.0),
    "Adamax": dict(learning_rate=0.01),
    "Nadam": dict(learning_rate=0.01),
    "Lion": dict(learning_rate=0.001),
}
LOSSES = {
    "mse": (dict(loss="mse"), 1, "regression"),
    "categorical_ce": (dict(loss="categorical_crossentropy"), 3, "onehot"),
    "sparse_ce_logits": (dict(loss_obj=("SparseCategoricalCrossentropy", {"from_logits": True})), 3, "sparse"),
    "binary_ce": (dict(loss="binary_crossentropy"), 1, "binary"),
}


def _data(kind, n=24):
    r = np.random.RandomState(3)
    x = r.randn(n, 5).astype("float32")
    if kind == "regression":
        y = r.randn(n, 1).astype("float32")
    elif kind == "onehot":
        y = np.eye(3, dtype="float32")[r.randint(0, 3, n)]
    elif kind == "sparse":
        y = r.randint(0, 3, n)
    else:
        y = r.randint(0, 2, (n, 1)).astype("float32")
    return x, y


def _build(mod, units, kind):
    act = {"onehot": "softmax", "binary": "sigmoid"}.get(kind)
    return mod.Sequential([mod.Input((5,)), mod.layers.Dense(6, activation="tanh"),
                           mod.layers.Dense(units, activation=act)])


def _loss(mod, spec):
    if "loss" in spec:
        return spec["loss"]
    cls, kw = spec["loss_obj"]
    return getattr(mod.losses, cls)(**kw)


@pytest.fixture(scope="module")
def real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras_ = pytest.importorskip("keras")
    if keras_.backend.backend() != "jax":
        pytest.skip("the oracle runs real Keras on its JAX backend")
    return keras_


_cache: dict = {}


def _keras_run(real_keras, opt, loss_name):
    key = (opt, loss_name)
    if key not in _cache:
        spec, units, kind = LOSSES[loss_name]
        x, y = _data(kind)
        m = _build(real_keras, units, kind)
        w0 = [np.random.RandomState(i).uniform(-0.5, 0.5, w.shape).astype("float32")
              for i, w in enumerate(m.get_weights())]
        m.set_weights(w0)
        m.compile(getattr(real_keras.optimizers, opt)(**OPTIMIZERS[opt]), _loss(real_keras, spec))
        h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        _cache[key] = (w0, h.history["loss"], m.get_weights())
    return _cache[key]


@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_training_matches_keras(backend, real_keras, opt, loss_name):
    w0, k_loss, k_weights = _keras_run(real_keras, opt, loss_name)
    spec, units, kind = LOSSES[loss_name]
    x, y = _data(kind)
    m = _build(keras, units, kind)
    m.set_weights(w0)
    m.compile(getattr(keras.optimizers, opt)(**OPTIMIZERS[opt]), _loss(keras, spec))
    h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # float32, 3 steps: differences come from summation order only (~1e-7 relative per op),
    # amplified by at most a few steps of the optimizer; 1e-5 relative covers it.
    np.testing.assert_allclose(h.history["loss"], k_loss, rtol=1e-5)
    for got, want in zip(m.get_weights(), k_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

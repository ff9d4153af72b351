"""The three ways to build a model, on every backend: Sequential, functional, subclassed."""
import numpy as np
import pytest

import kshim as keras
from kshim import layers, ops


def _x(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype("float32")


def test_sequential_forward_matches_numpy_reference(backend):
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    x = _x(5, 4)
    w1, b1, w2, b2 = m.get_weights()
    ref = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(ops.convert_to_numpy(m(x)), ref, rtol=1e-5, atol=1e-6)
    assert [w.shape for w in m.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]


def test_sequential_deferred_build_add_pop(backend):
    m = keras.Sequential()
    m.add(layers.Dense(3))
    assert not m.built
    out = m(_x(2, 5))
    assert m.built and tuple(ops.shape(out)) == (2, 3)
    m.add(layers.Dense(4))
    assert tuple(ops.shape(m(_x(2, 5)))) == (2, 4)
    popped = m.pop()
    assert popped.units == 4 and len(m.layers) == 1


def test_input_shape_kwarg_builds_immediately(backend):
    m = keras.Sequential([layers.Dense(3, input_shape=(7,)), layers.Dense(1)])
    assert m.built and m.count_params() == 7 * 3 + 3 + 3 + 1


def test_functional_multi_io_dicts_shared_layers_and_get_layer(backend):
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    ha, hb = shared(a), shared(b)
    merged = layers.Concatenate()([ha, hb])
    out1 = layers.Dense(2, name="o1")(merged)
    out2 = layers.Dense(1, name="o2")(ha)
    m = keras.Model({"a": a, "b": b}, {"o1": out1, "o2": out2})
    xa, xb = _x(2, 4), _x(2, 4, seed=1)
    res = m({"a": xa, "b": xb})
    assert set(res) == {"o1", "o2"}
    assert tuple(ops.shape(res["o1"])) == (2, 2) and tuple(ops.shape(res["o2"])) == (2, 1)
    assert m.get_layer("shared") is shared
    assert len(shared._inbound_nodes) == 2
    k = shared.get_weights()[0]
    np.testing.assert_allclose(ops.convert_to_numpy(ops.concatenate([shared(xa), shared(xb)], -1)),
                               np.concatenate([xa @ k, xb @ k], -1), rtol=1e-5, atol=1e-6)


def test_nested_models_as_layers(backend):
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3)], name="inner")
    x = keras.Input((4,))
    y = layers.Dense(2)(inner(x))
    m = keras.Model(x, y)
    assert len(m.weights) == 4
    assert tuple(ops.shape(m(_x(3, 4)))) == (3, 2)


class _Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(5, activation="relu")
        self.blocks = [layers.Dense(5), layers.Dense(2)]

    def call(self, x, training=False):
        h = self.d1(x)
        for blk in self.blocks:
            h = blk(h)
        return h


def test_subclassed_model_tracks_layers_and_builds_on_call(backend):
    m = _Sub()
    assert not m.built
    out = m(_x(3, 4))
    assert tuple(ops.shape(out)) == (3, 2)
    assert len(m.weights) == 6 and len(m.layers) == 3


def test_freezing(backend):
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    m.layers[0].trainable = False
    assert len(m.trainable_weights) == 2 and len(m.non_trainable_weights) == 2
    m.trainable = False
    assert m.trainable_weights == [] and len(m.non_trainable_weights) == 4


def test_auto_names_are_unique():
    keras.utils.clear_session()
    d0, d1, d2 = layers.Dense(1), layers.Dense(1), layers.Dense(1)
    assert (d0.name, d1.name, d2.name) == ("dense", "dense_1", "dense_2")


def test_ops_on_symbolic_tensors_in_functional_model(backend):
    x = keras.Input((3,))
    y = ops.multiply(ops.relu(x), 2.0)
    m = keras.Model(x, y)
    v = np.array([[-1.0, 0.5, 2.0]], "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(m(v)), [[0.0, 1.0, 4.0]])


def test_training_flag_propagates_to_nested_layers(backend):
    seen = []

    class Probe(layers.Layer):
        def call(self, x, training=False):
            seen.append(training)
            return x

    inner = keras.Sequential([keras.Input((2,)), Probe()])
    outer = keras.Sequential([keras.Input((2,)), inner])
    seen.clear()
    outer(_x(1, 2), training=True)
    outer(_x(1, 2))
    assert seen == [True, False]


def test_add_loss_and_activity_regularizer(backend):
    d = layers.Dense(2, activity_regularizer="l2", kernel_regularizer=keras.regularizers.L1(0.5))
    x = _x(3, 4)
    y = d(x)
    losses = [float(ops.convert_to_numpy(l)) for l in d.losses]
    assert len(losses) == 2
    y_np = ops.convert_to_numpy(y)
    assert np.isclose(losses[0], 0.01 * np.sum(y_np ** 2) / 3, rtol=1e-5)  # Keras divides by the batch size
    assert np.isclose(losses[1], 0.5 * np.abs(d.get_weights()[0]).sum(), rtol=1e-5)


def test_same_seed_gives_identical_initial_weights_on_every_backend():
    from kshim import backends
    got = {}
    for name in ("numpy", "jax", "torch"):
        if not backends.is_available(name):
            continue
        with keras.backend.use(name):
            keras.utils.set_random_seed(42)
            m = keras.Sequential([keras.Input((6,)), layers.Dense(5),
                                  layers.Dense(3, kernel_initializer="he_normal")])
            got[name] = m.get_weights()
    ref = got.pop("numpy")
    for other in got.values():
        for a, b in zip(ref, other):
            np.testing.assert_array_equal(a, b)


def test_summary_matches_keras_layout(backend, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    keras.utils.clear_session()
    m = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dropout(0.1),
                          layers.Dense(3)], name="sequential")
    m.summary()
    out = capsys.readouterr().out
    expected = """Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 8)              │            40 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 8)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 3)              │            27 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 67 (268.00 B)
 Trainable params: 67 (268.00 B)
 Non-trainable params: 0 (0.00 B)
"""
    assert out == expected
    assert "Total params: 67 (268.00 B)" in out


def test_summary_functional_connected_to(backend, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    x = layers.Concatenate(name="cat")([a, b])
    y = layers.Dense(2, name="out")(x)
    z = layers.BatchNormalization(name="bn")(x)
    keras.Model([a, b], [y, z]).summary()
    out = capsys.readouterr().out
    assert "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃" in out
    assert "│ cat (Concatenate)   │ (None, 6)         │          0 │ a[0][0], b[0][0]  │" in out
    assert " Total params: 38 (152.00 B)" in out and " Non-trainable params: 12 (48.00 B)" in out


def test_mixed_precision_policy_computes_in_float16_with_float32_variables(backend):
    d = layers.Dense(3, dtype="mixed_float16")
    y = d(_x(2, 4))
    assert ops.dtype(y) == "float16" and d.kernel.dtype == "float32"
    k, b = d.get_weights()
    np.testing.assert_allclose(ops.convert_to_numpy(y).astype("float32"), _x(2, 4) @ k + b, rtol=2e-3, atol=2e-3)


def test_global_mixed_precision_policy_and_fit(backend):
    """``keras.mixed_precision.set_global_policy`` (and ``keras.config.set_dtype_policy``) apply to
    layers created afterwards; such a model trains (jitted/traced where the backend does) and the
    policy is restored."""
    import kshim

    assert kshim.mixed_precision.global_policy().name == "float32"
    kshim.mixed_precision.set_global_policy("mixed_float16")
    try:
        assert kshim.config.dtype_policy().name == "mixed_float16"
        m = kshim.Sequential([kshim.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
        assert m.layers[0].kernel.dtype == "float32" and m.layers[0].compute_dtype == "float16"
        m.compile("adam", "mse")
        r = np.random.default_rng(0)
        x, y = r.standard_normal((32, 4)).astype("float32"), r.standard_normal((32, 1)).astype("float32")
        h = m.fit(x, y, batch_size=4, epochs=2, verbose=0)
        assert all(np.isfinite(h.history["loss"])) and m.predict(x, verbose=0).shape == (32, 1)
    finally:
        kshim.config.set_dtype_policy(None)          # back to the default, which follows floatx
    assert isinstance(kshim.mixed_precision.Policy("mixed_bfloat16"), kshim.mixed_precision.DTypePolicy)
    kshim.config.set_floatx("float64")
    try:
        assert kshim.mixed_precision.global_policy().name == "float64"
    finally:
        kshim.config.set_floatx("float32")

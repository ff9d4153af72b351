"""Functional subclassing (issue 13, item 3) and Keras' input standardisation (item 4)."""
import os

import numpy as np
import pytest

import kshim as keras
from kshim import layers
from kshim.backends._native_module import kshim_class


@keras.saving.register_keras_serializable("test_fs")
class Built(keras.Model):
    """`super().__init__(inputs=..., outputs=...)` inside the subclass's own __init__."""

    def __init__(self, units=2, **kwargs):
        inp = keras.Input((3,), name="x")
        out = layers.Dense(units, name="head")(layers.Dense(4, activation="relu")(inp))
        super().__init__(inputs=inp, outputs=out, **kwargs)
        self.units = units

    def get_config(self):
        return {"units": self.units, "name": self.name}


@keras.saving.register_keras_serializable("test_fs")
class Plain(keras.Model):
    """No __init__ and no call: `Plain(inputs=..., outputs=...)`."""

    def describe(self):
        return f"{len(self.layers)} layers"


def test_subclass_calling_functional_init(backend, tmp_path):
    keras.utils.set_random_seed(0)
    m = Built(units=3)
    assert isinstance(m, keras.Model) and m.units == 3
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    y = m.predict(x, verbose=0)
    assert y.shape == (5, 3)
    assert [l.name for l in m.layers][-1] == "head"
    m.compile("sgd", "mse")
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "built.keras"
    m.save(path)
    m2 = keras.models.load_model(path)
    # the user's class (on torch type(m2) is its torch.nn.Module subclass, which kshim_class maps back)
    assert kshim_class(m2) is Built and m2.units == 3
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_subclass_without_call_given_inputs_and_outputs(backend, tmp_path):
    inp = keras.Input((4,))
    m = Plain(inp, layers.Dense(2)(inp), name="plain")
    assert m.describe() == "2 layers" and m.name == "plain"
    x = np.ones((2, 4), "float32")
    cfg = m.get_config()
    assert {"layers", "input_layers", "output_layers"} <= set(cfg)  # the functional layout
    m.save(tmp_path / "p.keras")
    m2 = keras.models.load_model(tmp_path / "p.keras")
    assert kshim_class(m2) is Plain
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    m3 = Plain(inputs=inp, outputs=layers.Dense(1)(inp))  # keyword form
    assert m3.predict(x, verbose=0).shape == (2, 1)


def test_plain_functional_config_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")

    class KPlain(real.Model):
        pass

    ki = real.Input((4,))
    kcfg = KPlain(ki, real.layers.Dense(2)(ki)).get_config()
    si = keras.Input((4,))
    scfg = Plain(si, layers.Dense(2)(si)).get_config()
    assert sorted(scfg) == sorted(kcfg)


@pytest.mark.parametrize("input_shape,data_shape,expected", [
    ((1,), (6,), (6, 2)),          # missing trailing 1 is added
    ((), (6, 1), (6, 2)),          # extra trailing 1 is squeezed (Input(shape=()) then Dense sees rank 1)
])
def test_trailing_size_one_dim_is_standardised(backend, input_shape, data_shape, expected):
    inp = keras.Input(input_shape)
    x = inp if input_shape else layers.Reshape((1,))(inp)
    m = keras.Model(inp, layers.Dense(2)(x))
    data = np.arange(np.prod(data_shape), dtype="float32").reshape(data_shape)
    assert m.predict(data, verbose=0).shape == expected
    m.compile("sgd", "mse")
    m.fit(data, np.zeros(expected, "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="incompatible"):
        m.predict(np.ones((6, 3, 3), "float32"), verbose=0)


def test_keras_agrees_on_trailing_dim():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    ki = real.Input((1,))
    km = real.Model(ki, real.layers.Dense(2)(ki))
    assert km.predict(np.ones((6,), "float32"), verbose=0).shape == (6, 2)


def test_dict_inputs_matched_by_input_name(backend):
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    m = keras.Model([a, b], layers.Concatenate()([a, b]))
    xa, xb = np.ones((4, 2), "float32"), np.full((4, 3), 2.0, "float32")
    np.testing.assert_array_equal(m.predict({"b": xb, "a": xa}, verbose=0), m.predict([xa, xb], verbose=0))

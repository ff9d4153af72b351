"""Clear errors for the mistakes in common broken Keras snippets."""
import numpy as np
import pytest

import kshim as keras
from kshim import backends, layers


def test_add_on_functional_model(backend):
    x = keras.Input((3,))
    m = keras.Model(x, layers.Dense(1)(x))
    with pytest.raises(TypeError, match="Sequential"):
        m.add(layers.Dense(2))


def test_layer_passed_where_tensor_expected(backend):
    with pytest.raises(TypeError, match=r"Conv2D.*Call the layer on a tensor"):
        keras.Model(inputs=layers.Conv2D(3, 3), outputs=layers.Dense(1))


def test_wrong_input_size_names_layer_and_shapes(backend):
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="first")])
    with pytest.raises(ValueError, match=r"first.*\(None, 4\).*\(3, 5\)"):
        m(np.zeros((3, 5), "float32"))
    d = layers.Dense(2, name="lonely")
    d(np.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match=r"lonely.*expected last dimension 4.*\(1, 6\)"):
        d(np.zeros((1, 6), "float32"))


def test_functional_wrong_input_shape(backend):
    x = keras.Input((4,), name="features")
    m = keras.Model(x, layers.Dense(1)(x))
    with pytest.raises(ValueError, match=r"features.*\(None, 4\).*\(2, 4, 3\)"):
        m(np.zeros((2, 4, 3), "float32"))  # (2, 4, 1) is accepted (trailing size-1 dim), as in Keras


def test_set_weights_wrong_count_and_shape(backend):
    d = layers.Dense(2, name="dd")
    d.build((None, 3))
    with pytest.raises(ValueError, match=r"dd.*expects 2 weight arrays.*received 1"):
        d.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dd.*\(3, 2\).*\(4, 2\)"):
        d.set_weights([np.zeros((4, 2)), np.zeros(2)])


@pytest.mark.skipif(not (backends.is_available("jax") and backends.is_available("torch")),
                    reason="needs two array backends")
def test_layer_used_under_two_backends():
    with keras.backend.use("jax"):
        d = layers.Dense(2)
        d(np.zeros((1, 3), "float32"))
    with keras.backend.use("torch"):
        with pytest.raises(TypeError, match=r"'jax' backend.*'torch'"):
            d(np.zeros((1, 3), "float32"))


@pytest.mark.skipif(not backends.is_available("jax"), reason="needs jax")
def test_foreign_tensor_in_op():
    import jax.numpy as jnp
    with keras.backend.use("numpy"):
        with pytest.raises(TypeError, match="jax"):
            keras.ops.add(jnp.ones(3), np.ones(3))


def test_fit_before_compile(backend):
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)


def test_mismatched_lengths(backend):
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"x sizes: \[4\].*y sizes: \[3\]"):
        m.fit(np.zeros((4, 2)), np.zeros((3, 1)), verbose=0)


def test_unknown_strings_list_valid_names(backend):
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="adam"):
        m.compile("adamm", "mse")
    with pytest.raises(ValueError, match="mean_squared_error"):
        m.compile("sgd", "mean_squared_errror")
    with pytest.raises(ValueError, match=r"Unknown activation 'relux'.*relu"):
        layers.Dense(2, activation="relux")


def test_loss_returning_wrong_shape(backend):
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    m.compile("sgd", loss=keras.losses.MeanSquaredError(reduction=None))
    with pytest.raises(ValueError, match="scalar"):
        m.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)

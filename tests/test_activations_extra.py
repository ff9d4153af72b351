"""The ``sparse_sigmoid``, ``sparsemax`` and ``threshold`` activations against real Keras 3
(JAX backend) on every kshim backend: values, positional arguments, lookup by name,
serialization, and use inside a layer.

``sparsemax`` follows the paper where Keras 3.15 does not (see ``kshim.ops.sparsemax``): it is
compared with Keras on inputs whose support is a single entry (where both are right) and checked
against the simplex-projection definition elsewhere.

Tolerances: float32 rtol 1e-5 / atol 1e-6 (the same elementwise formulas).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import kshim
from kshim import activations, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
X = np.linspace(-3, 3, 25).astype("float32").reshape(5, 5)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_sparse_sigmoid_matches_keras(backend):
    np.testing.assert_allclose(_np(activations.sparse_sigmoid(X)), np.asarray(keras.activations.sparse_sigmoid(X)),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("args", [(0.5, -1.0), (-1.0, 0.0), (2.0, 7.5)])
def test_threshold_matches_keras_positionally(backend, args):
    np.testing.assert_allclose(_np(activations.threshold(X, *args)), np.asarray(keras.activations.threshold(X, *args)),
                               rtol=RTOL, atol=ATOL)


def test_sparsemax_matches_keras_where_the_support_is_one_entry(backend):
    x = np.array([[-1.0, 0.0, 1.0], [4.0, 1.0, -0.5], [0.0, 3.0, -2.0]], "float32")
    for axis in (-1, 0):
        want = np.asarray(keras.activations.sparsemax(x, axis))
        np.testing.assert_allclose(_np(activations.sparsemax(x, axis)), want, rtol=RTOL, atol=ATOL)


def test_sparsemax_is_the_simplex_projection(backend):
    x = np.array([[1.0, 0.5, 0.0], [0.3, 0.2, 0.1]], "float32")
    y = _np(activations.sparsemax(x))
    np.testing.assert_allclose(y, [[0.75, 0.25, 0.0], [0.43333334, 0.33333334, 0.23333333]], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=RTOL)
    # Keras 3.15 gives [0.25, 0, 0] for the first row: its tau sums the cumulative sums
    assert not np.allclose(np.asarray(keras.activations.sparsemax(x))[0], y[0])


@pytest.mark.parametrize("name", ["sparse_sigmoid", "sparsemax", "threshold"])
def test_lookup_and_serialization_by_name(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == keras.activations.serialize(getattr(keras.activations, name)) == name
    assert activations.deserialize(name) is fn


@pytest.mark.parametrize("name", ["sparse_sigmoid", "sparsemax"])
def test_layer_activation_by_name_round_trips(backend, name):
    layer = kshim.layers.Dense(3, activation=name, kernel_initializer="ones", bias_initializer="zeros")
    y = _np(layer(X[:2, :4]))
    assert layer.get_config()["activation"] == name
    clone = kshim.layers.Dense.from_config(layer.get_config())
    assert clone.activation is getattr(activations, name)
    want = _np(getattr(ops, name)(X[:2, :4].sum(-1, keepdims=True).repeat(3, -1)))
    np.testing.assert_allclose(y, want, rtol=RTOL, atol=ATOL)

"""The optional fused ``layer_norm`` primitive (torch: ``F.layer_norm``, what Keras' torch backend calls;
NumPy and JAX: none) behind ``ops.layer_normalization`` and the ``LayerNormalization`` layer:

* values and gradients equal the composite (mean/variance, rsqrt, scale and shift) and a float64 NumPy
  reference, on every backend;
* only trailing axes take the kernel. Keras' torch backend takes it for any run of consecutive axes,
  which normalizes the trailing axes instead of the requested ones; kshim computes the requested ones.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import kshim
from kshim import ops

N = ops.convert_to_numpy
RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4, 6)) * 2.0 + 0.5
GAMMA = RNG.standard_normal(6)
BETA = RNG.standard_normal(6)
EPS = 1e-3


def ref_layer_norm(x, gamma, beta, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


@contextlib.contextmanager
def composite_only(backend):
    backend.layer_norm = None
    try:
        yield
    finally:
        del backend.layer_norm


@contextlib.contextmanager
def counting(backend):
    calls = []
    orig = backend.layer_norm
    if orig is not None:
        backend.layer_norm = lambda *a: calls.append(a[3]) or orig(*a)
    try:
        yield calls
    finally:
        if orig is not None:
            del backend.layer_norm


def _value_and_grads(backend, dtype):
    x, g, b = (ops.convert_to_tensor(v.astype(dtype)) for v in (X, GAMMA, BETA))
    w = ops.convert_to_tensor(np.sin(np.arange(X.size)).reshape(X.shape).astype(dtype))
    y = N(ops.layer_normalization(x, g, b, axis=-1, epsilon=EPS))

    def f(x, g, b):  # a different weight per element, so every gradient entry is checked
        return ops.sum(ops.layer_normalization(x, g, b, axis=-1, epsilon=EPS) * w)

    _, grads = backend.value_and_grad(f, argnums=(0, 1, 2))(x, g, b)
    return y, [N(v) for v in grads]


def test_hook_presence(backend):
    assert (backend.layer_norm is None) == (backend.name != "torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_equals_composite_and_reference(backend, dtype):
    """float64: a reduction over 6 terms and a few ops, 1e-12 is >1000 ulp of margin; float32: the same
    arithmetic at eps 1.2e-7 on O(1)-O(10) values, 2e-5 relative."""
    tol = 1e-12 if dtype == "float64" else 2e-5
    with counting(backend) as calls:
        y, grads = _value_and_grads(backend, dtype)
    assert len(calls) == (backend.layer_norm is not None) * 2  # the value, and the traced gradient pass
    with composite_only(backend):
        yc, gc = _value_and_grads(backend, dtype)
    ref = ref_layer_norm(X, GAMMA, BETA, (-1,), EPS)
    np.testing.assert_allclose(y, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(y, yc, rtol=tol, atol=tol)
    for a, c in zip(grads, gc):
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol * 10)


def test_finite_differences_of_the_fused_gradient(backend):
    """Central differences in float64 (step 1e-6: truncation ~1e-12, rounding ~1e-10)."""
    _, (gx, _, _) = _value_and_grads(backend, "float64")
    w = np.sin(np.arange(X.size)).reshape(X.shape)

    def f(x):
        return float((ref_layer_norm(x, GAMMA, BETA, (-1,), EPS) * w).sum())

    h = 1e-6
    for idx in [(0, 0, 0), (1, 2, 3), (2, 3, 5)]:
        e = np.zeros_like(X)
        e[idx] = h
        np.testing.assert_allclose(gx[idx], (f(X + e) - f(X - e)) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("axis", [-1, [1, 2], 1, [0, 1]])
def test_only_trailing_axes_take_the_kernel(backend, axis):
    x = X[:, :4, :4]  # axes 1 and 2 the same size: normalizing the wrong one would not raise
    axes = tuple(np.atleast_1d(axis))
    shape = tuple(x.shape[a] for a in axes)
    g = RNG.standard_normal(shape)
    bshape = [x.shape[i] if i in [a % 3 for a in axes] else 1 for i in range(3)]
    with counting(backend) as calls:
        y = N(ops.layer_normalization(ops.convert_to_tensor(x), g.reshape(bshape), None, axis=axis, epsilon=EPS))
    trailing = sorted(a % 3 for a in axes) == list(range(3 - len(axes), 3))
    assert len(calls) == (backend.layer_norm is not None and trailing)
    np.testing.assert_allclose(y, ref_layer_norm(x, g.reshape(bshape), 0.0, axes, EPS), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("axis", [-1, [1, 2], 1])
def test_layer_takes_the_kernel_on_trailing_axes(backend, axis):
    layer = kshim.layers.LayerNormalization(axis=axis, epsilon=EPS, dtype="float64")
    x = X[:, :4, :4]
    layer.build(x.shape)
    g = RNG.standard_normal(tuple(layer.gamma.shape))
    layer.gamma.assign(g)
    layer.beta.assign(np.full(tuple(layer.beta.shape), 0.25))
    with counting(backend) as calls:
        y = N(layer(ops.convert_to_tensor(x)))
    axes = tuple(np.atleast_1d(axis))
    trailing = sorted(a % 3 for a in axes) == list(range(3 - len(axes), 3))
    assert len(calls) == (backend.layer_norm is not None and trailing)
    bshape = [x.shape[i] if i in [a % 3 for a in axes] else 1 for i in range(3)]
    ref = ref_layer_norm(x, g.reshape(bshape), 0.25, axes, EPS)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_half_precision_computes_in_float32(backend):
    x = ops.convert_to_tensor(X.astype("float16"))
    y = ops.layer_normalization(x, axis=-1, epsilon=EPS)
    assert ops.dtype(y) == "float16"
    ref = ref_layer_norm(X.astype("float16").astype("float64"), 1.0, 0.0, (-1,), EPS)
    np.testing.assert_allclose(N(y).astype("float64"), ref, rtol=2e-3, atol=2e-3)  # float16 output: 1 ulp ~1e-3

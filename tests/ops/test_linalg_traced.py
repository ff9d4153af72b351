"""Linear-algebra ops on symbolic inputs (a functional model) and under JAX tracing.

A functional model infers output shapes by running ops on zero "probe" arrays, which are singular
and not positive definite: the ops must still record the right shapes. Under ``jax.jit`` values
are unknown, so the failures NumPy/torch (and eager JAX) raise as ValueError come back as NaN,
as in Keras on JAX.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends

RNG = np.random.default_rng(3)


def _spd(batch, n):
    a = RNG.standard_normal((batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_functional_model_of_linalg_ops(backend):
    a_in = kshim.Input((3, 3))
    b_in = kshim.Input((3, 2))
    chol = O.cholesky(a_in)
    x = O.solve(a_in, b_in)
    inv = O.inv(a_in)
    w, v = O.eigh(a_in)
    assert tuple(chol.shape) == (None, 3, 3) and tuple(x.shape) == (None, 3, 2)
    assert tuple(w.shape) == (None, 3) and tuple(v.shape) == (None, 3, 3)
    model = kshim.Model([a_in, b_in], [chol, x, inv, w])
    a = _spd(4, 3).astype("float32")
    bb = RNG.standard_normal((4, 3, 2)).astype("float32")
    got = [np.asarray(kshim.ops.convert_to_numpy(o)) for o in model([a, bb])]
    a64 = a.astype(np.float64)
    want = [np.linalg.cholesky(a64), np.linalg.solve(a64, bb), np.linalg.inv(a64), np.linalg.eigvalsh(a64)]
    for g, wv in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, wv, rtol=1e-4, atol=1e-5)  # float32, cond(a) ~ 10


def _jax():
    if not backends.is_available("jax"):
        pytest.skip("jax is not installed")
    return backends.get("jax")


def test_jax_jit_failures_are_nan_not_errors():
    b = _jax()
    with kshim.backend.use(b):
        chol = b.jit(lambda t: O.cholesky(t))(-np.eye(3))
        assert np.isnan(np.asarray(b.to_numpy(chol))).any()
        w, v = b.jit(lambda t: O.eig(t))(np.array([[0.0, 1.0], [-1.0, 0.0]]))
        assert np.isnan(np.asarray(b.to_numpy(w))).all()
        x = b.jit(lambda t: O.solve(t, np.ones(3)))(np.ones((3, 3)))
        assert not np.isfinite(np.asarray(b.to_numpy(x))).all()


def test_jax_jit_matches_eager():
    b = _jax()
    a = _spd(2, 3)
    with kshim.backend.use(b):
        for fn in (O.cholesky, O.inv, O.det, lambda t: O.eig(t)[0], lambda t: O.lu_factor(t)[0],
                   lambda t: O.pinv(t), lambda t: O.norm(t, ord=2, axis=(1, 2))):
            eager = np.asarray(b.to_numpy(fn(a)))
            jitted = np.asarray(b.to_numpy(b.jit(fn)(a)))
            np.testing.assert_allclose(jitted, eager, rtol=1e-12, atol=1e-12)


def test_jax_jit_of_a_gradient_through_full_svd():
    """The full SVD of a non-square matrix is differentiable under jit (JAX alone refuses it)."""
    b = _jax()
    x = RNG.standard_normal((4, 2))
    with kshim.backend.use(b):
        step = b.jit(b.value_and_grad(lambda t: O.sum(O.svd(t)[1])))
        _, g = step(x)
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    np.testing.assert_allclose(np.asarray(b.to_numpy(g)), u @ vh, rtol=1e-10, atol=1e-12)

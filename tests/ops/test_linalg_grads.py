"""Gradients of the linear-algebra ops: NumPy tape vs central finite differences (float64), and
numpy vs jax vs torch agreement on the same losses.

Each case is ``(op, input builder)``; the loss is ``sum(W * op(x))`` for a fixed random ``W``
(several outputs: one ``W`` each), so cotangents are generic. Outputs with a sign freedom
(eigen/singular vectors, QR's Q) enter sign-invariantly (squared, or as ``u @ vh``), so every
backend's LAPACK choice gives the same loss. Inputs are well conditioned with distinct
eigenvalues/singular values, where the standard formulas hold.

Tolerances: finite differences with eps=1e-6 have truncation error ~eps² · |f'''| ≈ 1e-12 and
rounding ~1e-16 / eps = 1e-10 relative to the loss scale, so rtol=1e-6, atol=1e-7 · scale.
Backend agreement (float64): each backend's gradient differs from exact by ~cond · eps ≈ 1e-14;
rtol=1e-9, atol=1e-10 · scale leaves room for cond ~ 1e3 intermediates (inverses of Vᵀ in eig).
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends

RNG = np.random.default_rng(20)


def _mat(n, batch=()):
    return RNG.standard_normal(batch + (n, n)) + n * np.eye(n)


def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)


def _real_spectrum(n):
    p = np.eye(n) + 0.3 * RNG.standard_normal((n, n))
    return p @ (np.arange(1.0, n + 1)[:, None] * np.linalg.inv(p))


_B = RNG.standard_normal((2, 3, 2))
_A = _mat(3, (2,))
_LS = RNG.standard_normal((3, 2)) + 1

# name -> (function of the input tensor, input array)
CASES = {
    "cholesky": (lambda x: O.cholesky(x), _spd(3, (2,))),
    "cholesky-upper": (lambda x: O.cholesky(x, upper=True), _spd(3)),
    "cholesky-nonsymmetric-input": (lambda x: O.cholesky(x), _spd(3) + np.triu(RNG.standard_normal((3, 3)), 1) * 0.1),
    "cholesky_inverse": (lambda x: O.cholesky_inverse(x), np.linalg.cholesky(_spd(3, (2,)))),
    "cholesky_inverse-upper": (lambda x: O.cholesky_inverse(x, upper=True), np.linalg.cholesky(_spd(3)).T),
    "inv": (lambda x: O.inv(x), _mat(3, (2,))),
    "solve-a": (lambda x: O.solve(x, _B), _mat(3, (2,))),
    "solve-b": (lambda x: O.solve(_A, x), _B),
    "solve-vector-a": (lambda x: O.solve(x, _B[0, :, 0]), _mat(3)),
    "solve_triangular-a-lower": (lambda x: O.solve_triangular(x, _B, lower=True), _mat(3, (2,))),
    "solve_triangular-a-upper": (lambda x: O.solve_triangular(x, _B[0]), _mat(3)),
    "solve_triangular-b": (lambda x: O.solve_triangular(_A[0], x), _B[0]),
    "qr-tall": (lambda x: (O.square(O.qr(x)[0]), O.square(O.qr(x)[1])), RNG.standard_normal((4, 3))),
    "qr-square-batch": (lambda x: O.matmul(O.qr(x)[0], O.qr(x)[1] * 0.5), RNG.standard_normal((2, 3, 3))),
    "qr-wide-r": (lambda x: O.square(O.qr(x)[1]), RNG.standard_normal((3, 5))),
    "qr-complete-r": (lambda x: O.square(O.qr(x, mode="complete")[1]), RNG.standard_normal((4, 3))),
    "svd-values": (lambda x: O.svd(x, compute_uv=False), RNG.standard_normal((2, 4, 3))),
    "svd-reduced": (lambda x: (O.square(O.svd(x, full_matrices=False)[0]), O.svd(x, full_matrices=False)[1],
                               O.square(O.svd(x, full_matrices=False)[2])), RNG.standard_normal((4, 3))),
    "svd-u-vh": (lambda x: O.matmul(O.svd(x, full_matrices=False)[0], O.svd(x, full_matrices=False)[2]),
                 RNG.standard_normal((3, 5))),
    "eigh": (lambda x: (O.eigh(x)[0], O.square(O.eigh(x)[1])), _spd(4, (2,))),
    "eig": (lambda x: (O.eig(x)[0], O.square(O.eig(x)[1])), _real_spectrum(4)),
    "det": (lambda x: O.det(x), _mat(3, (2,))),
    "slogdet": (lambda x: O.slogdet(x)[1], RNG.standard_normal((2, 3, 3))),
    "logdet": (lambda x: O.logdet(x), _spd(3)),
    "lu_factor-square": (lambda x: O.lu_factor(x)[0], RNG.standard_normal((2, 3, 3))),
    "lu_factor-tall": (lambda x: O.lu_factor(x)[0], RNG.standard_normal((5, 3))),
    "lu_factor-wide": (lambda x: O.lu_factor(x)[0], RNG.standard_normal((3, 5))),
    "pinv": (lambda x: O.pinv(x), RNG.standard_normal((2, 4, 3))),
    "lstsq-a": (lambda x: O.lstsq(x, _B[0]), _LS),
    "lstsq-b": (lambda x: O.lstsq(_LS, x), _B[0]),
    "norm-2": (lambda x: O.norm(x, ord=2, axis=(1, 2)), RNG.standard_normal((2, 3, 4))),
    "norm--2": (lambda x: O.norm(x, ord=-2), RNG.standard_normal((3, 4))),
    "norm-nuc": (lambda x: O.norm(x, ord="nuc", axis=(0, 1), keepdims=True), RNG.standard_normal((3, 4))),
    "norm-1": (lambda x: O.norm(x, ord=1, axis=(0, 1)), RNG.standard_normal((3, 4))),
    "norm-inf": (lambda x: O.norm(x, ord=np.inf), RNG.standard_normal((3, 4))),
    "norm-fro": (lambda x: O.norm(x, ord="fro"), RNG.standard_normal((3, 4))),
    "norm-vector-p": (lambda x: O.norm(x, ord=3, axis=-1), RNG.standard_normal((3, 4))),
}
_W: dict = {}


def _loss_of(name, b):
    fn, _ = CASES[name]

    def loss(x):
        out = fn(x)
        outs = out if isinstance(out, tuple) else (out,)
        tot = None
        for i, o in enumerate(outs):
            key = (name, i)
            if key not in _W:
                seed = zlib.crc32(f"{name}/{i}".encode())
                _W[key] = np.random.default_rng(seed).standard_normal(tuple(b.shape(o)))
            s = O.sum(O.multiply(o, b.convert_to_tensor(_W[key], "float64")))
            tot = s if tot is None else O.add(tot, s)
        return tot
    return loss


def _grad(name, backend_name):
    b = backends.get(backend_name)
    with kshim.backend.use(b):
        x = b.convert_to_tensor(np.asarray(CASES[name][1], np.float64), "float64")
        val, g = b.value_and_grad(_loss_of(name, b))(x)
        return float(np.asarray(b.to_numpy(val))), np.asarray(b.to_numpy(g))


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_gradient_matches_finite_differences(name):
    b = backends.get("numpy")
    val, g = _grad(name, "numpy")
    x0 = np.asarray(CASES[name][1], np.float64)
    with kshim.backend.use(b):
        loss = _loss_of(name, b)
        f = lambda z: float(np.asarray(loss(z)))  # noqa: E731
        assert np.isclose(f(x0), val)
        eps = 1e-6
        fd = np.zeros_like(x0)
        for j in range(x0.size):
            xp, xm = x0.copy(), x0.copy()
            xp.flat[j] += eps
            xm.flat[j] -= eps
            fd.flat[j] = (f(xp) - f(xm)) / (2 * eps)
    assert g.shape == x0.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7 * max(1.0, abs(val)), err_msg=name)


@pytest.mark.parametrize("other", ["jax", "torch"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_agree_across_backends(name, other):
    if not backends.is_available(other):
        pytest.skip(f"{other} is not installed")
    v0, g0 = _grad(name, "numpy")
    v1, g1 = _grad(name, other)
    scale = max(1.0, abs(v0))
    assert abs(v0 - v1) <= 1e-10 * scale, (v0, v1)
    np.testing.assert_allclose(g1, g0, rtol=1e-9, atol=1e-10 * scale, err_msg=f"{name}: {other} vs numpy")


def test_float32_gradients_stay_float32_and_agree():
    """float32 end to end on every backend (rtol 1e-4: a gradient chains ~3 LAPACK calls, each
    with cond · eps32 ≈ 1e-6 relative error)."""
    x = _spd(3, (2,)).astype(np.float32)
    grads = {}
    for name in ("numpy", "jax", "torch"):
        if not backends.is_available(name):
            continue
        b = backends.get(name)
        with kshim.backend.use(b):
            def loss(t):
                w, v = O.eigh(t)
                weighted = O.multiply(O.square(v), O.expand_dims(w, -2))
                return O.add(O.sum(O.multiply(O.cholesky(t), 0.5)), O.sum(weighted))
            _, g = b.value_and_grad(loss)(b.convert_to_tensor(x, "float32"))
            g = np.asarray(b.to_numpy(g))
        assert g.dtype == np.float32
        grads[name] = g
    for name, g in grads.items():
        np.testing.assert_allclose(g, grads["numpy"], rtol=1e-4, atol=1e-5, err_msg=name)


_TALL = RNG.standard_normal((4, 2))
_W4 = RNG.standard_normal((4, 4))
# (full-form loss, the same loss on the unique columns only); x is 4x2 (wide: its transpose)
_NON_UNIQUE = {
    "qr-complete-q": (lambda x: O.sum(O.multiply(O.square(O.qr(x, mode="complete")[0]), _W4)),
                      lambda x: O.sum(O.multiply(O.square(O.qr(x)[0]), _W4[:, :2]))),
    "svd-full-u": (lambda x: O.sum(O.multiply(O.square(O.svd(x)[0]), _W4)),
                   lambda x: O.sum(O.multiply(O.square(O.svd(x, full_matrices=False)[0]), _W4[:, :2]))),
    "svd-full-vh-wide": (lambda x: O.sum(O.multiply(O.square(O.svd(O.transpose(x))[2]), _W4)),
                         lambda x: O.sum(O.multiply(O.square(O.svd(O.transpose(x), full_matrices=False)[2]),
                                                    _W4[:2, :]))),
}


@pytest.mark.parametrize("name", sorted(_NON_UNIQUE))
def test_non_unique_columns_are_constants_on_every_backend(name):
    """The extra columns of a complete QR / full SVD of a 4x2 matrix are any orthonormal
    completion, so no gradient exists for them: every backend treats them as constants, i.e. the
    gradient equals that of the same loss restricted to the unique columns (whose gradient the
    finite-difference tests above verify)."""
    full, unique = _NON_UNIQUE[name]
    nb = backends.get("numpy")
    with kshim.backend.use(nb):
        _, want = nb.value_and_grad(unique)(_TALL)
    for bname in ("numpy", "jax", "torch"):
        if not backends.is_available(bname):
            continue
        b = backends.get(bname)
        with kshim.backend.use(b):
            _, g = b.value_and_grad(full)(b.convert_to_tensor(_TALL, "float64"))
        np.testing.assert_allclose(np.asarray(b.to_numpy(g)), want, rtol=1e-9, atol=1e-10, err_msg=bname)


def test_numpy_training_through_linalg_reduces_the_loss():
    """A few gradient steps on the NumPy tape: fit ``x`` so that ``solve(x xᵀ + I, b) = target``."""
    b = backends.get("numpy")
    target = np.array([[0.5], [-0.25], [0.1]])
    rhs = np.array([[1.0], [2.0], [3.0]])
    with kshim.backend.use(b):
        def loss(x):
            a = O.add(O.matmul(x, O.transpose(x)), np.eye(3))
            r = O.subtract(O.solve(a, rhs), target)
            return O.add(O.sum(O.square(r)), O.multiply(O.logdet(a), 0.01))
        x = np.eye(3) * 0.5
        first = None
        for _ in range(60):
            val, g = b.value_and_grad(loss)(x)
            first = float(val) if first is None else first
            x = x - 0.2 * g
    assert float(val) < 0.2 * first

"""Gradients of the FFT primitives and the signal ops.

* NumPy backend (its own tape): the VJP rules of ``fft``/``rfft``/``irfft`` in
  ``backends/numpy/autodiff/rules_signal.py`` and the composites built on them (``stft``,
  ``istft``, ``i0``, ``sinc``) against central finite differences in float64. eps=1e-6 gives a
  truncation error ~eps^2 and a rounding error ~1e-16/eps = 1e-10 relative to the loss scale, so
  rtol=1e-6 with atol=1e-7 * scale has ample margin (the functions are linear or smooth).
* Every backend: ``value_and_grad`` of the same losses agrees with the NumPy backend in float64
  (rtol 1e-9: the three backends run different FFT libraries, which round differently).

Losses are random projections ``sum(out * R)`` of every output, so the cotangents are generic
(both parts of a pair, every bin, including the zero-frequency and Nyquist bins whose imaginary
parts ``irfft`` ignores).
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends

NP = backends.get("numpy")


def _projected(fn, outs_like, seed=0):
    """``loss(*args) = sum_i sum(fn(*args)[i] * R_i)`` with fixed random R_i (active backend)."""
    r = np.random.default_rng(seed)
    outs = outs_like if isinstance(outs_like, (tuple, list)) else (outs_like,)
    proj = [r.standard_normal(np.shape(o)) for o in outs]

    def loss(*args):
        out = fn(*args)
        out = out if isinstance(out, (tuple, list)) else (out,)
        tot = None
        for o, p in zip(out, proj):
            s = O.sum(O.multiply(o, O.convert_to_tensor(p, "float64")))
            tot = s if tot is None else O.add(tot, s)
        return tot
    return loss


def _fd_check(fn, *args, eps=1e-6, rtol=1e-6):
    args = [np.asarray(a, np.float64) for a in args]
    with kshim.backend.use("numpy"):
        out = fn(*args)
        out = tuple(np.asarray(o) for o in out) if isinstance(out, (tuple, list)) else np.asarray(out)
        loss = _projected(fn, out)
        val, grads = NP.value_and_grad(loss, argnums=tuple(range(len(args))))(*args)
        scale = max(1.0, abs(float(val)))
        for i, (a, g) in enumerate(zip(args, grads)):
            assert g.shape == a.shape and g.dtype == a.dtype
            fd = np.zeros_like(a)
            for j in range(a.size):
                ap, am = a.copy(), a.copy()
                ap.flat[j] += eps
                am.flat[j] -= eps
                fp = float(loss(*(args[:i] + [ap] + args[i + 1:])))
                fm = float(loss(*(args[:i] + [am] + args[i + 1:])))
                fd.flat[j] = (fp - fm) / (2 * eps)
            np.testing.assert_allclose(g, fd, rtol=rtol, atol=1e-7 * scale, err_msg=f"arg {i}")


rng = np.random.default_rng(7)


def R(*shape):
    return rng.standard_normal(shape)


# ---- the primitives' VJP rules --------------------------------------------------------------------
@pytest.mark.parametrize("ndim,inverse,shape", [(1, False, (2, 5)), (1, True, (6,)), (2, False, (2, 3, 4)),
                                                (2, True, (3, 5))])
def test_fft_primitive_vjp(ndim, inverse, shape):
    _fd_check(lambda re, im: NP.fft(re, im, ndim, inverse), R(*shape), R(*shape))


def test_fft_primitive_vjp_with_one_untraced_part():
    im = R(2, 6)
    _fd_check(lambda re: NP.fft(re, im, 1, False), R(2, 6))


@pytest.mark.parametrize("length,n", [(8, 8), (7, 7), (8, 5), (6, 11), (5, 12), (3, 1)])
def test_rfft_primitive_vjp(length, n):
    _fd_check(lambda x: NP.rfft(x, n), R(2, length))


@pytest.mark.parametrize("bins,n", [(5, 8), (4, 7), (5, 4), (3, 12), (3, 9), (4, 1), (2, 2)])
def test_irfft_primitive_vjp(bins, n):
    _fd_check(lambda re, im: NP.irfft(re, im, n), R(2, bins), R(2, bins))


# ---- the ops, on the NumPy tape -------------------------------------------------------------------
def test_fft_ops_grad():
    _fd_check(lambda re, im: O.fft((re, im)), R(3, 4), R(3, 4))
    _fd_check(lambda re, im: O.fft2((re, im)), R(2, 3, 4), R(2, 3, 4))
    _fd_check(lambda re, im: O.ifft2((re, im)), R(3, 5), R(3, 5))


def test_rfft_irfft_ops_grad():
    _fd_check(lambda x: O.rfft(x, 6), R(2, 9))
    _fd_check(lambda re, im: O.irfft((re, im)), R(2, 5), R(2, 5))
    _fd_check(lambda re, im: O.irfft((re, im), 9), R(2, 5), R(2, 5))


@pytest.mark.parametrize("kw", [{}, {"window": "hamming", "center": False}, {"window": None},
                                {"window": "tensor"}])
def test_stft_grad(kw):
    kw = dict(kw)
    args = [R(2, 21)]
    if kw.get("window") == "tensor":
        del kw["window"]
        args.append(np.abs(R(6)) + 0.1)  # the gradient with respect to the window too
        _fd_check(lambda x, w: O.stft(x, 6, 3, 8, window=w, **kw), *args)
    else:
        _fd_check(lambda x: O.stft(x, 6, 3, 8, **kw), *args)


@pytest.mark.parametrize("kw", [{}, {"window": "hamming", "center": False}, {"window": None, "length": 10}])
def test_istft_grad(kw):
    _fd_check(lambda re, im: O.istft((re, im), 6, 3, 8, **kw), R(2, 5, 5), R(2, 5, 5))


def test_i0_sinc_grad():
    x = np.array([-30.0, -19.0, -0.3, 0.7, 5.0, 19.9, 20.1, 45.0])
    _fd_check(O.i0, x, rtol=1e-6)
    _fd_check(O.sinc, np.array([-2.5, -1.0, -0.2, 0.3, 1.7]))


def test_sinc_and_angle_grad_at_zero():
    with kshim.backend.use("numpy"):
        g = NP.value_and_grad(lambda v: O.sum(O.sinc(v)))(np.zeros(3))[1]
        np.testing.assert_array_equal(g, np.zeros(3))  # sinc'(0) = 0, and no NaN from 0/0
        g = NP.value_and_grad(lambda v: O.sum(O.angle(v)))(np.array([-1.0, 0.0, 2.0]))[1]
        np.testing.assert_array_equal(g, np.zeros(3))  # angle is piecewise constant


# ---- every backend agrees with the NumPy tape -------------------------------------------------------
_AGREE = {
    "fft": (lambda re, im: O.fft((re, im)), [(3, 6), (3, 6)]),
    "fft2": (lambda re, im: O.fft2((re, im)), [(2, 4, 5), (2, 4, 5)]),
    "ifft2": (lambda re, im: O.ifft2((re, im)), [(4, 3), (4, 3)]),
    "rfft": (lambda x: O.rfft(x, 7), [(3, 10)]),
    "irfft": (lambda re, im: O.irfft((re, im), 10), [(3, 5), (3, 5)]),
    "irfft-odd": (lambda re, im: O.irfft((re, im), 7), [(3, 5), (3, 5)]),
    "stft": (lambda x: O.stft(x, 12, 4, 16), [(2, 50)]),
    "stft-window": (lambda x, w: O.stft(x, 6, 2, 9, window=w, center=False), [(2, 30), (6,)]),
    "istft": (lambda re, im: O.istft((re, im), 12, 4, 16), [(2, 6, 9), (2, 6, 9)]),
    "istft-none": (lambda re, im: O.istft((re, im), 8, 3, 8, window=None, center=False), [(5, 5), (5, 5)]),
    "i0": (O.i0, [(10,)]),
    "sinc": (O.sinc, [(10,)]),
}


@pytest.mark.parametrize("name", sorted(_AGREE))
def test_gradients_agree_across_backends(backend, name):
    fn, shapes = _AGREE[name]
    r = np.random.default_rng(3)
    args = [r.standard_normal(s) * (10 if name == "i0" else 1) for s in shapes]
    if name == "stft-window":
        args[1] = np.abs(args[1]) + 0.1
    with kshim.backend.use("numpy"):
        out = fn(*args)
        out = tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)
        loss = _projected(fn, out)
        want_val, want = NP.value_and_grad(loss, argnums=tuple(range(len(args))))(*args)
    b = backend
    targs = [b.convert_to_tensor(a, "float64") for a in args]
    val, grads = b.value_and_grad(loss, argnums=tuple(range(len(args))))(*targs)
    np.testing.assert_allclose(float(b.to_numpy(val)), float(want_val), rtol=1e-10)
    for g, w in zip(grads, want):
        g = np.asarray(b.to_numpy(g))
        assert g.dtype == np.float64 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9 * np.abs(w).max())

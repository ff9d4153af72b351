"""Gradients of the differentiable ops of kshim/ops/numpy_extra*.py.

* NumPy backend (its own tape): each op's gradient, through the existing VJP rules, against central
  finite differences in float64. eps=1e-6 gives a truncation error ~eps^2 and a rounding error
  ~1e-16/eps = 1e-10 relative to the loss scale, so rtol=1e-6 with atol=1e-7 * scale has ample
  margin. Inputs keep away from kinks (no ties for max/sort/quantiles, no zero distances, ratios
  of ``fmod`` away from integers), where a finite difference is not a derivative.
* Inputs with NaNs: the nan-reductions ignore them, so the gradient there must be exactly 0 (a
  finite difference at a NaN entry is 0 too: the loss does not change).
* Every backend: ``value_and_grad`` of the same losses agrees with the NumPy backend in float64
  (rtol 1e-9: the backends' libm and summation orders differ by a few ulps).

Losses are random projections ``sum(out * R)`` of the outputs, so the cotangents are generic.
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


def _grads(backend_name, fn, args):
    """(value, grads) of the projected loss on one backend, as NumPy arrays."""
    b = backends.get(backend_name)
    with kshim.backend.use(backend_name):
        ts = [b.convert_to_tensor(np.asarray(a, np.float64), "float64") for a in args]
        out = fn(*ts)
        out = tuple(O.convert_to_numpy(o) for o in out) if isinstance(out, (tuple, list)) else O.convert_to_numpy(out)
        loss = _projected(fn, out)
        val, grads = b.value_and_grad(loss, argnums=tuple(range(len(args))))(*ts)
        return float(b.to_numpy(val)), [np.asarray(b.to_numpy(g)) for g in grads]


def _fd_check(fn, *args, eps=1e-6, rtol=1e-6):
    args = [np.asarray(a, np.float64) for a in args]
    val, grads = _grads("numpy", fn, args)
    with kshim.backend.use("numpy"):
        out = fn(*args)
        out = tuple(np.asarray(o) for o in out) if isinstance(out, (tuple, list)) else np.asarray(out)
        loss = _projected(fn, out)
        scale = max(1.0, abs(val))
        for i, (a, g) in enumerate(zip(args, grads)):
            assert g.shape == a.shape and g.dtype == a.dtype
            assert np.all(np.isfinite(g)), f"arg {i}: non-finite gradient {g}"
            fd = np.zeros_like(a)
            for j in range(a.size):
                ap, am = a.copy(), a.copy()
                ap.flat[j] += eps
                am.flat[j] -= eps
                fp = float(O.convert_to_numpy(loss(*(args[:i] + [ap] + args[i + 1:]))))
                fm = float(O.convert_to_numpy(loss(*(args[:i] + [am] + args[i + 1:]))))
                fd.flat[j] = (fp - fm) / (2 * eps)
            np.testing.assert_allclose(g, fd, rtol=rtol, atol=1e-7 * scale, err_msg=f"arg {i}")
    return grads


rng = np.random.default_rng(11)


def R(*shape):
    return rng.standard_normal(shape)


def NANS(*shape):
    """Normal values with a NaN in every row (never a full row)."""
    x = rng.standard_normal(shape)
    x.reshape(-1, shape[-1])[:, 1] = np.nan
    x.reshape(-1)[-1] = np.nan
    return x


def _v(*args):
    return [O.vectorize(lambda m, v: O.sum(O.multiply(m, v), axis=-1), signature="(m,n),(n)->(m)")(*args)]


# name -> (function of float64 tensors, input builder)
CASES = {
    "nansum": (lambda x: O.nansum(x, axis=-1), lambda: [NANS(3, 4)]),
    "nanprod": (lambda x: O.nanprod(x, axis=0), lambda: [NANS(3, 4)]),
    "nanmean": (lambda x: O.nanmean(x, axis=1, keepdims=True), lambda: [NANS(3, 5)]),
    "nanvar": (lambda x: O.nanvar(x, axis=-1), lambda: [NANS(3, 5)]),
    "nanstd": (lambda x: O.nanstd(x), lambda: [NANS(3, 5)]),
    "nanmax": (lambda x: O.nanmax(x, axis=1), lambda: [NANS(3, 5)]),
    "nanmin": (lambda x: O.nanmin(x, axis=0), lambda: [NANS(3, 4).T.copy()]),
    "nanmedian": (lambda x: O.nanmedian(x, axis=-1), lambda: [NANS(3, 6)]),
    "nancumsum": (lambda x: O.nancumsum(x, axis=1), lambda: [NANS(2, 4)]),
    "nancumprod": (lambda x: O.nancumprod(x), lambda: [NANS(2, 3)]),
    "nanquantile": (lambda x: O.nanquantile(x, [0.3, 0.65], axis=1), lambda: [NANS(3, 6)]),
    "nanpercentile-midpoint": (lambda x: O.nanpercentile(x, 40.0, axis=0, method="midpoint"),
                               lambda: [NANS(2, 6).T.copy()]),
    "quantile": (lambda x: O.quantile(x, [0.1, 0.55, 0.9], axis=(0, 2)), lambda: [R(2, 3, 4)]),
    "percentile-keepdims": (lambda x: O.percentile(x, 37.0, keepdims=True), lambda: [R(3, 4)]),
    "ptp": (lambda x: O.ptp(x, axis=-1), lambda: [R(3, 4)]),
    "fmax": (lambda a, c: O.fmax(a, c), lambda: [NANS(3, 4), R(3, 4)]),
    "fmin": (lambda a, c: O.fmin(a, c), lambda: [R(2, 4), NANS(2, 4)]),
    "fmod": (lambda a, c: O.fmod(a, c), lambda: [np.array([5.3, -5.3, 2.2, -0.7]), np.array([2.0, 2.0, -0.9, 0.5])]),
    "fabs": (lambda x: O.fabs(x), lambda: [R(3, 4)]),
    "ldexp": (lambda x: O.ldexp(x, np.array([3, -2, 0, 10], np.int32)), lambda: [R(2, 4)]),
    "logaddexp2": (lambda a, c: O.logaddexp2(a, c), lambda: [R(3, 4) * 3, R(4) * 3]),
    "erfc": (lambda x: O.erfc(x), lambda: [np.array([-2.5, -0.3, 0.2, 0.49, 0.51, 1.3, 3.0, 6.2, 6.4, 8.0])]),
    "trapezoid": (lambda y, x: O.trapezoid(y, x, axis=0), lambda: [R(4, 3), np.cumsum(np.abs(R(4)) + 0.1)]),
    "trapezoid-dx": (lambda y: O.trapezoid(y, dx=0.3), lambda: [R(3, 5)]),
    "kron": (lambda a, c: O.kron(a, c), lambda: [R(2, 3), R(3, 2)]),
    "correlate-full": (lambda a, v: O.correlate(a, v, mode="full"), lambda: [R(6), R(3)]),
    "correlate-same-swapped": (lambda a, v: O.correlate(a, v, mode="same"), lambda: [R(3), R(5)]),
    "cdist": (lambda x, y: O.cdist(x, y), lambda: [R(3, 2), R(4, 2)]),
    "corrcoef": (lambda x: O.corrcoef(x), lambda: [R(3, 6)]),
    "vander": (lambda x: O.vander(x, 4), lambda: [R(3)]),
    "select": (lambda a, c: O.select([O.greater(a, 0.0), O.less(c, 0.0)], [O.multiply(a, c), O.exp(c)], -1.0),
               lambda: [R(3, 4), R(3, 4)]),
    "bincount-weights": (lambda w: O.bincount(np.array([0, 2, 2, 4], np.int32), weights=w, minlength=6),
                         lambda: [R(4)]),
    "histogram-range-edges": (lambda x: O.multiply(x, O.sum(O.histogram(O.stop_gradient(x), bins=3)[0])),
                              lambda: [R(5)]),
    "shapes": (lambda x: [O.rot90(x, 1, (0, 1)), O.fliplr(x), O.dstack([x, x]), *O.array_split(x, 2, axis=1),
                          O.diagflat(O.ravel(x), 1), O.flipud(x)], lambda: [R(3, 3)]),
    "vectorize": (_v, lambda: [R(2, 3, 4), R(4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_gradient_matches_finite_differences(name):
    fn, build = CASES[name]
    args = build()
    grads = _fd_check(fn, *args)
    for a, g in zip(args, grads):  # NaN entries are ignored: exactly zero gradient
        assert np.all(g[np.isnan(np.asarray(a, np.float64))] == 0.0)


@pytest.mark.parametrize("other", ["jax", "torch"])
@pytest.mark.parametrize("name", list(CASES))
def test_gradient_agrees_across_backends(name, other):
    if not backends.is_available(other):
        pytest.skip(f"{other} not installed")
    fn, build = CASES[name]
    args = build()
    v0, g0 = _grads("numpy", fn, args)
    v1, g1 = _grads(other, fn, args)
    np.testing.assert_allclose(v1, v0, rtol=1e-9, atol=1e-12)
    for i, (a, b) in enumerate(zip(g1, g0)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"{name} arg {i} on {other}")


def test_erfc_gradient_is_the_derivative_in_the_tail():
    """d erfc / dx = -2/sqrt(pi) exp(-x^2), also where erfc is tiny (relative check)."""
    x = np.array([0.7, 3.0, 9.0, 20.0, 26.0])
    with kshim.backend.use("numpy"):
        _, g = NP.value_and_grad(lambda t: O.sum(O.erfc(t)))(x)
    np.testing.assert_allclose(g, -2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-12)


def test_training_step_through_nanmean_and_quantile():
    """A differentiable loss built from the new ops lowers under plain gradient descent (NumPy tape)."""
    w = NANS(4, 6)
    mask = np.isnan(w)
    w = np.where(mask, 0.0, w)
    target = np.linspace(-1.0, 1.0, 4)

    def loss(v):
        data = O.where(mask, np.nan, v)
        pred = O.add(O.nanmean(data, axis=1), O.nanquantile(data, 0.7, axis=1))
        return O.sum(O.square(O.subtract(pred, target)))

    with kshim.backend.use("numpy"):
        first = None
        for _ in range(30):
            val, g = NP.value_and_grad(loss)(w)
            first = float(val) if first is None else first
            w = w - 0.1 * np.asarray(g)
        assert float(loss(w)) < 0.05 * first

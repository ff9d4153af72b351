"""Gradients through complex values with respect to real inputs.

* NumPy backend (its own tape): the VJP rules of the complex primitives (``real``, ``imag``, ``conj``,
  ``complex`` in ``backends/numpy/autodiff/rules_complex.py``) and of the holomorphic rules that now
  see complex values (multiply, exp, matmul, abs...) against central finite differences in float64.
  eps=1e-6: truncation error ~eps^2 * |f'''| and rounding ~1e-16 * |f| / eps = 1e-10 relative to the
  loss scale, so rtol=1e-6 with atol=1e-7 * scale has a wide margin (every loss is smooth at the
  random points used: no zero moduli, no angle near the branch cut of the principal argument).
* Every backend: ``value_and_grad`` of the same losses agrees with the NumPy backend in float64 (rtol
  1e-9: the backends run different math libraries).

Losses are random real projections of every real-valued output, so the cotangents are generic.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends

NP = backends.get("numpy")
_R = np.random.default_rng(11)
_C = _R.standard_normal((3,)) + 1j * _R.standard_normal((3,))  # a complex constant
_P = _R.standard_normal((3, 2))  # a real projection


def _loss_view_abs(x):
    return O.sum(O.abs(O.view_as_complex(x)) ** 2)


def _loss_polar(r, t):
    return O.sum(O.real(O.multiply(O.polar(r, t), _C)))


def _loss_parts(x):
    z = O.view_as_complex(x)
    w = O.exp(O.multiply(z, O.add(O.conj(z), 0.5j)))
    m = O.matmul(O.reshape(z, (1, 3)), O.reshape(w, (3, 1)))
    return O.add(O.sum(O.imag(m)), O.sum(O.multiply(O.view_as_real(O.multiply(z, z)), _P)))


def _loss_angle(x):
    z = O.view_as_complex(x)
    return O.sum(O.multiply(O.angle(z), O.convert_to_tensor(_P[:, 0])))


def _loss_mixed(x, y):
    """A real tensor promoted against a complex one: its cotangent is the real part."""
    z = O.add(O.multiply(O.view_as_complex(x), y), y)
    return O.sum(O.abs(O.subtract(z, O.negative(O.conj(z)))))


def _loss_cast(x):
    """``cast`` real -> complex -> real (the real part) and ``isreal`` (no gradient)."""
    z = O.cast(x, "complex128")
    z = O.multiply(z, _C[:1])
    keep = O.cast(O.isreal(z), "float64")
    return O.sum(O.multiply(O.add(O.cast(z, "float64"), keep), O.convert_to_tensor(_P)))


def _points():
    r = np.random.default_rng(5)
    x = r.standard_normal((3, 2)) + np.array([0.5, 0.3])  # away from the origin
    return {
        "view_abs": (_loss_view_abs, (x,)),
        "polar": (_loss_polar, (np.abs(r.standard_normal(3)) + 0.5, r.standard_normal(3))),
        "parts": (_loss_parts, (0.5 * x,)),
        "angle": (_loss_angle, (np.abs(x),)),  # first quadrant: away from the branch cut on the negative axis
        "mixed": (_loss_mixed, (x, r.standard_normal(3))),
        "cast": (_loss_cast, (r.standard_normal((3, 2)),)),
    }


_CASES = _points()


def _grads(b, fn, args):
    _, g = b.value_and_grad(fn, argnums=tuple(range(len(args))))(*args)
    return [np.asarray(b.to_numpy(gi)) for gi in g]


@pytest.mark.parametrize("name", sorted(_CASES))
def test_numpy_gradients_match_finite_differences(name):
    fn, args = _CASES[name]
    eps = 1e-6
    with kshim.backend.use("numpy"):
        scale = max(1.0, abs(float(fn(*args))))
        grads = _grads(NP, fn, args)
        for i, (a, g) in enumerate(zip(args, grads)):
            assert g.shape == a.shape and g.dtype == np.float64
            fd = np.zeros_like(a)
            for j in range(a.size):
                ap = [np.array(v) for v in args]
                am = [np.array(v) for v in args]
                ap[i].flat[j] += eps
                am[i].flat[j] -= eps
                fd.flat[j] = (float(fn(*ap)) - float(fn(*am))) / (2 * eps)
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("name", sorted(_CASES))
def test_gradients_agree_across_backends(backend, name):
    fn, args = _CASES[name]
    with kshim.backend.use("numpy"):
        ref = _grads(NP, fn, args)
    got = _grads(backend, fn, args)
    for g, r in zip(got, ref):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-12)


def test_numpy_complex_primitive_rules():
    """Each new primitive alone, with JAX's cotangent convention checked through a real loss: the gradient of
    ``sum(P * real(f(z)) + Q * imag(f(z)))`` w.r.t. the real parts, from the NumPy tape, equals finite
    differences (the loss is linear, so central differences are exact up to rounding: rtol 1e-8)."""
    r = np.random.default_rng(7)
    re, im = r.standard_normal(4), r.standard_normal(4)
    p, q = r.standard_normal(4), r.standard_normal(4)
    for prim in ("real", "imag", "conj", "complex"):
        def loss(a, c, prim=prim):
            z = NP.complex(a, c)
            if prim == "complex":
                out = z
            else:
                out = getattr(NP, prim)(z)
                out = out if out.dtype.kind == "c" else NP.complex(out, NP.zeros(out.shape, "float64"))
            return NP.sum(NP.add(NP.multiply(NP.real(out), p), NP.multiply(NP.imag(out), q)), None, False)

        with kshim.backend.use("numpy"):
            g = _grads(NP, loss, (re, im))
            for i in range(2):
                fd = np.zeros(4)
                for j in range(4):
                    args_p, args_m = [re.copy(), im.copy()], [re.copy(), im.copy()]
                    args_p[i][j] += 1e-6
                    args_m[i][j] -= 1e-6
                    fd[j] = (float(loss(*args_p)) - float(loss(*args_m))) / 2e-6
                np.testing.assert_allclose(g[i], fd, rtol=1e-8, atol=1e-9, err_msg=prim)


def test_complex_inputs_get_zero_gradients(backend):
    """Only real float leaves are differentiated (as before): a complex argument gets zeros of its dtype."""
    z = np.array([1 + 1j, 2.0], np.complex128)
    x = np.array([0.5, -1.0])
    _, (gx, gz) = backend.value_and_grad(lambda x, z: O.sum(O.real(O.multiply(x, z))), argnums=(0, 1))(x, z)
    np.testing.assert_allclose(np.asarray(backend.to_numpy(gx)), z.real, rtol=1e-12)
    gz = np.asarray(backend.to_numpy(gz))
    assert gz.dtype == np.complex128 and not gz.any()

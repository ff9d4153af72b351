"""Gradients and function transforms of the nn_extra ops.

* Central finite differences (float64, NumPy backend, its own tape) for ``ctc_loss``, the adaptive
  pools, layer/RMS normalization, ``sparsemax``, ``fold``/``unfold``; each loss is
  ``sum(op(x) * w)`` with a random ``w`` so every output element matters.
* The same gradients on numpy, jax and torch agree (float64, rtol 1e-10: one composite, the same
  arithmetic up to summation order).
* ``ctc_loss`` against ``torch.nn.functional.ctc_loss`` (value and gradient; an independent
  implementation).
* ``custom_gradient``: the user's gradient function is what differentiation returns (it is
  deliberately not the true gradient), in each of Keras' ``grad_fn`` forms, with several inputs and
  outputs, pytrees, ``None`` gradients, under ``jit``, and its errors.
* ``jvp`` against central finite differences of the function along the tangent, across backends,
  with ``has_aux``, and its errors.

Finite-difference tolerance: step 1e-6 in float64 gives a truncation error ~1e-12 * |f'''| and a
round-off error ~1e-10 * |f| / 1e-6; rtol 1e-6 / atol 1e-8 leaves a margin of ~100 over both.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends

FD_RTOL, FD_ATOL = 1e-6, 1e-8
XB_RTOL, XB_ATOL = 1e-10, 1e-12
ALL = ("numpy", "jax", "torch")


def _np(x):
    return np.asarray(O.convert_to_numpy(x))


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def _grads(name, loss, args, argnums):
    """(value, [grad per argnum]) of ``loss(*args)`` on backend ``name``, as NumPy (pytrees kept)."""
    import optree
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    with kshim.backend.use(name):
        b = kshim.backend.current()
        ts = optree.tree_map(lambda a: O.convert_to_tensor(a) if isinstance(a, np.ndarray) else a, list(args))
        v, g = b.value_and_grad(loss, argnums=nums)(*ts)
        return float(_np(v)), [optree.tree_map(_np, e) for e in g]


def _available(name):
    if not backends.is_available(name):
        pytest.skip(f"backend {name!r} is not installed")


rng = np.random.default_rng(1414)


def _ctc_args():
    target = np.array([[1, 2, 2, 3], [4, 1, 1, 0], [3, 3, 2, 1]], np.int32)
    return (target, rng.standard_normal((3, 7, 5)) * 1.5, np.array([4, 2, 3], np.int32),
            np.array([7, 5, 6], np.int32))


# name -> (function of the differentiated args, args, argnums)
def _case_table():
    t, out, tl, ol = _ctc_args()
    w3 = rng.standard_normal(3)
    x4 = rng.standard_normal((2, 7, 5, 3))
    wa = rng.standard_normal((2, 3, 4, 3))
    wm = rng.standard_normal((2, 4, 3, 3))
    xl = rng.standard_normal((3, 4, 5))
    wl = rng.standard_normal((3, 4, 5))
    g5, b5 = rng.standard_normal(5), rng.standard_normal(5)
    xs = rng.standard_normal((3, 6)) * 0.7
    ws = rng.standard_normal((3, 6))
    xu = rng.standard_normal((1, 2, 5, 4))
    wu = rng.standard_normal((1, 8, 18))
    xf = rng.standard_normal((1, 8, 15))
    wf = rng.standard_normal((1, 2, 4, 4))
    return {
        "ctc_loss": (lambda o: O.sum(O.multiply(O.ctc_loss(t, o, tl, ol), w3)), [out], 0),
        "ctc_loss-blank-last": (lambda o: O.sum(O.ctc_loss(np.where(t == 4, 0, t), o, tl, ol, mask_index=4)), [out], 0),
        "adaptive_average_pool": (lambda x: O.sum(O.multiply(O.adaptive_average_pool(x, (3, 4)), wa)), [x4], 0),
        "adaptive_max_pool": (lambda x: O.sum(O.multiply(O.adaptive_max_pool(x, (4, 3)), wm)), [x4], 0),
        "layer_normalization": (lambda x, g, b_: O.sum(O.multiply(O.layer_normalization(x, g, b_, epsilon=1e-3), wl)),
                                [xl, g5, b5], (0, 1, 2)),
        "rms_normalization": (lambda x, g: O.sum(O.multiply(O.rms_normalization(x, g, epsilon=1e-3), wl)),
                              [xl, g5], (0, 1)),
        "sparsemax": (lambda x: O.sum(O.multiply(O.sparsemax(x), ws)), [xs], 0),
        "unfold": (lambda x: O.sum(O.multiply(O.unfold(x, 2, padding=1, stride=(1, 2)), wu)), [xu], 0),
        "fold": (lambda x: O.sum(O.multiply(O.fold(x, (4, 4), 2, padding=1, stride=(1, 2)), wf)), [xf], 0),
    }


CASES = _case_table()


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences_on_numpy(name):
    fn, args, argnums = CASES[name]
    nums = (argnums,) if isinstance(argnums, int) else argnums
    _, grads = _grads("numpy", fn, args, argnums)
    with kshim.backend.use("numpy"):
        for g, i in zip(grads, nums):
            def scalar(v, i=i):
                a = list(args)
                a[i] = v
                return float(_np(fn(*a)))
            fd = _fd(scalar, np.array(args[i], np.float64))
            np.testing.assert_allclose(g, fd, rtol=FD_RTOL, atol=FD_ATOL, err_msg=f"{name} arg {i}")


@pytest.mark.parametrize("other", ["jax", "torch"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_agree_across_backends(name, other):
    _available(other)
    fn, args, argnums = CASES[name]
    v0, g0 = _grads("numpy", fn, args, argnums)
    v1, g1 = _grads(other, fn, args, argnums)
    np.testing.assert_allclose(v1, v0, rtol=XB_RTOL)
    for a, c in zip(g1, g0):
        np.testing.assert_allclose(a, c, rtol=XB_RTOL, atol=XB_ATOL, err_msg=f"{name} on {other}")


@pytest.mark.parametrize("bname", ALL)
def test_ctc_loss_matches_torch_ctc_loss(bname):
    """Value and gradient equal torch's own CTC (an independent implementation), float64."""
    _available(bname)
    torch = pytest.importorskip("torch")
    t, out, tl, ol = _ctc_args()
    tout = torch.tensor(out, requires_grad=True)
    lp = torch.log_softmax(tout, -1).transpose(0, 1)
    ref = torch.nn.functional.ctc_loss(lp, torch.tensor(t, dtype=torch.long), torch.tensor(ol, dtype=torch.long),
                                       torch.tensor(tl, dtype=torch.long), blank=0, reduction="none")
    ref.sum().backward()
    v, (g,) = _grads(bname, lambda o: O.sum(O.ctc_loss(t, o, tl, ol)), [out], (0,))
    with kshim.backend.use(bname):
        per = _np(O.ctc_loss(t, O.convert_to_tensor(out), tl, ol))
    np.testing.assert_allclose(per, ref.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(g, tout.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bname", ALL)
def test_ctc_loss_trains(bname):
    """A few gradient steps on the logits lower the CTC loss on every backend (float32)."""
    _available(bname)
    t, out, tl, ol = _ctc_args()
    with kshim.backend.use(bname):
        b = kshim.backend.current()
        x = O.convert_to_tensor(out.astype("float32"))
        step = b.jit(b.value_and_grad(lambda o: O.mean(O.ctc_loss(t, o, tl, ol))))
        first, _ = step(x)
        for _ in range(20):
            v, g = step(x)
            x = O.subtract(x, O.multiply(g, 0.5))
        assert float(_np(v)) < 0.5 * float(_np(first))


def test_ctc_loss_under_jax_jit():
    _available("jax")
    t, out, tl, ol = _ctc_args()
    with kshim.backend.use("jax"):
        b = kshim.backend.current()
        f = b.jit(lambda o: O.ctc_loss(t, o, tl, ol))
        np.testing.assert_allclose(_np(f(O.convert_to_tensor(out))), _np(O.ctc_loss(t, out, tl, ol)), rtol=1e-12)
        d, s = b.jit(lambda o: O.ctc_decode(o, ol))(O.convert_to_tensor(out))
        d2, s2 = O.ctc_decode(out, ol)
        assert np.array_equal(_np(d), _np(d2))


# ---- custom_gradient -------------------------------------------------------------------------------
def _log1pexp_forms():
    """Keras' three documented ``grad_fn`` forms; each returns 3x the true gradient (so the test
    can tell the user's gradient from the autodiff one)."""
    def jax_form(x):
        e = O.exp(x)

        def grad(upstream):
            return O.multiply(upstream, O.multiply(3.0, O.subtract(1.0, O.divide(1.0, O.add(e, 1.0)))))
        return O.log(O.add(e, 1.0)), grad

    def torch_form(x):
        e = O.exp(x)

        def grad(*args, upstream):
            assert len(args) == 1
            return O.multiply(upstream, O.multiply(3.0, O.subtract(1.0, O.divide(1.0, O.add(e, 1.0)))))
        return O.log(O.add(e, 1.0)), grad

    def agnostic_form(x):
        e = O.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return O.multiply(upstream, O.multiply(3.0, O.subtract(1.0, O.divide(1.0, O.add(e, 1.0)))))
        return O.log(O.add(e, 1.0)), grad
    return {"jax": jax_form, "torch": torch_form, "agnostic": agnostic_form}


@pytest.mark.parametrize("form", ["jax", "torch", "agnostic"])
@pytest.mark.parametrize("bname", ALL)
def test_custom_gradient_uses_the_users_gradient(bname, form):
    _available(bname)
    f = O.custom_gradient(_log1pexp_forms()[form])
    x = rng.standard_normal(6)
    w = rng.standard_normal(6)
    v, (g,) = _grads(bname, lambda a: O.sum(O.multiply(f(a), w)), [x], (0,))
    np.testing.assert_allclose(v, np.sum(np.log1p(np.exp(x)) * w), rtol=1e-12)
    np.testing.assert_allclose(g, 3 * w / (1 + np.exp(-x)), rtol=1e-12)
    with kshim.backend.use("numpy"):        # and it is not what finite differences of f give
        fd = _fd(lambda a: float(_np(O.sum(O.multiply(f(a), w)))), x)
    np.testing.assert_allclose(g, 3 * fd, rtol=1e-6)


def _two_in_two_out(x, y):
    def grad(up):
        u0, u1 = up
        return O.multiply(2.0, O.add(O.multiply(u0, y), u1)), O.multiply(5.0, O.add(O.multiply(u0, x), u1))
    return (O.multiply(x, y), O.add(x, y)), grad


@pytest.mark.parametrize("bname", ALL)
def test_custom_gradient_several_inputs_and_outputs(bname):
    _available(bname)
    f = O.custom_gradient(_two_in_two_out)
    x, y, w0, w1 = (rng.standard_normal(4) for _ in range(4))

    def loss(a, c):
        p, s = f(a, c)
        return O.add(O.sum(O.multiply(p, w0)), O.sum(O.multiply(s, w1)))
    v, (gx, gy) = _grads(bname, loss, [x, y], (0, 1))
    np.testing.assert_allclose(v, np.sum(x * y * w0 + (x + y) * w1), rtol=1e-12)
    np.testing.assert_allclose(gx, 2 * (w0 * y + w1), rtol=1e-12)
    np.testing.assert_allclose(gy, 5 * (w0 * x + w1), rtol=1e-12)
    # only one output used: the other's cotangent is zero
    v, (gx, gy) = _grads(bname, lambda a, c: O.sum(O.multiply(f(a, c)[1], w1)), [x, y], (0, 1))
    np.testing.assert_allclose(gx, 2 * w1, rtol=1e-12)
    np.testing.assert_allclose(gy, 5 * w1, rtol=1e-12)


@pytest.mark.parametrize("bname", ALL)
def test_custom_gradient_pytree_input_none_gradient_and_kwargs(bname):
    _available(bname)

    @O.custom_gradient
    def scaled(params, k, power=2.0):
        out = O.multiply(O.power(params["a"], power), params["b"])

        def grad(up):
            return {"a": O.multiply(up, 7.0), "b": None}, None
        return out, grad
    a, bb = rng.standard_normal(3) + 2, rng.standard_normal(3)
    v, (g, gk) = _grads(bname, lambda p, k: O.sum(scaled(p, k, power=3.0)), [{"a": a, "b": bb}, np.ones(3)], (0, 1))
    np.testing.assert_allclose(v, np.sum(a ** 3 * bb), rtol=1e-12)
    np.testing.assert_allclose(g["a"], np.full(3, 7.0))
    np.testing.assert_array_equal(g["b"], np.zeros(3))
    np.testing.assert_array_equal(gk, np.zeros(3))


@pytest.mark.parametrize("bname", ["jax", "torch"])
def test_custom_gradient_under_jit(bname):
    _available(bname)
    f = O.custom_gradient(_log1pexp_forms()["agnostic"])
    x = rng.standard_normal(5)
    with kshim.backend.use(bname):
        b = kshim.backend.current()
        step = b.jit(b.value_and_grad(lambda a: O.sum(f(a))))
        for _ in range(3):   # torch's jit traces after a few eager calls
            v, g = step(O.convert_to_tensor(x))
    np.testing.assert_allclose(_np(g), 3 / (1 + np.exp(-x)), rtol=1e-12)


def test_custom_gradient_errors(backend):
    x = O.convert_to_tensor(np.ones(3))
    b = backend

    @O.custom_gradient
    def no_pair(v):
        return O.exp(v)
    with pytest.raises(TypeError, match="must return a pair"):
        no_pair(x)

    @O.custom_gradient
    def too_many(v):
        return O.exp(v), lambda up: (up, up)
    with pytest.raises(ValueError, match="2 tensor"):
        b.value_and_grad(lambda v: O.sum(too_many(v)))(x)

    @O.custom_gradient
    def bad_shape(v):
        return O.exp(v), lambda up: O.sum(up)
    with pytest.raises(ValueError, match="shape"):
        b.value_and_grad(lambda v: O.sum(bad_shape(v)))(x)


# ---- jvp ------------------------------------------------------------------------------------------
def _jvp_fun(x, w):
    return O.tanh(O.matmul(x, w)), O.layer_normalization(O.multiply(x, 2.0))


@pytest.mark.parametrize("bname", ALL)
def test_jvp_matches_finite_differences(bname):
    _available(bname)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    vx, vw = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    eps = 1e-6
    with kshim.backend.use("numpy"):
        plus = [_np(o) for o in _jvp_fun(x + eps * vx, w + eps * vw)]
        minus = [_np(o) for o in _jvp_fun(x - eps * vx, w - eps * vw)]
    fd = [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
    with kshim.backend.use(bname):
        (o1, o2), (t1, t2) = O.jvp(_jvp_fun, (x, w), (vx, vw))
    np.testing.assert_allclose(_np(o1), np.tanh(x @ w), rtol=1e-12)
    for got, want in zip((t1, t2), fd):
        np.testing.assert_allclose(_np(got), want, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("other", ["jax", "torch"])
def test_jvp_agrees_across_backends(other):
    _available(other)
    t, out, tl, ol = _ctc_args()
    v = rng.standard_normal(out.shape)
    res = {}
    for bname in ("numpy", other):
        with kshim.backend.use(bname):
            p, tan = O.jvp(lambda o: (O.ctc_loss(t, o, tl, ol), O.sparsemax(o)), [out], [v])
            res[bname] = (_np(p[0]), _np(tan[0]), _np(tan[1]))
    for a, c in zip(res[other], res["numpy"]):
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)


def test_jvp_has_aux_and_errors(backend):
    x = O.convert_to_tensor(np.array([0.1, 0.2]))
    p, tan, aux = O.jvp(lambda a: (O.sin(a), {"n": O.sum(a)}), (x,), (O.ones_like(x),), has_aux=True)
    np.testing.assert_allclose(_np(tan), np.cos([0.1, 0.2]), rtol=1e-12)
    np.testing.assert_allclose(_np(aux["n"]), 0.3, rtol=1e-12)
    with pytest.raises(TypeError, match="tuples or lists"):
        O.jvp(O.sin, x, x)
    with pytest.raises(ValueError, match="tangent"):
        O.jvp(O.sin, (x,), (x, x))
    with pytest.raises(ValueError, match="shape"):
        O.jvp(O.sin, (x,), (O.ones((3,)),))
    with pytest.raises(ValueError, match="structure"):
        O.jvp(lambda d: O.sin(d["a"]), ({"a": x},), ([x],))


def test_jvp_inside_value_and_grad_is_refused_on_numpy():
    with kshim.backend.use("numpy"):
        b = kshim.backend.current()
        x = O.convert_to_tensor(np.array([0.1, 0.2]))
        with pytest.raises(RuntimeError, match="jax or torch"):
            b.value_and_grad(lambda a: O.sum(O.jvp(O.sin, (a,), (a,))[1]))(x)


# ---- map / vectorized_map / associative_scan gradients ---------------------------------------------
@pytest.mark.parametrize("bname", ALL)
def test_map_and_associative_scan_are_differentiable(bname):
    _available(bname)
    x = rng.standard_normal((5, 3))
    w = rng.standard_normal((5, 3))
    loss = lambda a: O.add(O.sum(O.multiply(O.associative_scan(O.multiply, a, reverse=True), w)),  # noqa: E731
                           O.sum(O.vectorized_map(lambda r: O.sum(O.square(r)), a)))
    _, (g,) = _grads(bname, loss, [x], (0,))
    rev_cumprod = lambda a: np.cumprod(a[::-1], 0)[::-1]  # noqa: E731
    fd = _fd(lambda a: float(np.sum(rev_cumprod(a) * w) + np.sum(a * a)), x)
    np.testing.assert_allclose(g, fd, rtol=FD_RTOL, atol=FD_ATOL)

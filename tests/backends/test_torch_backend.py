"""Torch-specific backend tests (references: NumPy and jax.lax on CPU)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from kshim import backends  # noqa: E402


@pytest.fixture(scope="module")
def tb():
    return backends.get("torch")


def _np(tb, x):
    return tb.to_numpy(x)


def _dn(nd, cl):
    sp = "DHW"[-nd:]
    lhs = ("N" + sp + "C") if cl else ("NC" + sp)
    return lax.conv_dimension_numbers((1,) * (nd + 2), (1,) * (nd + 2), (lhs, sp + "IO", lhs))


def _ref_conv(x, k, strides, padding, dilation, groups, cl):
    nd = k.ndim - 2
    return np.asarray(lax.conv_general_dilated(
        jnp.asarray(x), jnp.asarray(k), tuple(strides), [tuple(p) for p in padding],
        rhs_dilation=tuple(dilation), dimension_numbers=_dn(nd, cl),
        feature_group_count=groups, precision=lax.Precision.HIGHEST))


def _ref_conv_t(x, k, strides, padding, dilation, cl):
    nd = k.ndim - 2
    kf = np.flip(k, axis=tuple(range(nd)))  # (*k, out, in) flipped
    kf = np.swapaxes(kf, -1, -2)            # -> (*k, in, out) for "IO"
    return np.asarray(lax.conv_general_dilated(
        jnp.asarray(x), jnp.asarray(kf), (1,) * nd, [tuple(p) for p in padding],
        lhs_dilation=tuple(strides), rhs_dilation=tuple(dilation),
        dimension_numbers=_dn(nd, cl), precision=lax.Precision.HIGHEST))


CONV_CASES = [
    # nd, spatial, k, strides, padding, dilation, groups
    (1, (9,), (3,), (1,), [(1, 1)], (1,), 1),
    (1, (10,), (4,), (2,), [(0, 3)], (1,), 2),
    (2, (7, 8), (3, 3), (1, 1), [(1, 1), (1, 1)], (1, 1), 1),
    (2, (7, 8), (2, 3), (2, 1), [(0, 1), (2, 0)], (1, 2), 1),
    (2, (9, 9), (3, 3), (2, 2), [(-1, 2), (1, -1)], (1, 1), 2),
    (3, (5, 6, 4), (2, 3, 2), (1, 2, 1), [(1, 0), (1, 1), (0, 1)], (1, 1, 1), 1),
]


@pytest.mark.parametrize("cl", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_lax(tb, case, cl):
    nd, sp, ks, strides, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    cin, cout = 4, 6
    x = rng.standard_normal((2, *sp, cin) if cl else (2, cin, *sp))
    k = rng.standard_normal((*ks, cin // groups, cout))
    fmt = "channels_last" if cl else "channels_first"
    y = tb.conv(tb.convert_to_tensor(x), tb.convert_to_tensor(k), strides, padding, dilation, groups, fmt)
    ref = _ref_conv(x, k, strides, padding, dilation, groups, cl)
    assert tb.shape(y) == ref.shape
    np.testing.assert_allclose(_np(tb, y), ref, rtol=1e-10, atol=1e-10)


def test_conv_channels_last_float32_2d(tb):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    y = tb.conv(tb.convert_to_tensor(x), tb.convert_to_tensor(k), (1, 1), [(0, 1), (1, 0)],
                (1, 1), 1, "channels_last")
    ref = _ref_conv(x, k, (1, 1), [(0, 1), (1, 0)], (1, 1), 1, True)
    np.testing.assert_allclose(_np(tb, y), ref, rtol=1e-4, atol=1e-4)


CONV_T_CASES = [
    # nd, spatial, k, strides, padding, dilation
    (1, (5,), (3,), (2,), [(2, 2)], (1,)),   # "valid"-like full
    (1, (5,), (3,), (2,), [(1, 2)], (1,)),   # "same"
    (1, (4,), (4,), (3,), [(0, 0)], (1,)),
    (1, (4,), (3,), (1,), [(5, -1)], (2,)),  # lo > d*(k-1): zero padding, crop on hi
    (2, (4, 5), (3, 2), (2, 3), [(1, 2), (1, 1)], (1, 1)),
    (2, (3, 3), (3, 3), (2, 2), [(0, 4), (3, 0)], (2, 1)),
    (3, (3, 2, 3), (2, 3, 2), (2, 1, 2), [(1, 1), (2, 2), (0, 1)], (1, 1, 1)),
]


@pytest.mark.parametrize("cl", [True, False])
@pytest.mark.parametrize("case", CONV_T_CASES)
def test_conv_transpose_matches_lax(tb, case, cl):
    nd, sp, ks, strides, padding, dilation = case
    rng = np.random.default_rng(2)
    cin, cout = 3, 4
    x = rng.standard_normal((2, *sp, cin) if cl else (2, cin, *sp))
    k = rng.standard_normal((*ks, cout, cin))
    fmt = "channels_last" if cl else "channels_first"
    y = tb.conv_transpose(tb.convert_to_tensor(x), tb.convert_to_tensor(k), strides, padding,
                          dilation, fmt)
    ref = _ref_conv_t(x, k, strides, padding, dilation, cl)
    expect = tuple((n - 1) * s + 1 + lo + hi - d * (kk - 1)
                   for n, s, (lo, hi), d, kk in zip(sp, strides, padding, dilation, ks))
    assert (ref.shape[1:-1] if cl else ref.shape[2:]) == expect
    assert tb.shape(y) == ref.shape
    np.testing.assert_allclose(_np(tb, y), ref, rtol=1e-10, atol=1e-10)


def _ref_pool(x, ks, strides, padding, cl, kind):
    nd = len(ks)
    win = (1, *ks, 1) if cl else (1, 1, *ks)
    st = (1, *strides, 1) if cl else (1, 1, *strides)
    pads = [(0, 0), *padding, (0, 0)] if cl else [(0, 0), (0, 0), *padding]
    if kind == "max":
        return np.asarray(lax.reduce_window(jnp.asarray(x), -jnp.inf, lax.max, win, st, pads))
    s = lax.reduce_window(jnp.asarray(x), 0.0, lax.add, win, st, pads)
    c = lax.reduce_window(jnp.ones_like(jnp.asarray(x)), 0.0, lax.add, win, st, pads)
    return np.asarray(s / c)


POOL_CASES = [
    ((2,), (2,), [(0, 0)]),
    ((3,), (2,), [(1, 1)]),
    ((2, 2), (2, 2), [(0, 1), (0, 1)]),
    ((3, 3), (1, 2), [(1, 1), (2, 0)]),
    ((2, 3, 2), (1, 2, 2), [(0, 1), (1, 1), (1, 0)]),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("cl", [True, False])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool_matches_lax(tb, case, cl, kind):
    ks, strides, padding = case
    nd = len(ks)
    rng = np.random.default_rng(3)
    sp = (7, 6, 5)[:nd]
    x = rng.standard_normal((2, *sp, 3) if cl else (2, 3, *sp))
    fmt = "channels_last" if cl else "channels_first"
    fn = tb.max_pool if kind == "max" else tb.avg_pool
    y = fn(tb.convert_to_tensor(x), ks, strides, padding, fmt)
    ref = _ref_pool(x, ks, strides, padding, cl, kind)
    assert tb.shape(y) == ref.shape
    np.testing.assert_allclose(_np(tb, y), ref, rtol=1e-12, atol=1e-12)


def test_max_pool_grad_goes_to_first_max(tb):
    x = tb.convert_to_tensor(np.array([[[1.0], [1.0], [0.0], [0.0]]]))
    g = tb.value_and_grad(lambda v: tb.sum(tb.max_pool(v, (2,), (2,), [(0, 0)], "channels_last")))(x)[1]
    np.testing.assert_array_equal(_np(tb, g).ravel(), [1, 0, 1, 0])


def test_value_and_grad_pytree_and_int_leaves(tb):
    w = tb.convert_to_tensor(np.array([1.0, 2.0]))
    n = tb.convert_to_tensor(np.array([3, 4]))
    unused = tb.convert_to_tensor(np.array([5.0], dtype=np.float32))

    def f(params, scale):
        out = tb.sum(tb.multiply(params["w"], params["w"]))
        return tb.multiply(out, scale), {"n": params["n"]}

    params = {"w": w, "n": n, "u": unused}
    (val, aux), (gp, gs) = tb.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        params, tb.convert_to_tensor(2.0))
    np.testing.assert_allclose(_np(tb, val), 10.0)
    assert not val.requires_grad and not aux["n"].requires_grad
    np.testing.assert_allclose(_np(tb, gp["w"]), [4.0, 8.0])
    assert tb.dtype(gp["n"]) == "int64"
    np.testing.assert_array_equal(_np(tb, gp["n"]), [0, 0])
    assert tb.dtype(gp["u"]) == "float32"
    np.testing.assert_array_equal(_np(tb, gp["u"]), [0.0])
    np.testing.assert_allclose(_np(tb, gs), 5.0)
    # single argnum returns the bare pytree; a constant function gives zero grads
    v, g = tb.value_and_grad(lambda a: tb.convert_to_tensor(1.0))(w)
    np.testing.assert_array_equal(_np(tb, g), [0.0, 0.0])


def test_rejects_foreign_tensors(tb):
    with pytest.raises(TypeError, match="jax"):
        tb.convert_to_tensor(jnp.ones(3))
    try:
        nb = backends.get("numpy")
    except Exception:
        return
    t = nb.convert_to_tensor(np.ones(2))
    if type(t).__module__.startswith("kshim.backends.numpy"):
        with pytest.raises(TypeError, match="numpy"):
            tb.convert_to_tensor(t)


def test_conversion_dtypes_and_no_alias(tb):
    assert tb.dtype(tb.convert_to_tensor(True)) == "bool"
    assert tb.dtype(tb.convert_to_tensor(3)) == "int64"
    assert tb.dtype(tb.convert_to_tensor(3.0)) == "float64"
    a = np.arange(4.0)
    t = tb.convert_to_tensor(a)
    a[0] = 100.0
    assert _np(tb, t)[0] == 0.0
    ro = np.arange(3, dtype=np.int32)
    ro.flags.writeable = False
    assert tb.dtype(tb.convert_to_tensor(ro)) == "int32"
    assert tb.dtype(tb.convert_to_tensor(a[::-1], "float32")) == "float32"
    import ml_dtypes
    bf = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)
    t = tb.convert_to_tensor(bf)
    assert tb.dtype(t) == "bfloat16"
    out = _np(tb, t)
    assert out.dtype == bf.dtype
    np.testing.assert_array_equal(out.astype(np.float32), [1.5, -2.0])


@pytest.mark.parametrize("dt", ["uint16", "uint32"])
def test_wide_unsigned(tb, dt):
    a = tb.convert_to_tensor(np.array([1, 2, 65535 if dt == "uint16" else 2**32 - 1], dtype=dt))
    assert tb.dtype(a) == dt
    s = tb.add(a, tb.ones((3,), dt))
    assert tb.dtype(s) == dt
    np.testing.assert_array_equal(_np(tb, s), np.array([1, 2, -1], dtype=np.int64).astype(dt) + np.array(1, dt))
    np.testing.assert_array_equal(_np(tb, tb.greater(a, tb.full((3,), 1, dt))), [False, True, True])
    assert int(_np(tb, tb.max(a))) == int(np.asarray(a.to(torch.int64)).max())
    assert tb.dtype(tb.sum(a)) == dt
    np.testing.assert_array_equal(_np(tb, tb.arange(0, 3, 1, dt)), np.arange(3, dtype=dt))


def test_indexing_semantics(tb):
    x = np.arange(24.0).reshape(2, 3, 4)
    t = tb.convert_to_tensor(x)
    for key in [(slice(None, None, -1),), (Ellipsis, slice(3, 0, -2)), (None, 1, slice(None, None, -1)),
                (slice(5, None, -1), Ellipsis, None), (0, slice(0, 0, -1))]:
        np.testing.assert_array_equal(_np(tb, tb.getitem(t, key)), x[key])
        upd = np.full(x[key].shape, -1.0) * np.arange(x[key].size).reshape(x[key].shape)
        y = x.copy()
        y[key] = upd
        np.testing.assert_array_equal(_np(tb, tb.slice_update(t, key, tb.convert_to_tensor(upd))), y)
    idx = np.array([[0, 2], [-1, 1]])
    np.testing.assert_array_equal(_np(tb, tb.take(t, tb.convert_to_tensor(idx), 2)), np.take(x, idx, 2))
    ia = np.array([[[0], [2], [1]]])
    np.testing.assert_array_equal(_np(tb, tb.take_along_axis(t, tb.convert_to_tensor(ia), 2)),
                                  np.take_along_axis(x, np.broadcast_to(ia, (2, 3, 1)), 2))
    ind = np.array([[0, 1], [0, 1], [1, 2]])
    upd = np.ones((3, 4))
    ref = x.copy()
    np.add.at(ref, (ind[:, 0], ind[:, 1]), upd)
    np.testing.assert_array_equal(
        _np(tb, tb.scatter_add(t, tb.convert_to_tensor(ind), tb.convert_to_tensor(upd))), ref)


def test_math_semantics(tb):
    c = tb.convert_to_tensor
    np.testing.assert_array_equal(_np(tb, tb.round(c(np.array([0.5, 1.5, 2.5, -0.5])))), [0, 2, 2, -0])
    a, b = np.array([7, -7, 7, -7]), np.array([3, 3, -3, -3])
    np.testing.assert_array_equal(_np(tb, tb.mod(c(a), c(b))), np.mod(a, b))
    np.testing.assert_array_equal(_np(tb, tb.floor_divide(c(a), c(b))), np.floor_divide(a, b))
    assert np.isnan(_np(tb, tb.maximum(c(np.array([np.nan, 1.0])), c(np.array([0.0, np.nan]))))).all()
    v, i = tb.top_k(c(np.array([[1.0, 3.0, 3.0, 2.0, 3.0]])), 3)
    np.testing.assert_array_equal(_np(tb, i), [[1, 2, 4]])
    np.testing.assert_array_equal(_np(tb, tb.argsort(c(np.array([2, 1, 2, 1])), 0)), [1, 3, 0, 2])
    x = c(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert tb.dtype(tb.sum(x, (0,))) == "int32" and tb.dtype(tb.cumsum(x, 1)) == "int32"
    np.testing.assert_array_equal(_np(tb, tb.prod(x, (0, 1), True)), [[24]])
    np.testing.assert_array_equal(_np(tb, tb.left_shift(c(np.array([1, 3])), c(np.array([2, 1])))), [4, 6])
    np.testing.assert_allclose(_np(tb, tb.softplus(c(np.array([-50.0, 0.0, 30.0])))),
                               np.logaddexp(0, [-50.0, 0.0, 30.0]), rtol=1e-15)
    np.testing.assert_allclose(_np(tb, tb.logsumexp(c(np.ones((2, 3))), None, False)), np.log(6) + 1)
    np.testing.assert_array_equal(_np(tb, tb.eye(3, 4, 1, "int32")), np.eye(3, 4, 1, dtype=np.int32))
    for mode in ["reflect", "symmetric", "edge"]:
        xx = np.arange(6.0).reshape(2, 3)
        np.testing.assert_array_equal(_np(tb, tb.pad(c(xx), [(1, 2), (4, 1)], mode)),
                                      np.pad(xx, [(1, 2), (4, 1)], mode))


def test_scan_and_cond(tb):
    c = tb.convert_to_tensor
    xs = {"a": c(np.arange(4.0)), "b": c(np.ones((4, 2)))}

    def f(carry, x):
        carry = tb.add(carry, x["a"])
        return carry, (carry, tb.multiply(x["b"], carry))

    for rev in (False, True):
        carry, (ys, zs) = tb.scan(f, c(0.0), xs, reverse=rev)
        order = np.arange(4.0)[::-1] if rev else np.arange(4.0)
        cs = np.cumsum(order)
        ref = cs[::-1] if rev else cs
        np.testing.assert_allclose(_np(tb, ys), ref)
        assert tb.shape(zs) == (4, 2)
        np.testing.assert_allclose(_np(tb, carry), 6.0)
    carry, ys = tb.scan(lambda cr, _: (tb.add(cr, 1.0), None), c(0.0), None, length=3)
    assert ys is None and float(_np(tb, carry)) == 3.0
    # grad through scan and cond
    g = tb.value_and_grad(lambda w: tb.scan(lambda cr, x: (tb.multiply(cr, w), None), w, None, length=2)[0])(c(3.0))[1]
    np.testing.assert_allclose(_np(tb, g), 27.0)
    assert float(_np(tb, tb.cond(c(True), lambda v: v + 1, lambda v: v - 1, c(1.0)))) == 2.0


def test_device_and_jit(tb):
    assert tb.device_name().startswith(("cpu", "cuda"))
    f = lambda v: tb.add(v, v)  # noqa: E731
    jf = tb.jit(f)
    x = tb.convert_to_tensor(np.arange(3.0))
    assert [_np(tb, jf(x)).tolist() for _ in range(4)] == [[0.0, 2.0, 4.0]] * 4   # eager, then replayed
    assert jf.num_traces == 1
    assert isinstance(tb, backends.Backend)


def test_tie_gradients_split_evenly(tb):
    c = tb.convert_to_tensor
    g = tb.value_and_grad(lambda v: tb.max(v, None, False))(c(np.array([2.0, 2.0, 1.0])))[1]
    np.testing.assert_allclose(_np(tb, g), [0.5, 0.5, 0.0])
    ga, gb = tb.value_and_grad(lambda a, b: tb.sum(tb.maximum(a, b)), argnums=(0, 1))(
        c(np.array([1.0, 2.0])), c(np.array([1.0, 3.0])))[1]
    np.testing.assert_allclose(_np(tb, ga), [0.5, 0.0])
    np.testing.assert_allclose(_np(tb, gb), [0.5, 1.0])


def test_cond_python_bool_calls_only_the_branch(tb):
    calls = []
    out = tb.cond(False, lambda: calls.append("t"), lambda: calls.append("f") or 1)
    assert calls == ["f"] and out == 1
